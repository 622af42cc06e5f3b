import CLinux
import Foundation
import YizhanCore
import YizhanSystem

/// The board's clocks: the wall clock, `CLOCK_MONOTONIC`, this boot's id, and whether
/// the kernel considers the wall clock synchronised (as `timedatectl` reports it).
public struct SystemClock: StationClock {
    private let boot: String

    /// The kernel's id of this boot. Under the unit `/proc` shows processes only
    /// (`ProcSubset=pid`), and the unit passes the same id as `YIZHAN_BOOT_ID` (`%b`, without
    /// the dashes the kernel's file has). Without either, an id of this process's own: two
    /// instants are then compared by the wall clock across a restart, never by the monotonic
    /// clocks of two boots as if they were one.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let text = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8) {
            boot = text.trimmingCharacters(in: .whitespacesAndNewlines)
        } else if let given = environment["YIZHAN_BOOT_ID"].flatMap(Self.dashed) {
            boot = given
        } else {
            boot = "process-\(UUID().uuidString.lowercased())"
        }
    }

    /// A 128-bit id written as 32 hex digits, as the kernel writes it: 8-4-4-4-12, lower case.
    static func dashed(_ id: String) -> String? {
        let hex = id.lowercased().filter(\.isHexDigit)
        guard hex.count == 32, id.count == 32 || id.count == 36 else { return nil }
        var dashed = ""
        for (index, digit) in hex.enumerated() {
            if [8, 12, 16, 20].contains(index) { dashed.append("-") }
            dashed.append(digit)
        }
        return dashed
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
