import ESCPOS
import Testing
import YizhanDevices
import YizhanTestSupport

@Suite struct RealTimeStatusTests {
    @Test func statusRepliesFollowTheESCPOSReference() {
        #expect(RealTimeStatus.request(1) == [0x10, 0x04, 0x01])
        #expect(RealTimeStatus.condition(printer: 0x12, offlineCause: 0x12, paper: 0x12) == .ready)
        #expect(RealTimeStatus.condition(printer: 0x12, offlineCause: 0x12, paper: 0x12 | 0x0C) == .paperNearEnd)
        #expect(RealTimeStatus.condition(printer: 0x12, offlineCause: 0x12, paper: 0x12 | 0x60) == .paperOut)
        #expect(RealTimeStatus.condition(printer: 0x12 | 0x08, offlineCause: 0x12 | 0x04, paper: 0x12) == .coverOpen)
        #expect(RealTimeStatus.condition(printer: 0x12 | 0x08, offlineCause: 0x12, paper: 0x12) == .offline)
        #expect(RealTimeStatus.condition(printer: nil, offlineCause: nil, paper: nil) == .unknown)
        #expect(
            RealTimeStatus.condition(printer: 0xFF, offlineCause: 0x12, paper: 0x12) == .unknown,
            "a byte with wrong fixed bits is not a status")
        #expect(RealTimeStatus.condition(printer: 0x12, offlineCause: 0x12, paper: 0x00) == .unknown)
    }
}

@Suite struct NetworkPrinterTests {
    let job: [UInt8] = ESCPOSCommand.initialize + Array("test".utf8) + ESCPOSCommand.feedAndCut()

    @Test func aReadyPrinterReceivesTheJobExactly() throws {
        let printer = try FakeNetworkPrinter()
        let condition = try TCPPrinter(host: "127.0.0.1", port: printer.port).send(job)
        #expect(condition == .ready)
        #expect(printer.waitForConnections(1))
        #expect(printer.jobs == [job])
    }

    @Test func aPrinterThatCannotPrintGetsNothingAndSaysWhy() throws {
        let printer = try FakeNetworkPrinter()
        let transport = TCPPrinter(host: "127.0.0.1", port: printer.port)
        for (condition, reason) in [
            (FakeNetworkPrinter.Condition.paperOut, "paper_out"), (.coverOpen, "cover_open"), (.offline, "offline"),
        ] {
            printer.condition = condition
            do {
                _ = try transport.send(job)
                Issue.record("sent to a printer that is \(reason)")
            } catch {
                #expect(error == .notReady(reason))
            }
        }
        #expect(printer.waitForConnections(3))
        #expect(printer.jobs.isEmpty)
        printer.condition = .paperNearEnd
        #expect(try transport.send(job) == .paperNearEnd, "near end still prints, with a warning")
        #expect(printer.waitForConnections(4))
        #expect(printer.jobs == [job])
    }

    @Test func aPrinterThatDoesNotAnswerIsNotReady() throws {
        let printer = try FakeNetworkPrinter()
        printer.condition = .silent
        let transport = TCPPrinter(host: "127.0.0.1", port: printer.port, timeout: .seconds(1))
        #expect(try transport.send(job) == .unknown, "an unknown status prints anyway")
        #expect(printer.waitForConnections(1))
        #expect(printer.jobs == [job])
        do {
            _ = try TCPPrinter(host: "127.0.0.1", port: 1).send(job)
            Issue.record("connected to nothing")
        } catch {
            if case .brokeOff = error { Issue.record("nothing was sent, so nothing broke off") }
        }
    }
}
