import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A pty pair standing in for a serial scanner: the test writes scans into the master, the
/// code under test opens the slave path like `/dev/ttyACM0`. Closing the master is an unplug.
public final class PseudoTerminal: @unchecked Sendable {
    public private(set) var master: Int32
    /// The slave's path, e.g. `/dev/pts/7`.
    public let path: String

    public init() throws {
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw CocoaError(.fileReadNoPermission) }
        var unlock: Int32 = 0
        var number: UInt32 = 0
        // TIOCSPTLCK and TIOCGPTN: unlock the slave and learn its number.
        guard ioctl(master, 0x4004_5431, &unlock) == 0, ioctl(master, 0x8004_5430, &number) == 0 else {
            Glibc.close(master)
            throw CocoaError(.fileReadUnknown)
        }
        path = "/dev/pts/\(number)"
    }

    /// Writes bytes as the scanner would send them.
    public func send(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
            if count <= 0 { return }
            sent += count
        }
    }

    public func send(_ text: String) {
        send(Array(text.utf8))
    }

    /// Unplugs the scanner: the slave's reader sees the end.
    public func close() {
        guard master >= 0 else { return }
        Glibc.close(master)
        master = -1
    }

    deinit {
        close()
    }
}
