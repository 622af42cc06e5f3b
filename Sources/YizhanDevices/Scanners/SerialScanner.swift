import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// A serial scanner (USB CDC-ACM `/dev/ttyACM*`, RS-232): raw termios at the configured
/// baud rate, scans framed by CR, LF or CRLF, bytes passed on untouched so UTF-8 payloads
/// arrive intact.
public final class SerialScanner: Sendable {
    public let id: String
    public let path: String
    public let baud: Int
    /// A pause this long inside a line means the line broke off.
    public let characterTimeout: Duration
    private let logger: Logger

    public init(id: String, path: String, baud: Int, characterTimeout: Duration = .milliseconds(100), logger: Logger) {
        self.id = id
        self.path = path
        self.baud = baud
        self.characterTimeout = characterTimeout
        self.logger = logger
    }

    /// Reads frames until the device goes away (throws `DeviceError.gone`) or the task is
    /// cancelled; each frame is handled before the next is read.
    public func run(devices: DeviceRegistry, handle: @Sendable (LineFramer.Frame) async -> Void) async throws {
        let descriptor = try SerialPort.open(path, baud: baud)
        defer { close(descriptor) }
        devices.update(DeviceStatus(id: id, kind: "scanner", state: .present, detail: path))
        logger.info("scanner opened", metadata: ["scanner": "\(id)", "path": "\(path)", "baud": "\(baud)"])
        var framer = LineFramer()
        let reader = try DescriptorReader(descriptor: descriptor)
        while !Task.isCancelled {
            // Unplugged, or the pty's other end closed: gone.
            guard let bytes = try await reader.readDevice(timeout: framer.isInsideLine ? characterTimeout : nil) else {
                throw DeviceError.gone(path)
            }
            let frames = bytes.isEmpty ? [framer.pause()].compactMap { $0 } : framer.feed(bytes)
            for frame in frames { await handle(frame) }
        }
    }
}
