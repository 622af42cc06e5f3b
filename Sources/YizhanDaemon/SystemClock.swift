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

    static func isSynchronised() -> Bool {
        yizhan_clock_is_synchronised()
    }
}
