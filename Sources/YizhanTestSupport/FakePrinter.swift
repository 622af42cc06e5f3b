import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What a test printer is doing, which decides its answers to `DLE EOT`.
public enum FakePrinterCondition: Sendable {
    case ready, offline, coverOpen, paperOut, paperNearEnd, silent

    /// The reply to `DLE EOT n`, or nil for a printer that does not answer.
    func reply(_ n: UInt8) -> UInt8? {
        switch (self, n) {
        case (.silent, _): nil
        case (.offline, 1), (.coverOpen, 1): 0x1A
        case (.coverOpen, 2): 0x16
        case (.paperOut, 4): 0x72
        case (.paperNearEnd, 4): 0x1E
        default: 0x12
        }
    }

    /// Takes the job bytes out of `pending` and answers the status requests among them, as a
    /// printer does; a request split across reads stays pending.
    func consume(_ pending: inout [UInt8]) -> (job: [UInt8], replies: [UInt8]) {
        var job: [UInt8] = []
        var replies: [UInt8] = []
        while !pending.isEmpty {
            if pending.count >= 3, pending[0] == 0x10, pending[1] == 0x04 {
                if let byte = reply(pending[2]) { replies.append(byte) }
                pending.removeFirst(3)
            } else if pending.count < 3, pending[0] == 0x10 {
                break
            } else {
                job.append(pending.removeFirst())
            }
        }
        return (job, replies)
    }
}

/// A receipt printer a test can switch between conditions and read the jobs of.
public protocol FakePrinter: AnyObject, Sendable {
    var condition: FakePrinterCondition { get set }
    /// The jobs received, status requests taken out.
    var jobs: [[UInt8]] { get }
    /// The `[printer]` table that sends yizhand's slips here.
    var config: String { get }
}

/// A network receipt printer on 127.0.0.1: records every byte of every job and answers
/// `DLE EOT n` with the status byte of its current condition, which a test switches
/// (paper out, cover open, offline, near end, silent).
public final class FakeNetworkPrinter: FakePrinter, @unchecked Sendable {
    public typealias Condition = FakePrinterCondition

    public let port: Int
    private let listener: Int32
    private let state = Mutex<(condition: Condition, jobs: [[UInt8]], hangUpAfter: Int?)>((.ready, [], nil))
    private let closed = NSCondition()
    private var connectionsClosed = 0

    public init() throws {
        listener = try listeningSocket(port: 0)
        port = boundPort(listener)
        let thread = Thread { [self] in self.serve() }
        thread.start()
    }

    public var condition: Condition {
        get { state.withLock { $0.condition } }
        set { state.withLock { $0.condition = newValue } }
    }

    public var config: String { "[printer]\ntransport = \"tcp\"\nhost = \"127.0.0.1\"\nport = \(port)\n" }

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
                let (job, replies) = condition.consume(&pending)
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
                // Recorded before the answer, so a job the sender saw answered is a job here.
                _ = send(connection, replies, replies.count, 0)
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

/// A serial receipt printer on a pty: the code under test opens `path` like
/// `/dev/ttyUSB0`; the printer records what arrives, answers `DLE EOT n` for its current
/// condition, and can be unplugged. A serial line has no connections, so jobs are told
/// apart by their cut command.
public final class FakeSerialPrinter: FakePrinter, @unchecked Sendable {
    private let terminal: PseudoTerminal
    /// Held open so the pty stays up between the jobs, as a serial port does.
    private let slave: Int32
    private let state = Mutex<(condition: FakePrinterCondition, received: [UInt8])>((.ready, []))
    private let arrived = NSCondition()
    /// Written to stop the reader, which alone closes the master: a descriptor closed under
    /// a running reader could be reused by the next test's pty.
    private let stopper: (read: Int32, write: Int32)
    private let stopped = DispatchSemaphore(value: 0)
    private let unplugged = Mutex(false)

    public var path: String { terminal.path }
    public var config: String { "[printer]\ntransport = \"serial\"\npath = \"\(path)\"\nbaud = 115200\n" }

    public init() throws {
        terminal = try PseudoTerminal()
        slave = open(terminal.path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        var settings = termios()
        tcgetattr(slave, &settings)
        cfmakeraw(&settings)
        tcsetattr(slave, TCSANOW, &settings)
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw CocoaError(.fileWriteUnknown) }
        stopper = (pipeEnds[0], pipeEnds[1])
        let (terminal, stopper, stopped) = (terminal, stopper, stopped)
        let thread = Thread { [self] in
            self.serve(terminal.master, stopper: stopper.read)
            terminal.close()
            stopped.signal()
        }
        thread.start()
    }

    public var condition: FakePrinterCondition {
        get { state.withLock { $0.condition } }
        set { state.withLock { $0.condition = newValue } }
    }

    /// The jobs received, status requests taken out, each ending with its cut.
    public var jobs: [[UInt8]] {
        let received = state.withLock { $0.received }
        var jobs: [[UInt8]] = []
        var start = 0
        for index in received.indices where index >= 3 && received[(index - 3)..<index] == [0x1D, 0x56, 0x42] {
            jobs.append(Array(received[start...index]))
            start = index + 1
        }
        return jobs
    }

    /// Waits until `count` whole jobs have arrived.
    public func waitForJobs(_ count: Int, timeout: Duration = .seconds(20)) -> Bool {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds))
        arrived.lock()
        defer { arrived.unlock() }
        while jobs.count < count {
            if !arrived.wait(until: deadline) { return false }
        }
        return true
    }

    /// Unplugs the printer: the port's other end is gone.
    public func unplug() {
        guard
            !unplugged.withLock({ (done: inout Bool) in
                defer { done = true }
                return done
            })
        else { return }
        _ = write(stopper.write, "x", 1)
        stopped.wait()
        close(stopper.write)
        close(stopper.read)
    }

    private func serve(_ master: Int32, stopper: Int32) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            var watched = [pollfd(fd: master, events: Int16(POLLIN), revents: 0), pollfd(fd: stopper, events: Int16(POLLIN), revents: 0)]
            if poll(&watched, 2, -1) < 0 && errno == EINTR { continue }
            if watched[1].revents != 0 { return }
            let count = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
            if count <= 0 { return }
            pending += buffer.prefix(count)
            let (job, replies) = condition.consume(&pending)
            // Recorded before the answer, so a job the sender saw answered is a job here.
            arrived.lock()
            state.withLock { $0.received += job }
            arrived.broadcast()
            arrived.unlock()
            if !replies.isEmpty { _ = write(master, replies, replies.count) }
        }
    }

    deinit {
        unplug()
        close(slave)
    }
}
