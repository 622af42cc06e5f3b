import Foundation
import Testing
import YizhanCore
import YizhanTestSupport
import YizhanWire

/// The built daemon with a network printer that runs out of paper.
@Suite(.serialized) struct PrinterEndToEndTests {
    /// On a network printer and on a serial one, a job waits through paper out, an open
    /// cover and offline, each shown in the status, and prints once when the printer is ready.
    @Test(arguments: ["tcp", "serial"])
    func aJobWaitsWhileThePaperIsOutAndPrintsOnceWhenItIsBack(transport: String) throws {
        let printer: any FakePrinter = transport == "tcp" ? try FakeNetworkPrinter() : try FakeSerialPrinter()
        printer.condition = .paperOut
        let daemon = try DaemonProcess(extra: DaemonProcess.defaultRules, printer: printer.config)
        defer { daemon.directory.remove() }
        try daemon.start()
        let events = try daemon.events(from: .held)
        let job = try daemon.api.call(API.printTestPage).id

        func printerDevice() throws -> StationStatus.Device? {
            try daemon.api.call(API.status).devices.first { $0.kind == "printer" }
        }
        let waiting = try events.next(.device) { $0.kind == "printer" && $0.detail == "paper_out" }
        #expect(waiting?.state == .fault, "status says paper out")
        #expect(try printerDevice() == waiting)
        #expect(try daemon.api.call(API.printJobs()).items.first { $0.id == job }?.state == .queued, "the job waits, durably")
        #expect(printer.jobs.isEmpty)
        for (condition, detail) in [(FakePrinterCondition.coverOpen, "cover_open"), (.offline, "offline")] {
            printer.condition = condition
            #expect(try events.next(.device) { $0.kind == "printer" && $0.detail == detail } != nil, "status says \(detail)")
            #expect(printer.jobs.isEmpty)
        }

        printer.condition = .ready
        #expect(try events.next(.printJob)?.state == .printed)
        #expect(printer.jobs.count == 1, "printed exactly once")
        #expect(printer.jobs.first?.starts(with: [0x1B, 0x40]) == true)
        // Said before the job's event, or just after it (then awaited): the spooler marks the
        // job printed, then the printer present.
        #expect(try printerDevice()?.state == .present || events.next(.device) { $0.kind == "printer" && $0.state == .present } != nil)
    }

    /// The printer is switched off in the middle of a job: the job is uncertain (it may be
    /// half on paper), the daemon goes on, nothing is resent by itself, and the manager's
    /// reprint comes out once, marked 补打.
    @Test func aPrinterGoneMidJobLeavesTheJobUncertainUntilAReprint() throws {
        let printer = try FakeNetworkPrinter()
        printer.hangUpAfter = 16
        let daemon = try DaemonProcess(
            extra: DaemonProcess.defaultRules, printer: "[printer]\ntransport = \"tcp\"\nhost = \"127.0.0.1\"\nport = \(printer.port)\n")
        defer { daemon.directory.remove() }
        try daemon.start()
        let jobs = try daemon.events()
        let job = try daemon.api.call(API.printTestPage).id
        func state(of id: Int64) throws -> PrintJobState? {
            try daemon.api.call(API.printJobs()).items.first { $0.id == id }?.state
        }
        #expect(try jobs.next(.printJob) == PrintJobEvent(id: job, state: .uncertain), "a job cut off is uncertain")
        #expect(try daemon.api.call(API.status).printQueue == 0, "and not queued again")
        #expect(printer.jobs.count == 1)

        let reprint = try daemon.api.call(API.reprint(job)).id
        #expect(try jobs.next(.printJob) == PrintJobEvent(id: reprint, state: .printed))
        #expect(try state(of: job) == .uncertain, "the original stays as it was")
        #expect(printer.jobs.count == 2, "the reprint, once")
        // 补打 in GBK, from Python's codec.
        let python = try Command.run("/usr/bin/env", ["python3", "-c", "import sys; print(sys.argv[1].encode('gbk').hex())", "补打"])
        let hex = Array(python.output.trimmingCharacters(in: .whitespacesAndNewlines))
        let marker = stride(from: 0, to: hex.count, by: 2).compactMap { UInt8(String(hex[$0...$0 + 1]), radix: 16) }
        #expect(marker.count == 4)
        #expect(printer.jobs.last.map { Data($0).range(of: Data(marker)) != nil } == true, "marked as a reprint")
        #expect(daemon.stop() == 0)
    }

