import Foundation
import Testing

@testable import YizhanDaemon

/// This boot's id as the unit passes it (`%b`: 32 hex digits) is written as the kernel's
/// file writes it, so that instants stored by the daemon under the unit and outside it in
/// the same boot are of one boot.
struct SystemClockTests {
    @Test func theUnitsBootIdIsWrittenAsTheKernelWritesIt() throws {
        let kernel = try String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(SystemClock.dashed(kernel.replacingOccurrences(of: "-", with: "").uppercased()) == kernel)
        #expect(SystemClock.dashed(kernel) == kernel)
        #expect(SystemClock.dashed("not a boot id") == nil)
        #expect(SystemClock.dashed(String(repeating: "a", count: 31)) == nil)
    }
}
