import Synchronization

/// A failure a test injects into the calls made through `Kernel`, as the kernel would
/// return it: a printer cable pulled after 100 bytes, a scanner gone in the middle of a
/// line, a disk that fills. It holds in the task that sets it
/// (`Kernel.$fault.withValue(fault) { … }`) and in the tasks that task starts, and nowhere
/// else, so tests running side by side in one process never see each other's.
public final class KernelFault: Sendable {
    public enum Call: Sendable {
        case open, read, write, sync
    }

    let call: Call
    let error: Errno
    /// Bytes (for reads and writes) or calls (for opens and syncs) that still succeed.
    private let allowance: Mutex<Int>

    /// `call` fails with `error` once `allowance` bytes or calls have gone through.
    public init(_ call: Call, fails error: Errno, after allowance: Int = 0) {
        self.call = call
        self.error = error
        self.allowance = Mutex(allowance)
    }

    /// How many of `count` bytes (1 for a call) the next call may pass: all of them, or
    /// what is left of the allowance (a short read or write, as the kernel gives near a
    /// fault); throws once it is spent.
    func limit(_ count: Int) throws(Errno) -> Int {
        let left = allowance.withLock { $0 }
        if left == 0 && count > 0 { throw error }
        return min(left, count)
    }

    /// Takes what a call passed off the allowance: only what went, so a read that found
    /// nothing yet costs nothing.
    func spend(_ count: Int) {
        allowance.withLock { $0 -= min($0, count) }
    }
}

extension Kernel {
    /// The fault injected into this task's calls, if a test set one.
    @TaskLocal public static var fault: KernelFault?

    /// Fails an open or a sync as the injected fault says.
    static func admit(_ call: KernelFault.Call) throws(Errno) {
        guard let fault, fault.call == call else { return }
        _ = try fault.limit(1)
        fault.spend(1)
    }

    /// Runs a read or a write of up to `count` bytes (`transfer` is given how many) as the
    /// injected fault allows: whole, cut short, or failed.
    static func transfer(_ call: KernelFault.Call, _ count: Int, _ transfer: (Int) -> Int) throws(Errno) -> Int {
        guard let fault, fault.call == call else { return try retrying { transfer(count) } }
        let limit = try fault.limit(count)
        let done = try retrying { transfer(limit) }
        fault.spend(done)
        return done
    }
}
