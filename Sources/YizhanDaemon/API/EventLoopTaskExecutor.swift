import NIOCore
import NIOPosix

/// Runs the API's tasks on NIO's event loops instead of the worker pool.
///
/// A request arrives on an event loop; a task on the worker pool would be woken on another
/// thread to answer it, and its answer handed back to the loop: two wake-ups of sleeping
/// threads for every request, more than the rest of a small answer costs. So connections'
/// tasks prefer the loop they are on (`any`: the loop a job is enqueued from), and each
/// request's handling prefers its own connection's loop, so that an answer a task awaited
/// from elsewhere (an event from the scan path, for the event stream) resumes where it is
/// written. Store reads then run on the loop: they are short (a station's few rows, no
/// fsync), and the scan path's own work stays on the worker pool.
final class EventLoopTaskExecutor: TaskExecutor {
    /// Nil: the loop the job is enqueued from, or the group's next one.
    private let loop: (any EventLoop)?
    private let group: MultiThreadedEventLoopGroup

    private init(loop: (any EventLoop)?, group: MultiThreadedEventLoopGroup) {
        self.loop = loop
        self.group = group
    }

    /// One executor for any loop of `group`, and one for each of its loops.
    static func executors(of group: MultiThreadedEventLoopGroup) -> (
        any: EventLoopTaskExecutor, each: [ObjectIdentifier: EventLoopTaskExecutor]
    ) {
        let each = group.makeIterator().map { (ObjectIdentifier($0), EventLoopTaskExecutor(loop: $0, group: group)) }
        return (EventLoopTaskExecutor(loop: nil, group: group), Dictionary(uniqueKeysWithValues: each))
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let loop = self.loop ?? MultiThreadedEventLoopGroup.currentEventLoop ?? group.next()
        let executor = asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }
}
