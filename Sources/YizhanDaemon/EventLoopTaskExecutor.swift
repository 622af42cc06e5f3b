import NIOCore
import NIOPosix

/// Runs the API's tasks on NIO's event loops instead of the worker pool.
///
/// A request arrives on an event loop; a task on the worker pool would be woken on another
/// thread to answer it, and its answer handed back to the loop: two wake-ups of sleeping
/// threads for every request, more than the rest of a small answer costs. Jobs enqueued
/// from an event loop run on that loop after what it is doing; jobs from elsewhere (a task
/// coming back from the scan path) go to any loop, which writes to a connection of another
/// loop as NIO always does. Store reads then run on the loop: they are short (a station's
/// few rows, no fsync), and the scan path's own work stays on the worker pool.
final class EventLoopTaskExecutor: TaskExecutor {
    let group: MultiThreadedEventLoopGroup

    init(group: MultiThreadedEventLoopGroup) {
        self.group = group
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let loop = MultiThreadedEventLoopGroup.currentEventLoop ?? group.next()
        let executor = asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }
}
