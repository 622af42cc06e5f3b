import Foundation
import Glibc
import Testing
import YizhanSystem

@testable import YizhanExecutors

/// The thread that waits for the station's devices and runs what a scanner starts.
///
/// A class, so that each test's thread is ended when the test ends.
@Suite(.timeLimit(.minutes(1))) final class DeviceThreadTests {
    let name = "td-\(UInt16.random(in: 0...UInt16.max))"
    let devices: DeviceThread

    init() {
        devices = DeviceThread(name: name)
    }

    deinit {
        devices.shutDown()
    }

    /// A pipe whose read end does not block, standing in for a scanner's descriptor.
    final class Pipe: Sendable {
        let read: Int32
        let write: Int32

        init() {
            var ends: [Int32] = [-1, -1]
            precondition(pipe(&ends) == 0)
            (read, write) = (ends[0], ends[1])
            _ = fcntl(read, F_SETFL, O_NONBLOCK)
        }

        deinit {
            close(read)
            close(write)
        }

        func send() { _ = Glibc.write(write, "x", 1) }

        /// Reads what is waiting; how many bytes.
        func drain() -> Int {
            var buffer = [UInt8](repeating: 0, count: 64)
            return max(0, Glibc.read(read, &buffer, buffer.count))
        }

        /// Blocks until a byte comes (for the test's own thread, not a task's).
        func receive() {
            var pending = pollfd(fd: read, events: Int16(POLLIN), revents: 0)
            while poll(&pending, 1, -1) < 0 && errno == EINTR {}
            _ = drain()
        }
    }

    /// What a scanner's task does: woken by its descriptor, it goes through a default actor
    /// (the station) and back, all on the thread the descriptor woke, which is never one of
    /// the worker pool's.
    @Test func aTaskWokenByItsDescriptorRunsThroughAnActorOnTheDeviceThread() async {
        let (scanner, answered) = (Pipe(), Pipe())
        let recorder = ThreadRecorder()
        let rounds = 200
        // The other end of the scanner: a byte, then wait until the task has answered it.
        let sender = Thread {
            for _ in 0..<rounds {
                scanner.send()
                answered.receive()
            }
        }
        sender.start()
        let devices = self.devices
        let received = await withTaskExecutorPreference(devices) {
            var received = 0
            while received < rounds {
                await devices.waitUntilReadable(FileDescriptor(rawValue: scanner.read))
                received += scanner.drain()
                await recorder.record()
                await recorder.record(nonisolatedOn: SleepingExecutorsTests.threadName())
                answered.send()
            }
            return received
        }
        #expect(received == rounds)
        #expect(await recorder.threads == [name])
    }

    /// Each waiter is woken by its own descriptor and by no other's.
    @Test func waitersAreWokenEachByItsOwnDescriptor() async {
        let pipes = (0..<5).map { _ in Pipe() }
        let (devices, woken) = (self.devices, Record<Int>())
        await withTaskGroup(of: Void.self) { group in
            for (index, pipe) in pipes.enumerated() {
                group.addTask {
                    await devices.waitUntilReadable(FileDescriptor(rawValue: pipe.read))
                    woken.append(index)
                }
            }
            for index in pipes.indices.reversed() {
                pipes[index].send()
                // The one woken, before the next is written to.
                while woken.items.count < pipes.count - index { await Task.yield() }
            }
        }
        #expect(woken.items == [4, 3, 2, 1, 0])
    }

    /// A wait for a descriptor that never becomes readable ends when its task is cancelled,
    /// whether it is cancelled before its wait is registered or while it waits.
    @Test func aWaitEndsWhenItsTaskIsCancelled() async {
        let (devices, silent) = (self.devices, Pipe())
        for yields in 0..<50 {
            let waiter = Task { await devices.waitUntilReadable(FileDescriptor(rawValue: silent.read)) }
            for _ in 0..<yields { await Task.yield() }
            waiter.cancel()
            await waiter.value
        }
        #expect(silent.drain() == 0)
    }

    /// Shut down from outside or from one of its own jobs (which cannot wait for itself):
    /// either way the thread ends.
    @Test(arguments: [false, true]) func aThreadThatIsShutDownIsGone(fromItsOwnJob: Bool) async {
        let thread = name + (fromItsOwnJob ? "j" : "x")
        let other = DeviceThread(name: thread)
        let ran = await withTaskExecutorPreference(other) {
            if fromItsOwnJob { other.shutDown() }
            return SleepingExecutorsTests.threadName()
        }
        #expect(ran == thread)
        if !fromItsOwnJob { other.shutDown() }
        // The thread has returned, or returns with its job; the kernel takes it off the
        // list a moment after.
        let deadline = ContinuousClock.now + .seconds(5)
        while !SleepingExecutorsTests.threads(named: thread).isEmpty && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(1))
        }
        #expect(SleepingExecutorsTests.threads(named: thread).isEmpty)
    }
}
