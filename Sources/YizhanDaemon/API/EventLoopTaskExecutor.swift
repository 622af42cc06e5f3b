import NIOCore
import NIOPosix

/// Runs the API's tasks on NIO's event loops instead of the worker pool.
///
/// A request arrives on an event loop; a task on the worker pool would be woken on another
/// thread to answer it, and its answer handed back to the loop: two wake-ups of sleeping
/// threads for every request, more than the rest of a small answer costs. So each
/// request's task prefers its own connection's loop, and an answer it awaited from
/// elsewhere (an event from the scan path, for the event stream) resumes where it is
/// written. Store reads then run on the loop: they are short (a station's few rows, no
/// fsync), and the scan path's own work stays on the worker pool.
final class EventLoopTaskExecutor: TaskExecutor {
    private let loop: any EventLoop

    private init(loop: any EventLoop) {
        self.loop = loop
    }

    /// One executor for each of `group`'s loops.
    static func executors(of group: MultiThreadedEventLoopGroup) -> [ObjectIdentifier: EventLoopTaskExecutor] {
        Dictionary(uniqueKeysWithValues: group.makeIterator().map { (ObjectIdentifier($0), EventLoopTaskExecutor(loop: $0)) })
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }
}
