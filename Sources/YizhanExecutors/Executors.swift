import CLinux
import Foundation
import Glibc
import Synchronization
@_spi(ExperimentalCustomExecutors) @_spi(ExperimentalScheduling) import _Concurrency

/// Swift concurrency's main and default executors for a daemon that must sleep when idle.
///
/// On Linux the runtime's own executors are libdispatch's, whose worker pool keeps a timer
/// firing every second for the life of the process once any task has run (it watches for
/// stalled workers). These run jobs on a fixed set of threads that wait on a condition
/// variable until a job or a timer is due, so an idle process is woken only by its own
/// timers, its devices and its clients. The executable names them as its
/// `DefaultExecutorFactory`.
///
/// Their threads ask the kernel for its shortest time slice (`shortSlice`), and the
/// threads they start inherit it. A scan's work comes in short bursts; with a short slice
/// a woken thread preempts one that has run for longer, such as an event loop that
/// clients keep busy, instead of waiting for a core behind their reads.
///
/// `YIZHAN_EXECUTORS=platform` in the environment switches back to the runtime's own
/// (`PlatformExecutorFactory`) for that run: to tell whether a fault is in these executors,
/// without a rebuild (README, "Switching back to Swift's own executors").
///
/// The runtime's factory protocol is still experimental SPI, so this is too.
@_spi(ExperimentalCustomExecutors) public enum SleepingExecutors: ExecutorFactory {
    @_spi(ExperimentalCustomExecutors) public static var mainExecutor: any MainExecutor {
        usePlatform ? PlatformExecutorFactory.mainExecutor : MainThreadExecutor.shared
    }
    @_spi(ExperimentalCustomExecutors) public static var defaultExecutor: any TaskExecutor {
        usePlatform ? PlatformExecutorFactory.defaultExecutor : WorkerPool.shared
    }

    /// Read when the runtime asks for the executors, before `main` runs.
    static var usePlatform: Bool { getenv("YIZHAN_EXECUTORS").map { String(cString: $0) } == "platform" }
}

/// The shortest time slice Linux takes (0.1 ms), in nanoseconds.
let shortSlice = yizhan_shortest_time_slice

/// A serial executor whose jobs run one at a time on the thread that calls `run()`.
class ThreadLoop: SerialExecutor, QueueingExecutor, @unchecked Sendable {
    let queue = JobQueue()
    private let runner = Mutex<pthread_t?>(nil)

    func run() throws {
        runner.withLock { $0 = pthread_self() }
        _ = yizhan_request_time_slice(shortSlice)
        while let job = queue.next() {
            job.runSynchronously(on: asUnownedSerialExecutor())
        }
    }

    func stop() {
        queue.stop()
    }

    func checkIsolated() {
        let isRunner = runner.withLock { runner in runner.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
        precondition(isRunner, "not on the thread that runs this executor")
    }
}

/// The main actor's executor: the loop the runtime runs on the process's main thread.
final class MainThreadExecutor: ThreadLoop, MainExecutor, @unchecked Sendable {
    static let shared = MainThreadExecutor()
}

/// Every other job: as many threads as processors (at least two, so one waiting on the
/// disk does not stop the rest), taking jobs from one queue.
final class WorkerPool: TaskExecutor, QueueingExecutor, @unchecked Sendable {
    static let shared = WorkerPool(threads: max(2, ProcessInfo.processInfo.activeProcessorCount))

    let queue = JobQueue()
    private var threads: [pthread_t] = []

    /// Threads are named `name-0`, `name-1`… (the kernel keeps 15 bytes of a name).
    init(threads count: Int, name: String = "yizhan-pool") {
        for index in 0..<count {
            threads.append(
                Self.start { [self] in
                    yizhan_name_this_thread("\(name)-\(index)")
                    _ = yizhan_request_time_slice(shortSlice)
                    while let job = queue.next() {
                        job.runSynchronously(on: asUnownedTaskExecutor())
                    }
                })
        }
    }

    /// Stops taking jobs and returns once every thread has ended. The daemon's pool lives
    /// as long as the process; a test's pool ends with its test.
    func shutDown() {
        queue.stop()
        for thread in threads { pthread_join(thread, nil) }
    }

    /// A thread of our own rather than Foundation's `Thread`, so that it can be joined.
    private static func start(_ body: @escaping () -> Void) -> pthread_t {
        final class Body {
            let run: () -> Void
            init(_ run: @escaping () -> Void) { self.run = run }
        }
        var thread = pthread_t()
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        let result = pthread_create(
            &thread, nil,
            { context in
                Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
                return nil
            }, context)
        precondition(result == 0, "cannot start a pool thread: \(String(cString: strerror(result)))")
        return thread
    }
}

/// Both executors hand their jobs to a `JobQueue`, now or at a deadline.
protocol QueueingExecutor: SchedulingExecutor {
    var queue: JobQueue { get }
}

extension QueueingExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        queue.enqueue(UnownedJob(job))
    }

    func enqueue<C: Clock>(_ job: consuming ExecutorJob, after delay: C.Duration, tolerance: C.Duration?, clock: C) {
        queue.enqueue(UnownedJob(job), at: Self.deadline(after: delay))
    }

    func enqueue<C: Clock>(_ job: consuming ExecutorJob, at instant: C.Instant, tolerance: C.Duration?, clock: C) {
        queue.enqueue(UnownedJob(job), at: Self.deadline(after: clock.now.duration(to: instant)))
    }

    /// `JobQueue.now()` plus `delay`, for the clocks the standard library has (their
    /// durations are `Duration`); a delay already past, or of another clock, is due at once.
    private static func deadline<D: DurationProtocol>(after delay: D) -> UInt64 {
        guard let delay = delay as? Duration, delay > .zero else { return JobQueue.now() }
        let (seconds, attoseconds) = delay.components
        let nanoseconds = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !nanoseconds.overflow else { return .max }
        let deadline = JobQueue.now().addingReportingOverflow(UInt64(nanoseconds.partialValue + attoseconds / 1_000_000_000))
        return deadline.overflow ? .max : deadline.partialValue
    }
}
