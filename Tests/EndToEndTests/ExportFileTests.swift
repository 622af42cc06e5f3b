import Foundation
import Testing
import YizhanTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `yizhanctl export -o` on what a station's manager meets: an export far longer than one
/// day's, a USB stick that fills, a Ctrl-C. The daemon here is Python answering as the
/// daemon does (a chunked CSV), so that its length, its pace and the disk's room are the
/// test's to choose; `CLITests` exports from the real daemon.
@Suite struct ExportFileTests {
    /// Serves one chunked answer of `chunks` 64 kB chunks of CSV rows on a Unix socket
    /// (after the first, it waits for the file to appear when `--hold` is given, then sends
    /// the signal named), runs yizhanctl after `--` with the file size limit given, and
    /// prints its exit status (negative: the signal that ended it), then the peak resident
    /// memory the kernel counted for it, in kB.
    static let harness = """
        import glob, os, resource, signal, socket, subprocess, sys, threading, time
        path, chunks, limit, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
        command = sys.argv[sys.argv.index("--") + 1:]
        output = command[command.index("-o") + 1]
        row = b"1,12,\\xe8\\xb5\\xb5\\xe5\\x85\\xad,2,patrol_award,patrol:7,,,system,2026-11-30T08:00:00+08:00\\r\\n"
        chunk = (row * (65536 // len(row) + 1))[:65536]
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(path)
        listener.listen(1)
        def serve():
            connection, _ = listener.accept()
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Type: text/csv\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n")
            framed = b"%x\\r\\n" % len(chunk) + chunk + b"\\r\\n"
            try:
                for n in range(chunks):
                    connection.sendall(framed)
                    if hold != "-":
                        time.sleep(60)
                connection.sendall(b"0\\r\\n\\r\\n")
            except OSError:
                pass
            connection.close()
        threading.Thread(target=serve, daemon=True).start()
        # What yizhanctl inherits: the file size limit, SIGXFSZ ignored (so that the limit is
        # an error, as a full disk is), and the signals a terminal sends neither blocked nor
        # ignored, as a shell's foreground child has them (the test process blocks them, and
        # a test run started in the background by a shell without job control ignores SIGINT).
        if limit:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        interrupts = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
        for interrupt in interrupts:
            signal.signal(interrupt, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, interrupts)
        child = subprocess.Popen(command, restore_signals=False)
        if hold != "-":
            folder, name = os.path.split(output)
            while not glob.glob(os.path.join(folder, "." + name + ".*")) and child.poll() is None:
                time.sleep(0.01)
            child.send_signal(getattr(signal, hold))
        print(child.wait())
        print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, flush=True)
        """

    let directory: TemporaryDirectory
    let csv: String

    init() throws {
        directory = try TemporaryDirectory()
        csv = directory.file("ledger.csv")
    }

    /// Exports `chunks` of 64 kB into `csv`; `limit` caps the size of a file yizhanctl
    /// writes (a stick with that much room); `hold` is the signal sent once the first chunk
    /// is written. The command, yizhanctl's exit status and its peak resident memory in kB.
    func export(chunks: Int, limit: Int = 0, hold: String = "-", appendingStandardOutput: Bool = false) throws -> (
        Command, status: Int, peak: Int
    ) {
        let socket = directory.file("daemon-\(chunks)-\(hold).sock")
        // With `appendingStandardOutput`, as `yizhanctl export ledger -o /dev/stdout >> F` from a shell.
        let shell = appendingStandardOutput ? ["/bin/sh", "-c", "exec \"$@\" >>'\(csv)'", "sh"] : []
        let run = try Command.run(
            "/usr/bin/python3",
            ["-c", Self.harness, socket, "\(chunks)", "\(limit)", hold, "--"] + shell + [Command.product("yizhanctl"), "--socket", socket]
                + ["export", "ledger", "-o", appendingStandardOutput ? "/dev/stdout" : csv])
        let lines = run.output.split(separator: "\n")
        #expect(run.status == 0 && lines.count == 2, "\(run.output) \(run.errors)")
        return (run, Int(lines.first ?? "") ?? 0, Int(lines.last ?? "") ?? 0)
    }