    /// `yizhanctl print preview` renders a queued job and a sample slip as PNGs that zbar
    /// reads back: on 80 mm paper with rasterised Chinese and a raster QR code, and on 58 mm
    /// with the printer's own QR code.
    @Test(arguments: [("576", "raster", "raster"), ("384", "fs-gbk", "native")])
    func previewsPrintTheWayThePrinterWould(width: String, chinese: String, qr: String) throws {
        let daemon = try DaemonProcess(
            extra: DaemonProcess.defaultRules,
            printer: "[printer]\ntransport = \"tcp\"\nport = 9\nwidth_dots = \(width)\nchinese = \"\(chinese)\"\nqr = \"\(qr)\"\n")
        defer { daemon.directory.remove() }
        try daemon.start()
        let job = try daemon.api.call(API.printTestPage).id
        let ctl = Command.product("yizhanctl")
        for (arguments, payload) in [(["\(job)"], "YZ:K:CANCEL"), (["--slip", "redemption"], "YZ:R:K7Q2M9")] {
            let image = daemon.directory.file("preview.png")
            let preview = try Command.run(ctl, ["--socket", daemon.adminSocket, "print", "preview"] + arguments + ["--output", image])
            #expect(preview.status == 0, "\(preview.errors)")
            #expect(preview.output.contains("\(width) × "))
            let decoded = try Command.run("/usr/bin/zbarimg", ["--quiet", "--raw", image])
            #expect(decoded.output == payload + "\n", "\(arguments)")
        }
        let unknown = try Command.run(ctl, ["--socket", daemon.adminSocket, "print", "preview", "--slip", "menu", "--output", "x.png"])
        // Refused before anything is sent, with the kinds there are.
        #expect(
            unknown.status == 64 && unknown.errors.contains("'menu' is invalid") && unknown.errors.contains("redemption"),
            "\(unknown.errors)")
        #expect(daemon.stop() == 0)
    }

    /// A preview is written whole or not at all, as an export is: one that cannot be finished
    /// (the file size limit here, as a full stick would stop it) leaves the last preview of
    /// that name as it was, and no part file. Sent to standard output, it is the image alone,
    /// its summary on standard error.
    @Test func aPreviewIsWrittenWholeOrNotAtAll() throws {
        let daemon = try DaemonProcess(extra: DaemonProcess.defaultRules)
        defer { daemon.directory.remove() }
        try daemon.start()
        let ctl = Command.product("yizhanctl")
        let preview = [ctl, "--socket", daemon.adminSocket, "print", "preview", "--slip", "redemption", "-o"]
        let image = daemon.directory.file("preview.png")
        #expect(try Command.run(ctl, Array(preview.dropFirst()) + [image]).status == 0)
        let whole = try Data(contentsOf: URL(fileURLWithPath: image))

        // SIGXFSZ ignored, so that the limit (one 512-byte block) is an error, as a full disk is.
        let stopped = try Command.run("/bin/sh", ["-c", "trap '' XFSZ; ulimit -f 1; exec \"$@\"", "sh"] + preview + [image])
        #expect(stopped.status == 1 && stopped.errors.contains("cannot write \(image): File too large"), "\(stopped.errors)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: image)) == whole, "the last preview stays whole")
        let left = try FileManager.default.contentsOfDirectory(atPath: daemon.directory.path).filter { $0.hasPrefix(".preview.png.") }
        #expect(left.isEmpty, "\(left)")

        let piped = daemon.directory.file("piped.png")
        let toOutput = try Command.run("/bin/sh", ["-c", "exec \"$@\" >'\(piped)'", "sh"] + preview + ["/dev/stdout"])
        #expect(toOutput.status == 0 && toOutput.errors.hasPrefix("/dev/stdout: 384 × "), "\(toOutput.errors)")
        let decoded = try Command.run("/usr/bin/zbarimg", ["--quiet", "--raw", piped])
        #expect(decoded.output == "YZ:R:K7Q2M9\n")
        // Nothing after the image's last chunk (IEND, its length 0 before it and its CRC after).
        let end = try Data(contentsOf: URL(fileURLWithPath: piped)).suffix(12)
        #expect(Array(end) == [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82])
        #expect(daemon.stop() == 0)
    }
}
