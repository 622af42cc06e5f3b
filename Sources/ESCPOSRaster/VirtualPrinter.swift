import ESCPOS

/// Prints ESC/POS bytes onto an image, as a thermal printer with a Chinese font and the QR
/// function would: for `yizhanctl print preview` and for checking slips without paper.
/// It reads the commands the slip encoder sends and refuses anything else, so a slip that
/// previews is a slip made only of commands a printer was meant to get.
public struct VirtualPrinter {
    public struct Fault: Error, CustomStringConvertible, Equatable {
        public let offset: Int
        public let reason: String
        public var description: String { "byte \(offset): \(reason)" }
    }

    /// What came out: the paper, the raw bytes of each printed text line (as the printer
    /// received them, for checking the encoding), and how many cuts.
    public struct Output {
        public var paper: Bitmap
        public var textLines: [[UInt8]] = []
        public var cuts = 0
    }

    public let widthDots: Int
    public let chinese: ChineseMode
    private let renderer: RasterRenderer

    public init(widthDots: Int, chinese: ChineseMode, font: ReceiptFont) {
        self.widthDots = widthDots
        self.chinese = chinese
        self.renderer = RasterRenderer(font: font)
    }

    private struct Style {
        var alignment = ESCPOSCommand.Alignment.left
        var bold = false
        var large = false
        var chineseOn = false
        var qrModuleSize = 3
        var qrLevel: UInt8 = 48
        var qrData: [UInt8] = []
    }

    /// Prints `bytes`; throws at the first byte a printer would not have understood.
    public func print(_ bytes: [UInt8]) throws(Fault) -> Output {
        var output = Output(paper: Bitmap(width: widthDots, height: 0))
        var style = Style()
        var line: [UInt8] = []
        var index = 0

        func take(_ count: Int) throws(Fault) -> ArraySlice<UInt8> {
            guard index + count <= bytes.count else { throw Fault(offset: index, reason: "command cut short") }
            defer { index += count }
            return bytes[index..<(index + count)]
        }
        func printLine() throws(Fault) {
            guard !line.isEmpty else {
                // A line feed with nothing to print feeds one line of paper.
                output.paper.extend(to: output.paper.height + RasterRenderer.cellHeight + RasterRenderer.lineGap)
                return
            }
            guard let text = ChineseEncoding.decode(line) else {
                throw Fault(offset: index, reason: "text that is not GB18030: \(line)")
            }
            output.paper.append(renderer.line(text, large: style.large, bold: style.bold, alignment: style.alignment, width: widthDots))
            output.textLines.append(line)
            line = []
        }

        while index < bytes.count {
            let start = index
            let byte = bytes[index]
            index += 1
            switch byte {
            case 0x0A:
                try printLine()
            case 0x1B:
                let command = try take(1).first!
                switch command {
                case 0x40: style = Style()
                case 0x61: style.alignment = ESCPOSCommand.Alignment(rawValue: try take(1).first! % 48) ?? .left
                case 0x45: style.bold = try take(1).first! & 1 == 1
                case 0x64:
                    let count = Int(try take(1).first!)
                    if !line.isEmpty { try printLine() }
                    output.paper.extend(to: output.paper.height + count * (RasterRenderer.cellHeight + RasterRenderer.lineGap))
                default: throw Fault(offset: start, reason: "unknown command ESC \(command)")
                }
            case 0x1C:
                let command = try take(1).first!
                switch command {
                case 0x26: style.chineseOn = true
                case 0x2E: style.chineseOn = false
                case 0x21: _ = try take(1)
                default: throw Fault(offset: start, reason: "unknown command FS \(command)")
                }
            case 0x1D:
                let command = try take(1).first!
                switch command {
                case 0x21: style.large = try take(1).first! != 0
                case 0x56:
                    let mode = try take(1).first!
                    if mode == 65 || mode == 66 { _ = try take(1) }
                    output.cuts += 1
                case 0x28:
                    guard try take(1).first! == 0x6B else { throw Fault(offset: start, reason: "unknown command GS (") }
                    let length = try take(2)
                    let parameters = Array(try take(Int(length.first!) | Int(length.last!) << 8))
                    try qrFunction(parameters, at: start, style: &style, output: &output)
                case 0x76:
                    let header = Array(try take(6))
                    guard header[0] == 0x30 else { throw Fault(offset: start, reason: "unknown command GS v \(header[0])") }
                    let rowBytes = Int(header[2]) | Int(header[3]) << 8
                    let rows = Int(header[4]) | Int(header[5]) << 8
                    output.paper.append(Bitmap(width: rowBytes * 8, height: rows, bits: Array(try take(rowBytes * rows))))
                default: throw Fault(offset: start, reason: "unknown command GS \(command)")
                }
            case 0x10:
                guard try take(1).first! == 0x04 else { throw Fault(offset: start, reason: "unknown command DLE") }
                _ = try take(1)
            case 0x00..<0x20:
                throw Fault(offset: start, reason: "control byte \(byte) the encoder never sends")
            default:
                if byte >= 0x80 && chinese == .fsGBK && !style.chineseOn {
                    throw Fault(offset: start, reason: "Chinese byte outside FS & … FS .")
                }
                line.append(byte)
            }
        }
        if !line.isEmpty { throw Fault(offset: index, reason: "text left unprinted, without a line feed") }
        return output
    }

    /// `GS ( k` with cn 49: the QR code functions.
    private func qrFunction(_ parameters: [UInt8], at offset: Int, style: inout Style, output: inout Output) throws(Fault) {
        guard parameters.count >= 3, parameters[0] == 49 else { throw Fault(offset: offset, reason: "GS ( k of another symbol") }
        switch parameters[1] {
        case 65: break  // model: 2 is libqrencode's
        case 67: style.qrModuleSize = Int(parameters[2])
        case 69: style.qrLevel = parameters[2]
        case 80: style.qrData = Array(parameters.dropFirst(3))
        case 81:
            guard let level = QRCodeImage.level(escpos: style.qrLevel),
                let image = QRCodeImage.draw(style.qrData, moduleSize: style.qrModuleSize, level: level, width: widthDots)
            else { throw Fault(offset: offset, reason: "QR code that cannot be printed") }
            output.paper.append(image)
        default: throw Fault(offset: offset, reason: "QR function \(parameters[1])")
        }
    }
}
