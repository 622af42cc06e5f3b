import CLinux
import Glibc

/// Jobs to run now or at a time, shared by threads that sleep until one is due.
///
/// One waiting thread at a time keeps time (waits until the earliest timer, on a condition
/// of its own); the others wait for work. Every wake-up of a sleeping thread is one the
/// board pays for, so a thread is woken only for work no awake thread will take: a job a
/// queue's own thread enqueues into an empty queue (an actor hop and the hop back, a task
/// resumed by the job that ran before it) is left for that thread, which takes it as soon
/// as its current job returns, and a timer it sets it keeps itself. An idle daemon's timer
/// then costs one wake-up, not one for every hop its job makes.
final class JobQueue: @unchecked Sendable {
    private struct Timer {
        var deadline: UInt64
        var job: UnownedJob
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Threads waiting for a job.
    private let work = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// The timekeeper, waiting until the earliest timer.
    private let time = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `mutex`.
    private var ready: [UnownedJob] = []
    private var readyHead = 0
    /// Latest first, so the earliest is the last.
    private var timers: [Timer] = []
    private var hasTimekeeper = false
    private var waitingForWork = 0
    private var stopped = false

    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(work, &attributes)
        pthread_cond_init(time, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(work)
        pthread_cond_destroy(time)
        pthread_mutex_destroy(mutex)
        work.deallocate()
        time.deallocate()
        mutex.deallocate()
    }

    /// A job on these threads is short (the longest is a scan's commit, a few milliseconds):
    /// a timer due later than this is kept by the thread that runs the job, once it returns.
    static let handOffHorizon: UInt64 = 10_000_000

    /// Now on `CLOCK_MONOTONIC`, in nanoseconds: the clock timers are kept on.
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// What a thread that takes its jobs from this queue holds in its thread-local variable.
    private var identity: UnsafeRawPointer { UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque()) }

    /// Whether the calling thread takes its jobs from this queue.
    private var isOwnThread: Bool { yizhan_current_job_queue() == identity }

    func enqueue(_ job: UnownedJob) {
        let ownThread = isOwnThread
        locked {
            let idle = readyHead == ready.count
            ready.append(job)
            if !(ownThread && idle) { wakeOne() }
        }
    }

    /// Runs `job` once `deadline` (`now()` nanoseconds) has passed.
    func enqueue(_ job: UnownedJob, at deadline: UInt64) {
        let ownThread = isOwnThread
        locked {
            var low = 0
            var high = timers.count
            while low < high {
                let middle = (low + high) / 2
                if timers[middle].deadline > deadline { low = middle + 1 } else { high = middle }
            }
            timers.insert(Timer(deadline: deadline, job: job), at: low)
            guard low == timers.count - 1 else { return }
            // The earliest timer now: the timekeeper waits for a later one, or nobody keeps
            // time and a waiting thread must (unless this thread will, once its job returns).
            if hasTimekeeper {
                pthread_cond_signal(time)
            } else if !ownThread && waitingForWork > 0 {
                pthread_cond_signal(work)
            }
        }
    }

    /// The next job due, waiting until there is one; nil once stopped.
    func next() -> UnownedJob? {
        yizhan_set_current_job_queue(identity)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !stopped {
            if !timers.isEmpty {
                let now = Self.now()
                while let timer = timers.last, timer.deadline <= now {
                    timers.removeLast()
                    ready.append(timer.job)
                }
            }
            if readyHead < ready.count {
                let job = ready[readyHead]
                readyHead += 1
                if readyHead == ready.count {
                    ready.removeAll(keepingCapacity: true)
                    readyHead = 0
                }
                // Another thread takes the rest, or keeps time while this one works if a
                // timer is due before this job is likely to return (a far one this thread
                // keeps itself when it comes back).
                if readyHead < ready.count {
                    wakeOne()
                } else if let earliest = timers.last, !hasTimekeeper, waitingForWork > 0,
                    earliest.deadline <= Self.now() + Self.handOffHorizon
                {
                    pthread_cond_signal(work)
                }
                return job
            }
            if let earliest = timers.last, !hasTimekeeper {
                hasTimekeeper = true
                var deadline = timespec(tv_sec: Int(earliest.deadline / 1_000_000_000), tv_nsec: Int(earliest.deadline % 1_000_000_000))
                pthread_cond_timedwait(time, mutex, &deadline)
                hasTimekeeper = false
            } else {
                waitingForWork += 1
                pthread_cond_wait(work, mutex)
                waitingForWork -= 1
            }
        }
        return nil
    }

    /// Wakes every waiting thread for good: `next()` returns nil from now on.
    func stop() {
        locked {
            stopped = true
            pthread_cond_broadcast(work)
            pthread_cond_broadcast(time)
        }
    }

    /// Wakes a thread for a job: one waiting for work, else the timekeeper (which takes
    /// jobs as well). Called with `mutex` held.
    private func wakeOne() {
        if waitingForWork > 0 {
            pthread_cond_signal(work)
        } else if hasTimekeeper {
            pthread_cond_signal(time)
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}
