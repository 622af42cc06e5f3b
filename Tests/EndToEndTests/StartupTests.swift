import Foundation
import Testing
import YizhanClient
import YizhanTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// What `yizhand` refuses to start on: another daemon's state or sockets, a path that is
/// not a socket, a damaged or emptied database. Each refusal says why, changes nothing,
/// and leaves whatever was running serving.
@Suite(.serialized) struct StartupTests {
    /// Runs `yizhand --config` to its end (a daemon that wrongly starts is stopped after 20 s
    /// by `timeout`, exit 124).
    static func runDaemon(_ configPath: String, notify: String? = nil) throws -> Command {
        let daemon = DaemonProcess.productsDirectory.appendingPathComponent("yizhand").path
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = notify
        return try Command.run("/usr/bin/timeout", ["20", daemon, "--config", configPath], environment: environment)
    }

    @Test func aSecondDaemonOnTheSameStateRefusesAndTheFirstKeepsItsSockets() throws {
        let first = try DaemonProcess()
        try first.start()
        let second = try Self.runDaemon(first.configPath)
        #expect(second.status == 1 && second.errors.contains("another yizhand (pid \(first.pid!)) is running"), "\(second.errors)")
        #expect(try first.post("/v1/scans", ["code": "YZ:K:CANCEL"]).status == 200, "the first still serves its socket")

        // Another state directory, the same sockets: refused while the first serves them.
        let other = first.directory.file("other.toml")
        let text = try String(contentsOfFile: first.configPath, encoding: .utf8)
            .replacingOccurrences(of: first.directory.file("state"), with: first.directory.file("state-2"))
        try text.write(toFile: other, atomically: true, encoding: .utf8)
        let third = try Self.runDaemon(other)
        #expect(third.status == 1 && third.errors.contains("is served by another process"), "\(third.errors)")
        #expect(try first.post("/v1/scans", ["code": "YZ:K:CANCEL"]).status == 200)
        #expect(first.stop() == 0)
    }

    @Test func aSocketPathNamingAFileIsRefusedAndTheFileKept() throws {
        let daemon = try DaemonProcess()
        let precious = daemon.directory.file("precious.sqlite")
        try Data("ledger".utf8).write(to: URL(fileURLWithPath: precious))
        try daemon.writeConfig(api: "[api]\nadmin_socket = \"\(daemon.adminSocket)\"\nkiosk_socket = \"\(precious)\"")
        let run = try Self.runDaemon(daemon.configPath)
        #expect(run.status == 1 && run.errors.contains("exists and is not a socket"), "\(run.errors)")
        #expect(FileManager.default.contents(atPath: precious) == Data("ledger".utf8))

        try daemon.writeConfig(api: "[api]\nadmin_socket = \"\(daemon.adminSocket)\"\nkiosk_socket = \"\(daemon.adminSocket)\"")
        let check = try Command.run(
            DaemonProcess.productsDirectory.appendingPathComponent("yizhand").path, ["--check-config", "--config", daemon.configPath])
        #expect(check.status == 1 && check.errors.contains("api.kiosk_socket: must differ from admin_socket"), "\(check.errors)")
    }

    /// A database written by a run of the daemon, then stopped.
    static func stoppedStation() throws -> DaemonProcess {
        let daemon = try DaemonProcess()
        try daemon.start()
        for index in 0..<200 { _ = try daemon.post("/v1/volunteers", ["name": "志愿者\(index)"]) }
        #expect(daemon.stop() == 0)
        return daemon
    }

