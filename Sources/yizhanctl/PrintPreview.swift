import ArgumentParser
import ESCPOS
import ESCPOSRaster
import Foundation
import YizhanCore
import YizhanSystem
import YizhanWire

struct Print: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Look at slips without paper.", subcommands: [Preview.self])

    struct Preview: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render a slip as a PNG, the way the configured printer would print it.",
            discussion: """
                Asks the daemon for the bytes it sends the printer (for a print job, or a sample slip of a kind) \
                and prints them on a virtual printer of the same width and Chinese mode.
                """)
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Print job id.") var job: Int64?
        @Option(help: "A sample slip of this kind instead of a job.") var slip: Slip.Kind?
        @Option(name: .shortAndLong, help: "Where to write the PNG.", completion: .file(extensions: ["png"])) var output: String
        @Option(help: "The font Chinese text is drawn in (\(ReceiptFontFile.defaultPath)).", completion: .file())
        var font = ReceiptFontFile.defaultPath

        func validate() throws {
            guard (job == nil) != (slip == nil) else { throw ValidationError("name a print job or --slip KIND, not both") }
        }

        func run() throws {
            let client = options.client
            let encoded = try client.call(job.map(API.printJobBytes) ?? API.sampleSlip(slip!))
            guard let mode = ChineseMode(rawValue: encoded.chinese), let bytes = Data(base64Encoded: encoded.escpos) else {
                throw ValidationError("the daemon's answer is not an encoded slip")
            }
            let width = encoded.widthDots
            let printer = VirtualPrinter(widthDots: width, chinese: mode, font: try ReceiptFont(path: font))
            let printed = try printer.print(Array(bytes))
            // Written whole or not at all, as an export is: a full disk leaves the last preview.
            let image = try PNGImage.encode(printed.paper)
            try sayingWhyAFileCannotBeWritten { try PartFile.write(image, to: output) }
            // Beside the image, not after it, when the image goes to standard output.
            let summary = "\(output): \(width) × \(printed.paper.height) dots, \(bytes.count) bytes of ESC/POS (\(mode.rawValue))\n"
            (PartFile.inheritedDescriptor(output) == 1 ? FileHandle.standardError : FileHandle.standardOutput).write(Data(summary.utf8))
        }
    }
}
