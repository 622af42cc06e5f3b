import Foundation

/// A moment as the station board knows it: the wall clock (which may be wrong until it is
/// synchronised) together with the monotonic clock of the current boot.
///
/// Durations are taken from the monotonic clock whenever both instants come from the same
/// boot, because the board may have no real-time clock and its wall clock can jump.
public struct Instant: Sendable, Hashable, Codable {
    /// Wall-clock time.
    public var wall: Date
    /// Nanoseconds on `CLOCK_MONOTONIC` since the boot named by `boot`.
    public var monotonicNanoseconds: UInt64
    /// Identifies the boot the monotonic reading belongs to.
    public var boot: String
    /// Whether the wall clock was synchronised when this instant was taken.
    public var synchronised: Bool

    public init(wall: Date, monotonicNanoseconds: UInt64, boot: String, synchronised: Bool) {
        self.wall = wall
        self.monotonicNanoseconds = monotonicNanoseconds
        self.boot = boot
        self.synchronised = synchronised
    }

    /// Time elapsed from `earlier` to `self`, never negative.
    ///
    /// Uses the monotonic clock within one boot; across a reboot it falls back to the wall
    /// clock, which is the only link between two boots.
    public func elapsed(since earlier: Instant) -> Duration {
        if boot == earlier.boot {
            guard monotonicNanoseconds >= earlier.monotonicNanoseconds else { return .zero }
            return .nanoseconds(Int64(monotonicNanoseconds - earlier.monotonicNanoseconds))
        }
        let seconds = wall.timeIntervalSince(earlier.wall)
        return seconds > 0 ? .milliseconds(Int64(seconds * 1000)) : .zero
    }

    /// The instant of this boot at which the monotonic clock read `nanoseconds` (a kernel
    /// event's timestamp), the wall clock moved back with it; `self` when that is not a
    /// reading of this boot's past, as a timestamp taken on another clock would not be.
    public func back(toMonotonic nanoseconds: Int64) -> Instant {
        guard nanoseconds > 0, UInt64(nanoseconds) <= monotonicNanoseconds else { return self }
        return advanced(by: .nanoseconds(nanoseconds - Int64(monotonicNanoseconds)))
    }

    /// The instant `duration` later on both clocks.
    public func advanced(by duration: Duration) -> Instant {
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        var next = self
        next.wall = wall.addingTimeInterval(Double(nanoseconds) / 1e9)
        next.monotonicNanoseconds = UInt64(Int64(monotonicNanoseconds) + nanoseconds)
        return next
    }
}

/// Where the station reads the time from. The daemon passes the system clocks; tests pass a
/// manual clock.
public protocol StationClock: Sendable {
    /// The current instant.
    func now() -> Instant
}
