import ESCPOS
import Testing
import YizhanDevices
import YizhanTestSupport

/// The serial and `/dev/usb/lp*` transports against a printer on a pty that answers
/// `DLE EOT` as its condition says.
@Suite struct SerialPrinterTests {
    let job: [UInt8] = ESCPOSCommand.initialize + Array("测试 test\n".utf8) + ESCPOSCommand.feedAndCut()

    @Test(arguments: [9600, nil])
    func aJobWaitsWhileThePrinterCannotPrintThenGoesOnce(baud: Int?) throws {
        let printer = try FakeSerialPrinter()
        let transport = DevicePrinter(path: printer.path, baud: baud)
        for (condition, reason) in [(FakePrinterCondition.paperOut, "paper_out"), (.coverOpen, "cover_open"), (.offline, "offline")] {
            printer.condition = condition
            #expect(throws: PrinterSendError.notReady(reason)) { try transport.send(job) }
        }
        #expect(printer.jobs.isEmpty, "nothing reaches a printer that cannot print")
        printer.condition = .ready
        #expect(try transport.send(job) == .ready)
        #expect(printer.waitForJobs(1))
        printer.condition = .paperNearEnd
        #expect(try transport.send(job) == .paperNearEnd, "near end prints, with a warning")
        #expect(printer.waitForJobs(2))
        #expect(printer.jobs == [job, job], "every byte, once, status requests apart")
    }

    @Test func aPrinterThatNeverAnswersGetsItsJobsBlind() throws {
        let printer = try FakeSerialPrinter()
        printer.condition = .silent
        #expect(try DevicePrinter(path: printer.path, baud: 115_200).send(job) == .unknown)
        #expect(printer.waitForJobs(1))
        #expect(printer.jobs == [job])
    }

    @Test func anUnpluggedPrinterIsNotReadyAndNothingIsLost() throws {
        let printer = try FakeSerialPrinter()
        printer.unplug()
        do {
            _ = try DevicePrinter(path: printer.path, baud: 9600).send(job)
            Issue.record("sent to an unplugged printer")
        } catch {
            guard case .notReady = error else {
                Issue.record("nothing was sent, so the job can wait: \(error)")
                return
            }
        }
        #expect(throws: PrinterSendError.self) { try DevicePrinter(path: "/dev/usb/lp-none").send(job) }
    }
}
