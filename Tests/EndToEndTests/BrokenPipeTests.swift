import Foundation
import Testing
import YizhanTestSupport

/// The test support's own promise: a test that writes where a daemon no longer reads (its
/// FIFO after a kill, a connection it closed) gets `EPIPE`, and the other tests of the run
/// go on; a `SIGPIPE` would end the run with no test's name and no summary.
@Suite struct BrokenPipeTests {
    @Test func aWriteNobodyReadsFailsInTheTestThatMadeIt() throws {
        let daemon = try DaemonProcess()
        defer { daemon.directory.remove() }
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        close(ends[0])
        defer { close(ends[1]) }
        let written = write(ends[1], "x", 1)
        #expect(written == -1 && errno == EPIPE)
    }
}
