import Foundation
import Glibc
import Synchronization
import Testing
import YizhanSystem

@Suite struct KernelWaitTests {
    /// A signal cuts `poll` short, and it is called again for the time left, not for the
    /// whole timeout: with a signal every 20 ms, a 300 ms wait that started again each time
    /// would not end until the signals stopped (after 5 s).
    @Test func aWaitInterruptedBySignalsStillEndsAtItsTimeout() throws {
        // A handler, so that the signal interrupts the wait instead of ending the process.
        signal(SIGUSR2) { _ in }
        let pipe = try Kernel.nonBlockingPipe()
        defer {
            try? pipe.read.close()
            try? pipe.write.close()
        }
        let waiter = Mutex<pthread_t?>(nil)
        let result = Mutex<(took: Duration, events: [Kernel.Events])?>(nil)
        // The waiting thread stays until told, so the signals never target a thread gone.
        let (waited, leave) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        Thread {
            // Unblocked here whatever the test runner's threads block.
            var signals = sigset_t()
            sigemptyset(&signals)
            sigaddset(&signals, SIGUSR2)
            pthread_sigmask(SIG_UNBLOCK, &signals, nil)
            waiter.withLock { $0 = pthread_self() }
            let start = ContinuousClock.now
            let events = Kernel.poll([(pipe.read, .readable)], timeout: .milliseconds(300))
            result.withLock { $0 = (start.duration(to: .now), events) }
            waited.signal()
            leave.wait()
        }.start()
        let giveUp = ContinuousClock.now + .seconds(5)
        while result.withLock({ $0 == nil }) && ContinuousClock.now < giveUp {
            if let thread = waiter.withLock({ $0 }) { pthread_kill(thread, SIGUSR2) }
            usleep(20_000)
        }
        waited.wait()
        leave.signal()
        let (took, events) = try #require(result.withLock { $0 })
        #expect(events == [[]], "nothing was written")
        #expect(took >= .milliseconds(300) && took < .seconds(2), "\(took)")
    }
}
