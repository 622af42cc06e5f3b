import Foundation
import Testing
import YizhanTestSupport

/// The built daemon with a network printer that runs out of paper.
@Suite(.serialized) struct PrinterEndToEndTests {
    @Test func aJobWaitsWhileThePaperIsOutAndPrintsOnceWhenItIsBack() throws {
        let printer = try FakeNetworkPrinter()
        printer.condition = .paperOut
        let daemon = try DaemonProcess(
            extra: DaemonProcess.defaultRules, printer: "[printer]\ntransport = \"tcp\"\nhost = \"127.0.0.1\"\nport = \(printer.port)\n")
        try daemon.start()
        let job = try #require(try daemon.post("/v1/printer/test").json?["id"] as? Int)

        func printerDevice() throws -> [String: Any]? {
            (try daemon.get("/v1/status")["devices"] as? [[String: Any]] ?? []).first { $0["kind"] as? String == "printer" }
        }
        let waiting = try daemon.waitUntil { try printerDevice()?["detail"] as? String == "paper_out" }
        #expect(waiting, "status says paper out")
        #expect(try printerDevice()?["state"] as? String == "fault")
        let queued = (try daemon.get("/v1/print-jobs")["items"] as? [[String: Any]])?.first { $0["id"] as? Int == job }
        #expect(queued?["state"] as? String == "queued", "the job waits, durably")
        #expect(printer.jobs.isEmpty)

        printer.condition = .ready
        let printed = try daemon.waitUntil {
            (try daemon.get("/v1/print-jobs")["items"] as? [[String: Any]])?.first { $0["id"] as? Int == job }?["state"] as? String
                == "printed"
        }
        #expect(printed)
        #expect(printer.jobs.count == 1, "printed exactly once")
        #expect(printer.jobs.first?.starts(with: [0x1B, 0x40]) == true)
        #expect(try printerDevice()?["state"] as? String == "present")
    }
}
