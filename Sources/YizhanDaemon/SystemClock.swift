import CLinux
import Foundation
import YizhanCore
import YizhanSystem

/// The board's clocks: the wall clock, `CLOCK_MONOTONIC`, this boot's id, and whether
/// the kernel considers the wall clock synchronised (as `timedatectl` reports it).
public struct SystemClock: StationClock {
    private let boot: String

    public init() {
        let text = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? "unknown-boot"
        boot = text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func now() -> Instant {
        Instant(wall: Date(), monotonicNanoseconds: Kernel.monotonicNanoseconds, boot: boot, synchronised: Self.isSynchronised())
    }

    /// The kernel's answer where it may be asked. Under the unit it may not (ProtectClock=
    /// refuses adjtimex(2), which cannot be told to only read), and systemd-timesyncd's mark
    /// is read instead: the file it touches at each synchronisation, the default time
    /// service on Debian. Until it is there the clock counts as unsynchronised, so that a
    /// guessed time is never taken for a known one.
    static func isSynchronised() -> Bool {
        switch yizhan_clock_synchronisation() {
        case 1: true
        case 0: false
        default: access(timesyncMark, F_OK) == 0
        }
    }

    static let timesyncMark = "/run/systemd/timesync/synchronized"
}
