import Foundation
import Synchronization

/// A clock that moves only when told to: tests and simulations drive time by hand.
public final class ManualClock: StationClock {
    private let current: Mutex<Instant>

    /// Starts at `wall` with the monotonic clock at one hour after boot.
    public init(wall: Date, synchronised: Bool = true, boot: String = "boot-1") {
        current = Mutex(Instant(wall: wall, monotonicNanoseconds: 3_600_000_000_000, boot: boot, synchronised: synchronised))
    }

    public func now() -> Instant {
        current.withLock { $0 }
    }

    /// Moves both clocks forward.
    public func advance(by duration: Duration) {
        current.withLock { $0 = $0.advanced(by: duration) }
    }

    /// Moves only the wall clock, as a time synchronisation step would.
    public func setWall(_ wall: Date, synchronised: Bool = true) {
        current.withLock {
            $0.wall = wall
            $0.synchronised = synchronised
        }
    }

    /// Simulates a reboot: a new boot id and a monotonic clock starting near zero.
    public func reboot(wall: Date) {
        current.withLock {
            $0 = Instant(wall: wall, monotonicNanoseconds: 1_000_000_000, boot: $0.boot + "+", synchronised: $0.synchronised)
        }
    }
}
