import Foundation
import Synchronization
import YizhanSystem

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
        Kernel.sendDatagram(Array(message.utf8), toUnixSocket: path)
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
