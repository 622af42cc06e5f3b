import CLinux
import Glibc
import Synchronization
import YizhanSystem

/// The thread that waits for the station's devices, and runs what a scanner starts.
///
/// A scan used to wake three sleeping threads before its event could go out: two of
/// libdispatch's, one waiting in `poll` for the scanner's descriptor, then a worker-pool
/// thread for the task that waited on it. Under a storm of API reads both cores are busy,
/// and each woken thread waits for one. This thread does all of it. It runs the jobs of
/// tasks that prefer it (`withTaskExecutorPreference`) and, when it has none, sleeps in
/// `poll` on every descriptor a task waits for (`waitUntilReadable`). A scanner's task prefers it, so its
/// bytes wake this thread once, and the scan goes on here through the framing, the
/// station (a free default actor runs on its caller's preferred executor) and the commit.
/// A task that prefers nothing (a button, the config watcher) is woken here and resumed on
/// the worker pool, as before.
///
/// Its jobs are a scan's work and the waits between: short. A device that needs a long
/// computation should not run it here, or the other scanners wait for it.
public final class DeviceThread: TaskExecutor, @unchecked Sendable {
    /// The daemon's one device thread.
    public static let shared = DeviceThread(name: "yizhan-devices")

    private struct Waiter {
        var descriptor: FileDescriptor
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var jobs: [UnownedJob] = []
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
        /// The thread is in `poll` (or about to be) with the waiters it had then.
        var polling = false
        /// The doorbell has been rung since the thread last looked.
        var rung = false
        var stopped = false

        /// Whether something just added needs the thread woken: only while it sleeps in
        /// `poll`, and once until it looks again.
        mutating func wakes() -> Bool {
            guard polling, !rung else { return false }
            rung = true
            return true
        }
    }

    private let state = Mutex(State())
    private let threadName: String
    private var thread = pthread_t()
    /// A pipe whose byte wakes the thread from `poll` for a job or a new waiter.
    private let doorbell: (read: FileDescriptor, write: FileDescriptor)

    public init(name: String) {
        threadName = name
        do { doorbell = try Kernel.nonBlockingPipe() } catch { preconditionFailure("cannot make the device thread's pipe: \(error)") }
        let result = pthread_create(
            &thread, nil,
            { context in
                Unmanaged<DeviceThread>.fromOpaque(context!).takeRetainedValue().run()
                return nil
            }, Unmanaged.passRetained(self).toOpaque())
        precondition(result == 0, "cannot start the device thread: \(String(cString: strerror(result)))")
    }

    /// Ends the thread once its jobs have run, and returns when it has. The daemon's
    /// thread lives as long as the process; a test's ends with its test.
    ///
    /// Called from one of its own jobs (in a task that prefers this thread), it cannot wait
    /// for itself: the thread ends as soon as that job returns.
    public func shutDown() {
        let ring = state.withLock { state in
            state.stopped = true
            return state.wakes()
        }
        if ring { ringDoorbell() }
        if pthread_equal(thread, pthread_self()) != 0 {
            pthread_detach(thread)
        } else {
            pthread_join(thread, nil)
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let ring = state.withLock { state in
            state.jobs.append(job)
            return state.wakes()
        }
        if ring { ringDoorbell() }
    }

    /// Returns once `descriptor` is readable, hung up or closed, or the task is cancelled.
    public func waitUntilReadable(_ descriptor: FileDescriptor) async {
        let key = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // A cancellation that came before this finds nothing to resume, and is seen here.
                let (registered, ring) = state.withLock { state in
                    guard !Task.isCancelled else { return (false, false) }
                    state.waiters[key] = Waiter(descriptor: descriptor, continuation: continuation)
                    return (true, state.wakes())
                }
                if !registered { continuation.resume() }
                if ring { ringDoorbell() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: key) }?.continuation.resume()
        }
    }

    private func run() {
        yizhan_name_this_thread(threadName)
        _ = yizhan_request_time_slice(shortSlice)
        let executor = asUnownedTaskExecutor()
        var jobs: [UnownedJob] = []
        while true {
            let watched = state.withLock { state -> [(key: Int, descriptor: FileDescriptor)]? in
                swap(&jobs, &state.jobs)
                if !jobs.isEmpty { return [] }
                if state.stopped { return nil }
                state.polling = true
                return state.waiters.map { ($0.key, $0.value.descriptor) }
            }
            guard let watched else {
                // Nothing rings once stopped: only a thread in `poll` is rung.
                try? doorbell.read.close()
                try? doorbell.write.close()
                return
            }
            if !jobs.isEmpty {
                for job in jobs { job.runSynchronously(on: executor) }
                jobs.removeAll(keepingCapacity: true)
                continue
            }
            let events = Kernel.poll([(doorbell.read, .readable)] + watched.map { ($0.descriptor, .readable) }, timeout: nil)
            // Its own pipe, read past `Kernel`'s fault hooks: a test's injected fault is for the station's I/O.
            var rings = (UInt64(0), UInt64(0))
            if !events[0].isEmpty { _ = read(doorbell.read.rawValue, &rings, 16) }
            let ready = state.withLock { state in
                state.polling = false
                state.rung = false
                return zip(watched, events.dropFirst()).compactMap { waiter, events in
                    events.isEmpty ? nil : state.waiters.removeValue(forKey: waiter.key)?.continuation
                }
            }
            // A task that prefers this thread is enqueued here again, and runs next.
            for continuation in ready { continuation.resume() }
        }
    }

    private func ringDoorbell() {
        _ = write(doorbell.write.rawValue, "!", 1)
    }
}
