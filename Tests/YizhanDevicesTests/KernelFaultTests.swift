import ESCPOS
import Foundation
import Testing
import YizhanDevices
import YizhanSystem
import YizhanTestSupport

/// Faults no real device here can be made to give, injected where the station meets the
/// kernel: a disk that fills half-way through a slip, a printer cable pulled after 100
/// bytes, a scanner unplugged in the middle of a line.
@Suite struct KernelFaultTests {
    let job: [UInt8] = ESCPOSCommand.initialize + Array(String(repeating: "巡查记录 patrol\n", count: 20).utf8) + ESCPOSCommand.feedAndCut()

    @Test func aFaultHoldsInItsOwnTaskAndNoOther() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("file")
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        func write() throws(Errno) {
            let descriptor = try Kernel.open(path, .writeOnly, options: [.append, .closeOnExec])
            defer { try? descriptor.close() }
            try Kernel.writeAll(descriptor, [1, 2, 3])
        }
        try await Kernel.$fault.withValue(KernelFault(.write, fails: .noSpace)) {
            #expect(throws: Errno.noSpace) { try write() }
            // A task this one starts has its fault; a detached task, like another test, does not.
            await #expect(throws: Errno.noSpace) { try await Task { try write() }.value }
            try await Task.detached { try write() }.value
        }
        try write()
        #expect(FileManager.default.contents(atPath: path) == Data([1, 2, 3, 1, 2, 3]))
    }

    @Test func aDiskThatFillsHalfWayThroughASlipBreaksItOffAndOneFullBeforeItKeepsItQueued() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("slips.escpos")
        let printer = FilePrinter(path: path)

        Kernel.$fault.withValue(KernelFault(.write, fails: .noSpace, after: 100)) {
            #expect(throws: PrinterSendError.brokeOff("write \(path): \(Errno.noSpace)")) { try printer.send(job) }
        }
        #expect(FileManager.default.contents(atPath: path).map(Array.init) == Array(job.prefix(100)), "what went before the disk filled")

        Kernel.$fault.withValue(KernelFault(.write, fails: .noSpace)) {
            #expect(throws: PrinterSendError.notReady("write \(path): \(Errno.noSpace)")) { try printer.send(job) }
        }
        Kernel.$fault.withValue(KernelFault(.sync, fails: .ioError)) {
            #expect(throws: PrinterSendError.brokeOff("fsync \(path): \(Errno.ioError)"), "written but not known to be on the disk") {
                try printer.send(job)
            }
        }
        #expect(FileManager.default.contents(atPath: path).map(Array.init) == Array(job.prefix(100)) + job)
    }

    @Test func aPrinterCablePulledMidJobLeavesItUncertainAndOneGoneBeforeKeepsItQueued() throws {
        let printer = try FakeSerialPrinter()
        let transport = DevicePrinter(path: printer.path)
        // The three status requests go, then 100 bytes of the job, then the cable is out.
        let requests = [1, 2, 4].map { RealTimeStatus.request($0).count }.reduce(0, +)
        Kernel.$fault.withValue(KernelFault(.write, fails: .ioError, after: requests + 100)) {
            #expect(throws: PrinterSendError.brokeOff("write to \(printer.path): \(Errno.ioError)")) { try transport.send(job) }
        }
        Kernel.$fault.withValue(KernelFault(.open, fails: .operationNotSupportedByDevice)) {
            #expect(throws: PrinterSendError.notReady("open \(printer.path): \(Errno.operationNotSupportedByDevice)")) {
                try transport.send(job)
            }
        }
        #expect(try transport.send(job) == .ready, "plugged back in, the next job goes")
        #expect(Array(printer.jobs.joined()) == Array(job.prefix(100)) + job, "the start of the job cut off, then the next whole")
    }

    /// A USB serial adapter pulled out reads `ENODEV`: the scanner is gone and the half line
    /// it had typed is no scan. Any other error is a fault of its own, named.
    @Test(arguments: [Errno.operationNotSupportedByDevice, .permissionDenied])
    func aScannerFailingMidLineEndsTheReadingAndItsHalfLineIsNoScan(error: Errno) async throws {
        let pty = try PseudoTerminal()
        let scanner = SerialScanner(id: "serial", path: pty.path, baud: 115_200)
        let frames = SerialScannerTests.Frames()
        let serial = SerialScannerTests()
        let line = "YZ:K:CANCEL\r\n"
        // The reading task is started inside the fault's scope, and so carries it.
        let reading = await Kernel.$fault.withValue(KernelFault(.read, fails: error, after: line.utf8.count + 4)) {
            await serial.start(scanner, frames: frames)
        }
        pty.send(line + "04A1B2C3\r\n")
        do {
            try await reading.value
            Issue.record("the reader went on past \(error)")
        } catch let failure as DeviceError {
            #expect("\(failure)".contains(error == .operationNotSupportedByDevice ? "went away" : "\(error)"), "\(failure)")
        }
        #expect(serial.lines(await frames.wait(for: 1)) == ["YZ:K:CANCEL"])
    }
}
