import Foundation
import YizhanSystem

/// A serial scanner (USB CDC-ACM `/dev/ttyACM*`, RS-232): raw termios at the configured
/// baud rate, scans framed by CR, LF or CRLF, bytes passed on untouched so UTF-8 payloads
/// arrive intact.
public final class SerialScanner: ScannerDevice {
    public let id: String
    public let path: String
    public let baud: Int
    /// A pause this long inside a line means the line broke off.
    public let characterTimeout: Duration

    public init(id: String, path: String, baud: Int, characterTimeout: Duration = .milliseconds(100)) {
        self.id = id
        self.path = path
        self.baud = baud
        self.characterTimeout = characterTimeout
    }

    public func run(opened: @Sendable (_ detail: String) -> Void, handle: @Sendable (LineFramer.Frame) async -> Void) async throws {
        let descriptor = try SerialPort.open(path, baud: baud)
        defer { try? descriptor.close() }
        opened(detail(path: path, node: path, "\(baud) baud"))
        var framer = LineFramer()
        let reader = DescriptorReader(descriptor: descriptor)
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
