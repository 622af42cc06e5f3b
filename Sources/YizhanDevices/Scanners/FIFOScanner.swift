import Foundation
import YizhanSystem

/// The simulated scanner: a FIFO (created if missing) or standard input, one scan per line.
/// `echo 'YZ:C:extinguisher-1' > var/scanner.fifo` is a scan.
public final class FIFOScanner: ScannerDevice {
    public let id: String
    public let path: String

    public init(id: String, path: String) {
        self.id = id
        self.path = path
    }

    public func run(opened: @Sendable (_ detail: String) -> Void, handle: @Sendable (LineFramer.Frame) async -> Void) async throws {
        let descriptor = try openFIFO()
        opened(path)
        defer { if descriptor != .standardInput { try? descriptor.close() } }
        var framer = LineFramer()
        let reader = DescriptorReader(descriptor: descriptor)
        while !Task.isCancelled {
            guard let bytes = try await reader.read() else { break }
            for frame in framer.feed(bytes) {
                await handle(frame)
            }
        }
    }

    /// Opens the FIFO read-write, so that it never reports end-of-file when a writer
    /// closes: every `echo` into it is one more writer.
    private func openFIFO() throws -> FileDescriptor {
        if path == "-" { return .standardInput }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do { try Kernel.makeFIFO(path, permissions: [.ownerReadWrite, .groupWrite]) } catch .notSupported {
            throw DeviceError.system("\(path) is not a FIFO", .notSupported)
        } catch {
            throw DeviceError.system("mkfifo \(path)", error)
        }
        return try openDevice(path, .readWrite)
    }
}
