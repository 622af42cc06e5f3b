import Foundation

/// Runs a program to its end and returns its status and output, for tests that check what
/// a command prints (`yizhanctl`, `yizhand --check-config`, `systemd-analyze`).
public struct Command: Sendable {
    public var status: Int32
    public var output: String
    public var errors: String

    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Command {
        BrokenPipes.areErrors
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read standard error on another thread while reading standard output here, so a
        // full pipe can never block the program.
        final class Box: @unchecked Sendable { var data = Data() }
        let errorBox = Box()
        let done = DispatchGroup()
        done.enter()
        DispatchQueue.global().async {
            errorBox.data = errors.fileHandleForReading.readDataToEndOfFile()
            done.leave()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        process.waitUntilExit()
        return Command(
            status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
            errors: String(decoding: errorBox.data, as: UTF8.self))
    }

    /// `yizhand` or `yizhanctl` from this build.
    public static func product(_ name: String) -> String {
        DaemonProcess.productsDirectory.appendingPathComponent(name).path
    }
}
