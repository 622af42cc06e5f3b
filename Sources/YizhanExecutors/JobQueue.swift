import Glibc

/// Jobs to run now or at a time, shared by threads that sleep until one is due.
///
/// One waiting thread at a time keeps time (waits until the earliest timer); the others
/// wait for work, so a timer wakes one thread, not the whole pool, and a queue with nothing
/// due wakes nobody.
final class JobQueue: @unchecked Sendable {
    private struct Timer {
        var deadline: UInt64
        var job: UnownedJob
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `mutex`.
    private var ready: [UnownedJob] = []
    private var readyHead = 0
    /// Latest first, so the earliest is the last.
    private var timers: [Timer] = []
    private var hasTimekeeper = false
    private var stopped = false

    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Now on `CLOCK_MONOTONIC`, in nanoseconds: the clock timers are kept on.
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    func enqueue(_ job: UnownedJob) {
        locked { ready.append(job) }
        pthread_cond_signal(condition)
    }

    /// Runs `job` once `deadline` (`now()` nanoseconds) has passed.
    func enqueue(_ job: UnownedJob, at deadline: UInt64) {
        let isEarliest = locked {
            var low = 0
            var high = timers.count
            while low < high {
                let middle = (low + high) / 2
                if timers[middle].deadline > deadline { low = middle + 1 } else { high = middle }
            }
            timers.insert(Timer(deadline: deadline, job: job), at: low)
            return low == timers.count - 1
        }
        // The timekeeper waits for a later deadline, or nobody keeps time yet.
        if isEarliest { pthread_cond_broadcast(condition) }
    }

    /// The next job due, waiting until there is one; nil once stopped.
    func next() -> UnownedJob? {
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
                // Another thread takes the rest, or keeps time while this one works.
                if readyHead < ready.count || (!timers.isEmpty && !hasTimekeeper) { pthread_cond_signal(condition) }
                return job
            }
            if let earliest = timers.last, !hasTimekeeper {
                hasTimekeeper = true
                var deadline = timespec(tv_sec: Int(earliest.deadline / 1_000_000_000), tv_nsec: Int(earliest.deadline % 1_000_000_000))
                pthread_cond_timedwait(condition, mutex, &deadline)
                hasTimekeeper = false
            } else {
                pthread_cond_wait(condition, mutex)
            }
        }
        return nil
    }

    /// Wakes every waiting thread for good: `next()` returns nil from now on.
    func stop() {
        locked { stopped = true }
        pthread_cond_broadcast(condition)
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}
