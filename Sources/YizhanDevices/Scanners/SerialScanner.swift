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
        let descriptor = try open()
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

    private func open() throws -> Int32 {
        let descriptor = Glibc.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw DeviceError.system("open \(path)", errno) }
        do {
            try configure(descriptor)
        } catch {
            close(descriptor)
            throw error
        }
        return descriptor
    }

    /// Raw mode (no echo, no line editing, no CR/LF translation, 8 bits), the baud rate,
    /// receiver on, modem control lines ignored; then DTR and RTS raised for scanners that
    /// wait for them, which a pty cannot do and need not.
    private func configure(_ descriptor: Int32) throws {
        var settings = termios()
        guard tcgetattr(descriptor, &settings) == 0 else { throw DeviceError.system("tcgetattr \(path)", errno) }
        cfmakeraw(&settings)
        settings.c_cflag |= tcflag_t(CLOCAL | CREAD)
        let speed = try Self.speed(baud)
        cfsetispeed(&settings, speed)
        cfsetospeed(&settings, speed)
        guard tcsetattr(descriptor, TCSANOW, &settings) == 0 else { throw DeviceError.system("tcsetattr \(path)", errno) }
        tcflush(descriptor, TCIFLUSH)
        var lines = Int32(TIOCM_DTR | TIOCM_RTS)
        if ioctl(descriptor, UInt(TIOCMBIS), &lines) != 0 {
            logger.debug("modem lines not settable", metadata: ["scanner": "\(id)", "errno": "\(errno)"])
        }
    }

    static func speed(_ baud: Int) throws -> speed_t {
        let speeds: [Int: Int32] = [
            1200: B1200, 2400: B2400, 4800: B4800, 9600: B9600, 19200: B19200, 38400: B38400, 57600: B57600, 115_200: B115200,
            230_400: B230400, 460_800: B460800, 921_600: B921600,
        ]
        guard let speed = speeds[baud] else { throw DeviceError.system("baud \(baud)", EINVAL) }
        return speed_t(speed)
    }
}