    /// Checkpoints the database and overwrites the pages that hold the volunteers (found by
    /// SQLite's `dbstat`), as a failing SD card would: the file still opens, the daemon
    /// starts, and only reading those pages shows the damage. Returns the damaged bytes.
    static func damageVolunteerPages(_ database: String) throws -> Data {
        let python = """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = [p for (p,) in db.execute("SELECT pageno FROM dbstat WHERE name = 'volunteer' AND pagetype = 'leaf'")]
            db.close()
            size = 4096
            with open(sys.argv[1], "r+b") as f:
                for page in pages:
                    f.seek((page - 1) * size)
                    f.write(bytes((i * 7) & 255 for i in range(size)))
            print(len(pages))
            """
        let run = try Command.run("/usr/bin/python3", ["-c", python, database])
        #expect(run.status == 0 && (Int(run.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 1, "\(run.errors)")
        try? FileManager.default.removeItem(atPath: database + "-wal")
        try? FileManager.default.removeItem(atPath: database + "-shm")
        return try #require(FileManager.default.contents(atPath: database))
    }

    @Test func aDamagedDatabaseStopsTheDaemonAndIsLeftAsItWas() throws {
        let daemon = try Self.stoppedStation()
        let database = daemon.directory.file("state/yizhan.sqlite")
        let damaged = try Self.damageVolunteerPages(database)
        // The check runs beside start-up (a large ledger takes a second to read), with scans
        // held on the station until it passes; here it fails, and the daemon stops with 3.
        try Self.expectRefusedStore(daemon, saying: "is damaged (quick_check", status: "is damaged")
        #expect(FileManager.default.contents(atPath: database) == damaged, "nothing written into the damaged file")
    }

    /// Runs the daemon, with simulated lights, on a store it cannot use, and checks the
    /// refusal: exit 3 with `message` on standard error, systemd's status line naming
    /// `status`, and the lights left on the store-unusable signal, red, as the log file says.
    static func expectRefusedStore(_ daemon: DaemonProcess, saying message: String, status: String) throws {
        try daemon.writeConfig(extra: DaemonProcess.defaultRules + "\n[gpio]\nbackend = \"sim\"\n")
        let run = try runDaemon(daemon.configPath, notify: daemon.notify.path)
        #expect(run.status == 3 && run.errors.contains(message), "\(run.status) \(run.errors)")
        var said: [String] = []
        while let line = daemon.notify.receive(timeout: .milliseconds(500)) { said.append(line) }
        #expect(said.contains { $0.hasPrefix("STATUS=store unusable, stopped:") && $0.contains(status) }, "\(said)")
        let log = try String(contentsOfFile: daemon.directory.file("log/yizhand.log"), encoding: .utf8)
        let stopping = log.split(separator: "\n").last { $0.contains("database cannot be used") } ?? ""
        #expect(stopping.contains(#""lights":"red""#), "\(stopping)")
    }

    /// A state directory the daemon cannot write (an SD card remounted read-only after
    /// errors; here the immutable attribute) is a store that cannot be used: the start stops
    /// with 3, which the unit does not restart on, the lights red and systemd told why.
    @Test(.enabled(if: ImmutableAttribute.available, "needs chattr and a filesystem with the immutable attribute (as root)"))
    func aStateDirectoryThatCannotBeWrittenStopsTheStartWithTheLightsRed() throws {
        let daemon = try Self.stoppedStation()
        let state = daemon.directory.file("state")
        defer { _ = try? ImmutableAttribute.set(false, onDirectory: state) }
        #expect(try ImmutableAttribute.set(true, onDirectory: state))
        try Self.expectRefusedStore(daemon, saying: "yizhand must be able to write \(state)", status: "yizhand.lock")
    }

