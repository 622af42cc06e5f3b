import Synchronization
import YizhanSystem

/// Scans before reads: while a scanner's scan is in hand, from its bytes to its outcome,
/// and for a moment after, the API's loops start no answer to a read (`GET`, `HEAD`).
///
/// A storm of reads keeps both of a board's cores busy: its clients and the loop answering
/// them. A scan then waits for a core at each step, and so does the station's screen, woken
/// by the scan's event, before it can show the outcome (docs/benchmarks.md, issue 18). Held
/// back, the reads leave a core to each in turn; the moment after the outcome is the
/// screen's, to be woken and read the event. A station's scans come seconds apart, so a read
/// seldom meets one; at 100 scans a second reads are answered a tenth less often. Writes (a
/// scan or a redemption through the API) are not held, nor an answer already begun (an
/// event stream).
final class ScansFirst: Sendable {
    /// How long reads wait for a scan in hand at most: a commit that takes longer (a slow
    /// card's sync) lets them go.
    let inHand: UInt64
    /// How long reads wait after a scan's outcome: for the screen to get a core and read the
    /// event (0.1–0.3 ms on a quiet two-core board).
    let afterOutcome: UInt64
    /// How often a held read looks again: the hold ends when the scan does, which nothing
    /// tells the loops.
    static let recheck: UInt64 = 250_000

    private let scansInHand = Atomic<Int>(0)
    /// When reads go again, in `Kernel.monotonicNanoseconds`: while a scan is in hand, and
    /// once none is.
    private let inHandUntil = Atomic<UInt64>(0)
    private let heldUntil = Atomic<UInt64>(0)

    init(inHand: Duration = .milliseconds(20), afterOutcome: Duration = .milliseconds(1)) {
        self.inHand = Self.nanoseconds(inHand)
        self.afterOutcome = Self.nanoseconds(afterOutcome)
    }

    /// A scan's bytes have arrived.
    func began() {
        inHandUntil.store(Kernel.monotonicNanoseconds + inHand, ordering: .relaxed)
        scansInHand.add(1, ordering: .relaxed)
    }

    /// Its outcome is out (committed, and its event published).
    func ended() {
        heldUntil.store(Kernel.monotonicNanoseconds + afterOutcome, ordering: .relaxed)
        scansInHand.subtract(1, ordering: .relaxed)
    }

    /// How long a read that arrives now waits, in nanoseconds, at most; nil when it may be
    /// answered at once.
    var readsWait: UInt64? {
        let now = Kernel.monotonicNanoseconds
        let until = scansInHand.load(ordering: .relaxed) > 0 ? inHandUntil.load(ordering: .relaxed) : heldUntil.load(ordering: .relaxed)
        return until > now ? until - now : nil
    }

    private static func nanoseconds(_ duration: Duration) -> UInt64 {
        UInt64(duration.components.seconds) * 1_000_000_000 + UInt64(duration.components.attoseconds / 1_000_000_000)
    }
}
