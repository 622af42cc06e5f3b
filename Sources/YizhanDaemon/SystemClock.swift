import CLinux
import Foundation
import YizhanCore

#if canImport(Glibc)
    import Glibc
#endif

/// The board's clocks: the wall clock, `CLOCK_MONOTONIC`, this boot's id, and whether
/// the kernel considers the wall clock synchronised (as `timedatectl` reports it).
public struct SystemClock: StationClock {
    private let boot: String

    public init() {
        let text = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? "unknown-boot"
        boot = text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func now() -> Instant {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        let monotonic = UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
        return Instant(wall: Date(), monotonicNanoseconds: monotonic, boot: boot, synchronised: Self.isSynchronised())
    }

    static func isSynchronised() -> Bool {
        yizhan_clock_is_synchronised()
    }
}
