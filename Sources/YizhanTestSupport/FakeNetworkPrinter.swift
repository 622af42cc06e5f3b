import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A network receipt printer on 127.0.0.1: records every byte of every job and answers
/// `DLE EOT n` with the status byte of its current condition, which a test switches
/// (paper out, cover open, offline, near end, silent).
public final class FakeNetworkPrinter: @unchecked Sendable {
    public enum Condition: Sendable {
        case ready, offline, coverOpen, paperOut, paperNearEnd, silent
    }

    public let port: Int
    private let listener: Int32
    private let state = Mutex<(condition: Condition, jobs: [[UInt8]], hangUpAfter: Int?)>((.ready, [], nil))
    private let closed = NSCondition()
    private var connectionsClosed = 0

    public init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(listener, pointer, length) == 0 && listen(listener, 8) == 0 && getsockname(listener, pointer, &length) == 0
            }
        }
        guard bound else { throw CocoaError(.fileWriteUnknown) }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in self.serve() }
        thread.start()
    }

    public var condition: Condition {
        get { state.withLock { $0.condition } }
        set { state.withLock { $0.condition = newValue } }
    }

    /// The next job breaks off after this many bytes: the printer resets the connection, as
    /// one that is switched off or unplugged mid-job.
    public var hangUpAfter: Int? {
        get { state.withLock { $0.hangUpAfter } }
        set { state.withLock { $0.hangUpAfter = newValue } }
    }

    /// Each connection's job bytes, status requests taken out.
    public var jobs: [[UInt8]] { state.withLock { $0.jobs.filter { !$0.isEmpty } } }

    /// Waits until `count` connections have ended (a sender closes when its job is done).
    public func waitForConnections(_ count: Int, timeout: Duration = .seconds(20)) -> Bool {
        closed.lock()
        defer { closed.unlock() }
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds))
        while connectionsClosed < count {
            if !closed.wait(until: deadline) { return false }
        }
        return true
    }

    /// The reply to `DLE EOT n`, or nil for a printer that does not answer.
    func reply(_ n: UInt8) -> UInt8? {
        switch (condition, n) {
        case (.silent, _): nil
        case (.offline, 1), (.coverOpen, 1): 0x1A
        case (.coverOpen, 2): 0x16
        case (.paperOut, 4): 0x72
        case (.paperNearEnd, 4): 0x1E
        default: 0x12
        }
    }

    private func serve() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            let index = state.withLock { state in
                state.jobs.append([])
                return state.jobs.count - 1
            }
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 8192)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
                if count <= 0 { break }
                pending += buffer.prefix(count)
                var job: [UInt8] = []
                while !pending.isEmpty {
                    if pending.count >= 3, pending[0] == 0x10, pending[1] == 0x04 {
                        if var byte = reply(pending[2]) { _ = send(connection, &byte, 1, 0) }
                        pending.removeFirst(3)
                    } else if pending.count < 3, pending[0] == 0x10 {
                        break  // a request split across reads
                    } else {
                        job.append(pending.removeFirst())
                    }
                }
                let hangUp = state.withLock { state in
                    state.jobs[index] += job
                    guard let limit = state.hangUpAfter, state.jobs[index].count >= limit else { return false }
                    state.hangUpAfter = nil
                    return true
                }
                if hangUp {
                    // A reset, not an orderly close: nothing more is read or answered.
                    var reset = linger(l_onoff: 1, l_linger: 0)
                    setsockopt(connection, SOL_SOCKET, SO_LINGER, &reset, socklen_t(MemoryLayout<linger>.size))
                    break
                }
            }
            close(connection)
            closed.lock()
            connectionsClosed += 1
            closed.broadcast()
            closed.unlock()
        }
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}
