import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The sd_notify protocol in a few lines: datagrams like `READY=1` to the Unix socket
/// named by `$NOTIFY_SOCKET` (an `@` prefix means the abstract namespace). Without the
/// variable, as outside systemd, it does nothing. It never blocks: when the receiver's
/// queue is full the message is dropped, because a scan must not wait for systemd.
struct SystemdNotifier: Sendable {
    let path: String?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        path = environment["NOTIFY_SOCKET"]
    }

    func send(_ message: String) {
        guard let path, !path.isEmpty else { return }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let payload = Array(message.utf8)
        _ = withUnixAddress(path) { address, length in
            payload.withUnsafeBytes {
                sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL), address, length)
            }
        }
    }
}

/// Calls `ready` once when `expected` parts have reported in.
final class Readiness: Sendable {
    private let remaining: Mutex<Int>
    private let ready: @Sendable () -> Void

    init(expected: Int, ready: @escaping @Sendable () -> Void) {
        remaining = Mutex(expected)
        self.ready = ready
    }

    func arrived() {
        let done = remaining.withLock { count -> Bool in
            count -= 1
            return count == 0
        }
        if done { ready() }
    }
}