    /// What is in the export's folder besides the harness's sockets.
    var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { !$0.hasSuffix(".sock") }.sorted()
    }

    @Test func anExportLongerThanADaysIsWrittenAsItArrivesNotHeldWhole() throws {
        defer { directory.remove() }
        let (_, dayStatus, day) = try export(chunks: 1)
        #expect(dayStatus == 0)
        let (_, status, long) = try export(chunks: 1024)
        #expect(status == 0)
        let size = (try FileManager.default.attributesOfItem(atPath: csv)[.size] as? Int) ?? 0
        #expect(size == 1024 * 65536)
        // Held whole, 64 MB of answer was 64 MB and more on top of a day's.
        print("yizhanctl export peak: 64 kB \(day / 1024) MB, 64 MB \(long / 1024) MB")
        #expect(long - day < size / 1024 / 8, "grew by \(long - day) kB for \(size / 1024) kB of CSV")
        #expect(files == ["ledger.csv"])
    }

    /// A stick with 1 MB of room: said, exit 1, and the last export of that name as it
    /// was, with no part file beside it.
    @Test func aStickThatFillsLeavesTheLastExportWhole() throws {
        defer { directory.remove() }
        try Data("the last export\r\n".utf8).write(to: URL(fileURLWithPath: csv))
        let (run, status, _) = try export(chunks: 64, limit: 1 << 20)
        #expect(status == 1)
        #expect(run.errors == "yizhanctl: cannot write \(csv): File too large\n")
        #expect(try String(contentsOfFile: csv, encoding: .utf8) == "the last export\r\n")
        #expect(files == ["ledger.csv"])
    }

    /// `-o /dev/stdout` is the descriptor the shell opened, appended to as `>>` says, not a
    /// file opened again by its name and replaced.
    @Test func standardOutputIsWrittenAsTheShellOpenedIt() throws {
        defer { directory.remove() }
        try Data("the last export\r\n".utf8).write(to: URL(fileURLWithPath: csv))
        let (_, status, _) = try export(chunks: 2, appendingStandardOutput: true)
        #expect(status == 0)
        let data = try #require(FileManager.default.contents(atPath: csv))
        #expect(data.count == 17 + 2 * 65536 && data.starts(with: Data("the last export\r\n".utf8)))
        #expect(files == ["ledger.csv"])
    }

    /// Ctrl-C, a `kill`, the terminal closed, once the first rows are written: the
    /// command ends as the signal says, and takes its part file with it.
    @Test(arguments: ["SIGINT", "SIGTERM", "SIGHUP"])
    func anInterruptedExportLeavesNoPartFile(signal: String) throws {
        defer { directory.remove() }
        try Data("the last export\r\n".utf8).write(to: URL(fileURLWithPath: csv))
        let numbers = ["SIGINT": 2, "SIGTERM": 15, "SIGHUP": 1]
        let (_, status, _) = try export(chunks: 2, hold: signal)
        #expect(status == -numbers[signal]!)
        #expect(try String(contentsOfFile: csv, encoding: .utf8) == "the last export\r\n")
        #expect(files == ["ledger.csv"])
    }

    /// Killed outright (`kill -9`, as a power cut would end it), an export leaves its part
    /// file: no handler runs. The next export of that name removes it and finishes whole.
    @Test func aPartFileLeftByAKilledExportIsRemovedByTheNext() throws {
        defer { directory.remove() }
        let (_, killed, _) = try export(chunks: 2, hold: "SIGKILL")
        #expect(killed == -9)
        let left = files.filter { $0.hasPrefix(".ledger.csv.part-") }
        #expect(left.count == 1, "\(files)")
        // Older than the moment in which a new part file may not be locked yet.
        for part in left { try age(part) }
        let (_, status, _) = try export(chunks: 2)
        #expect(status == 0)
        #expect(files == ["ledger.csv"])
        #expect((try FileManager.default.attributesOfItem(atPath: csv)[.size] as? Int) == 2 * 65536)
    }

    /// What the next export leaves: a part file another export holds (locked, as a running
    /// export's is), one made a moment ago, and a file of the manager's own.
    @Test func anExportLeavesRunningExportsPartsAndOtherFiles() throws {
        defer { directory.remove() }
        let held = directory.file(".ledger.csv.part-Held01")
        let lock = open(held, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        defer { close(lock) }
        #expect(lock >= 0 && flock(lock, LOCK_EX) == 0)
        try age(".ledger.csv.part-Held01")
        try Data().write(to: URL(fileURLWithPath: directory.file(".ledger.csv.part-Fresh1")))
        try Data("mine".utf8).write(to: URL(fileURLWithPath: directory.file(".ledger.csv.backup")))
        try age(".ledger.csv.backup")
        let (_, status, _) = try export(chunks: 1)
        #expect(status == 0)
        #expect(files == [".ledger.csv.backup", ".ledger.csv.part-Fresh1", ".ledger.csv.part-Held01", "ledger.csv"])
    }

    /// Sets a file in the export's folder as last written a minute ago.
    func age(_ name: String) throws {
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -60)], ofItemAtPath: directory.file(name))
    }
}
