import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The simulated scanner: a FIFO (created if missing) or standard input, one scan per line.
/// `echo 'YZ:C:extinguisher-1' > var/scanner.fifo` is a scan.
public final class FIFOScanner: ScannerDevice {
    public let id: String
    public let path: String
    private let logger: Logger

    public init(id: String, path: String, logger: Logger) {
        self.id = id
        self.path = path
        self.logger = logger
    }

    public func run(opened: @Sendable (_ detail: String) -> Void, handle: @Sendable (LineFramer.Frame) async -> Void) async throws {
        let descriptor = try openFIFO()
        opened(path)
        defer { if descriptor != STDIN_FILENO { close(descriptor) } }
        var framer = LineFramer()
        let reader = try DescriptorReader(descriptor: descriptor)
        while !Task.isCancelled {
            guard let bytes = try await reader.read() else { break }
            for frame in framer.feed(bytes) {
                await handle(frame)
            }
        }
    }

    /// Opens the FIFO read-write, so that it never reports end-of-file when a writer
    /// closes: every `echo` into it is one more writer.
    private func openFIFO() throws -> Int32 {
        if path == "-" { return STDIN_FILENO }
        var info = stat()
        if stat(path, &info) != 0 {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard mkfifo(path, 0o620) == 0 || errno == EEXIST else { throw DeviceError.system("mkfifo \(path)", errno) }
        } else if info.st_mode & S_IFMT != S_IFIFO {
            throw DeviceError.system("\(path) is not a FIFO", ENOTSUP)
        }
        let descriptor = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw DeviceError.system("open \(path)", errno) }
        logger.info("scanner opened", metadata: ["scanner": "\(id)", "path": "\(path)"])
        return descriptor
    }
}