    /// The whole card read-only, its log directory as well: the log file does not stop the
    /// start, so the store's refusal still shows, in the journal, with the lights red.
    @Test(.enabled(if: ImmutableAttribute.available, "needs chattr and a filesystem with the immutable attribute (as root)"))
    func aCardThatCannotBeWrittenAtAllStillStopsWithTheLightsRed() throws {
        let daemon = try Self.stoppedStation()
        let (state, logs) = (daemon.directory.file("state"), daemon.directory.file("log"))
        defer { for directory in [state, logs] { _ = try? ImmutableAttribute.set(false, onDirectory: directory) } }
        try daemon.writeConfig(extra: DaemonProcess.defaultRules + "\n[gpio]\nbackend = \"sim\"\n")
        #expect(try ImmutableAttribute.set(true, onDirectory: state) && ImmutableAttribute.set(true, onDirectory: logs))
        let run = try Self.runDaemon(daemon.configPath)
        #expect(run.status == 3, "\(run.status) \(run.errors)")
        let journal = run.errors.split(separator: "\n")
        #expect(journal.contains { $0.contains("the log file cannot be written") }, "\(run.errors)")
        #expect(journal.contains { $0.contains("database cannot be used") && $0.contains("lights=red") }, "\(run.errors)")
    }

    @Test func anEmptiedDatabaseRefusesToStartInsteadOfBeginningANewLedger() throws {
        let daemon = try Self.stoppedStation()
        let database = daemon.directory.file("state/yizhan.sqlite")
        try Data().write(to: URL(fileURLWithPath: database))
        try? FileManager.default.removeItem(atPath: database + "-wal")
        let run = try Self.runDaemon(daemon.configPath)
        #expect(run.status == 3 && run.errors.contains("is empty (0 bytes)"), "\(run.status) \(run.errors)")
        #expect(FileManager.default.contents(atPath: database)?.isEmpty == true)
    }

    /// A package upgrade whose migration fails on this station's database (here one edited
    /// by hand: the last migration's columns are there, its record is not): the daemon
    /// stops with 3, the database is as it was, and the message says what to do.
    @Test func aFailedUpgradeLeavesTheDatabaseAsItWasAndStopsWith3() throws {
        let daemon = try Self.stoppedStation()
        let database = daemon.directory.file("state/yizhan.sqlite")
        let dump = "import sqlite3, sys; print('\\n'.join(sqlite3.connect(sys.argv[1]).iterdump()))"
        let forget = """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("DELETE FROM grdb_migrations WHERE identifier = 'v7-district-registry'")
            db.commit()
            """
        let edit = try Command.run("/usr/bin/python3", ["-c", forget, database])
        #expect(edit.status == 0, "\(edit.errors)")
        let before = try Command.run("/usr/bin/python3", ["-c", dump, database]).output
        let run = try Self.runDaemon(daemon.configPath)
        #expect(run.status == 3, "\(run.status) \(run.errors)")
        #expect(run.errors.contains("from schema v6-district-outbox to v7-district-registry failed"), "\(run.errors)")
        #expect(run.errors.contains("duplicate column name: district_id"), "\(run.errors)")
        #expect(run.errors.contains("Install the previous package again"), "\(run.errors)")
        #expect(try Command.run("/usr/bin/python3", ["-c", dump, database]).output == before)
        let copies = try FileManager.default.contentsOfDirectory(atPath: daemon.directory.file("state/backup"))
        #expect(copies.count == 1 && copies[0].hasSuffix("-v6-district-outbox.sqlite"), "\(copies)")
    }

    @Test func aBackupRefusesALinkOrAnExistingFile() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let target = daemon.directory.file("elsewhere")
        let link = daemon.directory.file("dangling.sqlite")
        symlink(target, link)
        let refused = try daemon.post("/v1/backup", ["path": link])
        #expect(refused.status == 409, "\(refused.status)")
        #expect(!FileManager.default.fileExists(atPath: target), "nothing written through the link")
        let existing = daemon.directory.file("existing.sqlite")
        try Data("keep".utf8).write(to: URL(fileURLWithPath: existing))
        #expect(try daemon.post("/v1/backup", ["path": existing]).status == 409)
        #expect(FileManager.default.contents(atPath: existing) == Data("keep".utf8))
        #expect(try daemon.post("/v1/backup", ["path": daemon.directory.file("fresh.sqlite")]).status == 201)
    }
}
