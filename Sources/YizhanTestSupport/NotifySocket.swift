import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A stand-in for systemd's notify socket: a Unix datagram socket that a daemon started with
/// `NOTIFY_SOCKET` set sends `READY=1`, `STATUS=…` and `STOPPING=1` to.
public final class NotifySocket: @unchecked Sendable {
    public let path: String
    private let descriptor: Int32

    public init(path: String) throws {
        self.path = path
        unlink(path)
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard descriptor >= 0, bound == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    /// The next datagram, or nil when none comes within `timeout`.
    public func receive(timeout: Duration) -> String? {
        // A zero timeval would mean "wait for ever": sub-second timeouts keep their
        // microseconds, and nothing shorter than one is asked for.
        let microseconds = max(1, timeout.components.seconds * 1_000_000 + timeout.components.attoseconds / 1_000_000_000_000)
        var wait = timeval(tv_sec: Int(microseconds / 1_000_000), tv_usec: Int(microseconds % 1_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        return count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : nil
    }

    /// Waits for a datagram containing `line`, skipping others.
    public func wait(for line: String, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let message = receive(timeout: deadline - ContinuousClock.now + .seconds(1)) else { return false }
            if message.split(separator: "\n").contains(Substring(line)) { return true }
        }
        return false
    }

    /// Waits for a datagram that `matches`, skipping others.
    public func wait(timeout: Duration = .seconds(20), until matches: (String) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let message = receive(timeout: deadline - ContinuousClock.now + .seconds(1)) else { return false }
            if matches(message) { return true }
        }
        return false
    }
}
