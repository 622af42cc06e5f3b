import Synchronization

/// Wakes one waiting task: rung when there is new work (a slip queued, a patrol opened),
/// so that idle services sleep instead of polling. A ring while nobody waits is kept.
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Waits for a ring, or returns at once if one came since the last wait. Returns when
    /// the task is cancelled, too.
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    if state.rung || Task.isCancelled {
                        state.rung = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            ring()
        }
    }

    /// Waits for a ring or for `timeout`, whichever comes first; true when it was a ring.
    @discardableResult
    func wait(timeout: Duration) async -> Bool {
        await wait(orUntil: { try? await Task.sleep(for: timeout) })
    }

    /// Waits for a ring or for `other` to return, whichever comes first; true when it was a
    /// ring. (A ring just as `other` returned counts as `other`: the next wait returns at
    /// once.) `other` is cancelled when the ring comes first, and must then return.
    func wait(orUntil other: @escaping @Sendable () async -> Void) async -> Bool {
        let alarm = Task {
            await other()
            guard !Task.isCancelled else { return false }
            ring()
            return true
        }
        await wait()
        alarm.cancel()
        return await !alarm.value
    }
}
