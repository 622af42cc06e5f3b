import Foundation
import Synchronization
import Testing

@testable import YizhanExecutors

/// The executors `yizhand` runs its tasks on, driven here as a task executor preference and
/// as an actor's executor (only the executable can make them the process's defaults; the
/// end-to-end tests check that it does).
///
/// A class, so that each test's pool is shut down when the test ends: no test leaves a
/// thread running.
@Suite final class SleepingExecutorsTests {
    /// A pool of its own for each test, so one test's jobs never delay another's timers.
    let pool = WorkerPool(threads: 2)

    deinit {
        pool.shutDown()
    }

    /// The threads of this process whose names start with `prefix`.
    static func threads(named prefix: String) -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { $0.hasPrefix(prefix) }
    }

    /// The kernel's name for the calling thread.
    static func threadName() -> String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func everyJobRunsOnThePoolThreadsAndNoneIsLost() async {
        let (sum, threads) = await withTaskExecutorPreference(pool) {
            await withTaskGroup(of: (Int, String).self) { group in
                for value in 1...5_000 { group.addTask { (value, Self.threadName()) } }
                var sum = 0
                var threads: Set<String> = []
                for await (value, thread) in group {
                    sum += value
                    threads.insert(thread)
                }
                return (sum, threads)
            }
        }
        #expect(sum == 5_000 * 5_001 / 2)
        #expect(!threads.isEmpty && threads.allSatisfy { $0.hasPrefix("yizhan-pool-") }, "\(threads)")
    }

    @Test func sleepersWakeInDeadlineOrderAndNeverEarly() async {
        let woken = Record<Int>()
        let early = Record<Int>()
        // Deadlines from one instant, far enough ahead that every sleeper is waiting before
        // the first is due, and far enough apart that a loaded machine's delay between a
        // wake-up and its record cannot reorder them: the order tested is the timers'.
        let base = ContinuousClock.now + .milliseconds(500)
        await withTaskExecutorPreference(pool) {
            await withTaskGroup(of: Void.self) { group in
                for milliseconds in [600, 200, 0, 400, 800] {
                    group.addTask {
                        let deadline = base + .milliseconds(milliseconds)
                        try? await Task.sleep(until: deadline)
                        if ContinuousClock.now < deadline { early.append(milliseconds) }
                        woken.append(milliseconds)
                    }
                }
            }
        }
        #expect(woken.items == [0, 200, 400, 600, 800])
        #expect(early.items.isEmpty)
    }

    /// A hop to an actor and back is a job this thread enqueues and then waits for: it is
    /// left for this thread instead of waking another one to pass it over. (An idle board's
    /// watchdog ping makes such hops; each wake-up of another thread is one it pays for.)
    /// The new pool's other thread may find one of them as it first looks at the queue, if
    /// it starts late (a loaded machine); after that it sleeps. Waking it for each hop
    /// moves the hops between the threads hundreds of times in these 2,000.
    @Test func hopsToAnActorAndBackStayOnOneThread() async {
        let (threads, switches) = await withTaskExecutorPreference(pool) {
            let recorder = ThreadRecorder()
            for _ in 0..<1_000 {
                await recorder.record()
                await recorder.record(nonisolatedOn: Self.threadName())
            }
            return (await recorder.threads, await recorder.switches)
        }
        #expect(switches <= 1, "\(switches) moves between \(threads)")
    }

    @Test func aCancelledSleepEndsAtOnce() async {
        let started = ContinuousClock.now
        await withTaskExecutorPreference(pool) {
            let sleeper = Task { try await Task.sleep(for: .seconds(600)) }
            sleeper.cancel()
            #expect(await sleeper.result.isFailure)
        }
        #expect(ContinuousClock.now - started < .seconds(600))
    }

    @Test func aPoolThatIsShutDownLeavesNoThread() async {
        let name = "tp-\(UInt16.random(in: 0...UInt16.max))"
        let other = WorkerPool(threads: 3, name: name)
        let ran = await withTaskExecutorPreference(other) { Self.threadName() }
        #expect(ran.hasPrefix(name + "-"))
        // The threads name themselves as they start: wait for all three, then end them.
        while Self.threads(named: name + "-").count < 3 { await Task.yield() }
        other.shutDown()
        // Each thread has returned; the kernel takes it off the list a moment after.
        let deadline = ContinuousClock.now + .seconds(5)
        while !Self.threads(named: name + "-").isEmpty && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(1)) }
        #expect(Self.threads(named: name + "-").isEmpty)
    }

    /// The main executor's loop runs one job at a time on the thread that runs it, and
    /// returns from `run()` when stopped. (A `MainExecutor` itself would be taken for the
    /// test process's main executor.)
    @Test func aThreadLoopRunsAnActorOnItsThreadUntilStopped() async throws {
        let loop = Record<(executor: ThreadLoop, thread: pthread_t)>()
        let finished = Record<Bool>()
        Thread {
            let executor = ThreadLoop()
            loop.append((executor, pthread_self()))
            try? executor.run()
            finished.append(true)
        }.start()
        while loop.items.isEmpty { await Task.yield() }
        let (executor, loopThread) = try #require(loop.items.first)

        let counter = Counter(executor: executor)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<1_000 { group.addTask { await counter.increment() } }
        }
        #expect(await counter.count == 1_000)
        let threads = await counter.threads
        #expect(threads == [loopThread])

        executor.stop()
        while finished.items.isEmpty { await Task.yield() }
    }
}

/// Values appended from many tasks.
final class Record<Item: Sendable>: Sendable {
    private let storage = Mutex<[Item]>([])

    func append(_ item: Item) { storage.withLock { $0.append(item) } }
    var items: [Item] { storage.withLock { $0 } }
}

/// A default actor (run on the task's preferred executor) noting the threads it and its
/// callers run on.
actor ThreadRecorder {
    var threads: Set<String> = []
    /// How often a record came from another thread than the one before it.
    var switches = 0
    private var last: String?

    func record() { record(nonisolatedOn: SleepingExecutorsTests.threadName()) }
    func record(nonisolatedOn thread: String) {
        if let last, last != thread { switches += 1 }
        last = thread
        threads.insert(thread)
    }
}

/// An actor isolated to a given thread loop, counting what it is asked to.
private actor Counter {
    let executor: ThreadLoop
    var count = 0
    var threads: Set<pthread_t> = []

    init(executor: ThreadLoop) {
        self.executor = executor
    }

    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    func increment() {
        executor.checkIsolated()
        count += 1
        threads.insert(pthread_self())
    }
}

extension Result {
    fileprivate var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
