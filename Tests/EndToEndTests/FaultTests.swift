import Foundation
import GRDB
import Testing
import YizhanClient
import YizhanTestSupport

@testable import YizhanStore

#if canImport(Glibc)
    import Glibc
#endif

/// Faults of the board itself, with the built daemon.
@Suite(.serialized) struct FaultTests {
    static var hasPrlimit: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit") }

    /// The state directory fills up: a limit on how large the daemon's files may grow
    /// (RLIMIT_FSIZE) fails its writes as a full disk does. Scans are refused with the error
    /// signal and change nothing; when space returns, scans are served again and nothing is
    /// corrupted.
    @Test(.enabled(if: hasPrlimit, "needs prlimit (util-linux)"))
    func aFullDiskRefusesScansAndTheStationRecovers() throws {
        let daemon = try DaemonProcess()
        defer { daemon.directory.remove() }
        try daemon.start()
        let (id, badge) = try daemon.registerVolunteer("王五", points: 100)
        let pid = try #require(daemon.pid)
        func limitFileSize(_ limit: String) throws {
            #expect(try Command.run("/usr/bin/prlimit", ["--pid", "\(pid)", "--fsize=\(limit):"]).status == 0)
        }
        func scan(_ code: String) throws -> UnixHTTPClient.Response {
            try daemon.client.send("POST", "/v1/scans", json: ["code": code, "scanner": "api"])
        }

        try limitFileSize("65536")
        // The first scans may still fit in space the database had already taken.
        var refused: UnixHTTPClient.Response?
        for index in 0..<2000 where refused == nil {
            let reply = try scan(index % 2 == 0 ? "YZ:I:soap" : badge)
            if reply.status != 200 { refused = reply }
        }
        let reply = try #require(refused, "a scan was refused once the disk was full")
        #expect(reply.status == 503)
        #expect((reply.json?["error"] as? [String: Any])?["code"] as? String == "store_unavailable")
        #expect(try daemon.client.send("GET", "/v1/status").status == 200, "the daemon goes on")
        let before = try daemon.balance(id)

        try limitFileSize("unlimited")
        // Each scan is a transaction of its own: the first after the disk has room is served.
        #expect(try scan("YZ:K:CANCEL").json?["reason"] as? String == "selection_cancelled", "served again")
        #expect(try daemon.balance(id) == before, "the refused scans changed nothing")
        #expect(try daemon.ledgerVerifies())
        #expect(daemon.stop() == 0)
        try daemon.start()
        #expect(try daemon.ledgerVerifies(), "and after a restart")
        #expect(try daemon.balance(id) == before)
        #expect(daemon.stop() == 0)
    }

    /// The disk holding the state directory is full when the daemon starts (here a tmpfs of
    /// its own, filled up; a board's disk fills with the journal, or another program's
    /// files). Nothing can be opened or recorded, and nothing is wrong with the database:
    /// the daemon neither exits nor refuses for good, as it does for a damaged one, but
    /// waits, tells systemd why and that its start goes on, and starts by itself once
    /// there is room, with everything acknowledged before kept.
    @Test(.enabled(if: SmallDisk.available, "needs root, to mount a tmpfs"))
    func aStartOnAFullDiskWaitsForRoom() throws {
        let daemon = try DaemonProcess()
        let disk = try SmallDisk(at: daemon.directory.file("state"))
        defer {
            disk.unmount()
            daemon.directory.remove()
        }
        try daemon.start()
        let (id, badge) = try daemon.registerVolunteer("钱七", points: 30)
        let opened = try daemon.post("/v1/scans", ["code": badge, "scanner": "api"])
        #expect(opened.json?["reason"] as? String == "patrol_started")
        #expect(daemon.stop() == 0)

        #expect(try disk.fill() == 0, "no block is left")
        try daemon.start(untilReady: false)
        let waiting = daemon.notify.wait { $0.contains("STATUS=waiting for room: the disk holding") && $0.contains("EXTEND_TIMEOUT_USEC=") }
        #expect(waiting, "systemd hears why, and that the start goes on")
        #expect(daemon.notify.wait(for: "EXTEND_TIMEOUT_USEC=15000000", timeout: .seconds(20)), "again while it waits")
        #expect(daemon.isRunning, "a full disk is waited out, not an exit")
        let log = try String(contentsOfFile: daemon.directory.file("log/yizhand.log"), encoding: .utf8)
        #expect(log.contains("the disk holding the state directory is full"), "the journal and the log say why")

        try disk.makeRoom()
        #expect(daemon.notify.wait(for: "READY=1", timeout: .seconds(30)), "started once there is room")
        let closed = try daemon.post("/v1/scans", ["code": badge, "scanner": "api"])
        #expect(closed.status == 200 && closed.json?["reason"] as? String != "patrol_started", "the patrol opened before is still open")
        #expect(try daemon.balance(id) == 30)
        #expect(try daemon.ledgerVerifies())
        #expect(daemon.stop() == 0)
    }

    /// The package upgraded on a board whose disk has room, but not for the copy of the
    /// database taken before its migrations: the daemon waits as on a full disk (it used to
    /// stop for good), tells systemd what room the copy needs, and upgrades and starts by
    /// itself once there is room, the station's data kept.
    @Test(.enabled(if: SmallDisk.available, "needs root, to mount a tmpfs"))
    func anUpgradeWithoutRoomForItsCopyWaitsForRoom() throws {
        let daemon = try DaemonProcess()
        let disk = try SmallDisk(at: daemon.directory.file("state"), megabytes: 8)
        defer {
            disk.unmount()
            daemon.directory.remove()
        }
        // The database as an older version left it: a schema behind, a volunteer's 8 points
        // and 1.5 MB of the station's history.
        let old = try DatabasePool(path: daemon.directory.file("state/yizhan.sqlite"))
        try Schema.migrator.migrate(old, upTo: "v5-rota-and-actors")
        try old.write { db in
            try db.execute(
                sql: """
                    INSERT INTO volunteer (name, role, balance, earned, created_at)
                    VALUES ('老志愿者', 'leader', 8, 8, '2025-01-01T00:00:00.000Z')
                    """)
            try db.execute(sql: "CREATE TABLE history (b BLOB); INSERT INTO history VALUES (zeroblob(1500000))")
        }
        try old.close()
        #expect(try disk.fill(leaving: 256 * 1024) > 0, "room, but not for a copy")

        try daemon.start(untilReady: false)
        let waiting = daemon.notify.wait { $0.contains("STATUS=waiting for room: the upgrade of") && $0.contains("free for its copy") }
        #expect(waiting, "systemd hears what room the upgrade needs")
        #expect(daemon.isRunning, "waited out, not an exit")
        try disk.makeRoom()
        #expect(daemon.notify.wait(for: "READY=1", timeout: .seconds(30)), "upgraded and started once there is room")
        #expect(try daemon.balance(1) == 8)
        #expect(daemon.stop() == 0)
    }

    /// The state directory turns read-only while the daemon runs, as an SD card's
    /// filesystem does after errors. Here the immutable attribute does it, which, like a
    /// read-only remount, fails writes through descriptors that are already open. Scans are
    /// refused with the error signal and change nothing; every scan acknowledged before is
    /// kept; the status calls the store unusable until a scan is taken again; when the
    /// directory is writable again the station goes on, and a restart finds the ledger whole.
    ///
    /// The first read after the last commit is the one that once killed the daemon with
    /// `SIGBUS`: SQLite records a reader's mark in its WAL index, which lived in the `-shm`
    /// file, mapped shared, and a store into a mapping of a file that cannot be written
    /// faults. The index is now kept in the daemon's memory (`Store.heldByThisProcess`).
    @Test(.enabled(if: ImmutableAttribute.available, "needs chattr and a filesystem with the immutable attribute (as root)"))
    func aReadOnlyStateDirectoryRefusesScansAndTheStationRecovers() throws {
        let daemon = try DaemonProcess()
        let state = daemon.directory.file("state")
        func immutable(_ on: Bool) throws {
            #expect(try ImmutableAttribute.set(on, onDirectory: state))
        }
        defer {
            try? immutable(false)
            daemon.directory.remove()
        }
        try daemon.start()
        let (id, badge) = try daemon.registerVolunteer("赵六", points: 60)
        func scan(_ code: String) throws -> UnixHTTPClient.Response {
            try daemon.client.send("POST", "/v1/scans", json: ["code": code, "scanner": "api"])
        }
        var acknowledged: [Int] = []
        for code in ["YZ:I:soap", badge, "YZ:K:CANCEL"] {
            let reply = try scan(code)
            #expect(reply.status == 200)
            acknowledged += [reply.json?["seq"] as? Int].compactMap { $0 }
        }
        let before = try daemon.balance(id)
        // A commit the daemon reads nothing after, so that the read below is the first since
        // it: SQLite then records the reader's mark in its WAL index.
        _ = try daemon.registerVolunteer("孙八", points: 1)

        try immutable(true)
        #expect(try daemon.balance(id) == before, "the first read after the last commit answers")
        // An unknown code too: an answer that is not an error says the scan is recorded.
        for code in ["YZ:I:soap", badge, "NOT-A-CODE"] {
            let reply = try scan(code)
            #expect(reply.status == 503, "a scan on a read-only store is refused")
            #expect((reply.json?["error"] as? [String: Any])?["code"] as? String == "store_unavailable")
        }
        let status = try daemon.client.send("GET", "/v1/status")
        #expect(status.status == 200, "the daemon goes on")
        #expect(status.json?["store"] as? String == "unusable", "the status says what the lights show (red steady)")
        #expect(try daemon.balance(id) == before, "reads still answer, unchanged")

        try immutable(false)
        #expect(try scan("YZ:K:CANCEL").status == 200, "served again")
        #expect(try daemon.get("/v1/status")["store"] as? String == "ok")
        #expect(try daemon.balance(id) == before, "the refused scans changed nothing")
        #expect(daemon.stop() == 0)
        try daemon.start()
        #expect(try daemon.ledgerVerifies())
        let logged = Set((try daemon.get("/v1/scans?limit=100")["items"] as? [[String: Any]] ?? []).compactMap { $0["seq"] as? Int })
        #expect(Set(acknowledged).isSubset(of: logged) && acknowledged.count == 3, "every acknowledged scan is kept")
        #expect(try daemon.balance(id) == before)
        #expect(daemon.stop() == 0)
    }

    /// The log directory turns read-only while the daemon runs: scans go on (the log is not
    /// the ledger) and their lines are dropped from the file; once it can be written again
    /// the file goes on, without a restart, from a warning that counts the lines lost.
    @Test(.enabled(if: ImmutableAttribute.available, "needs chattr and a filesystem with the immutable attribute (as root)"))
    func aReadOnlyLogDirectoryLosesLinesButNotTheLog() throws {
        let daemon = try DaemonProcess()
        let logs = daemon.directory.file("log")
        let log = logs + "/yizhand.log"
        defer {
            _ = try? ImmutableAttribute.set(false, on: [logs, log])
            daemon.directory.remove()
        }
        try daemon.start()
        func scan(_ code: String) throws -> Int? {
            try daemon.client.send("POST", "/v1/scans", json: ["code": code, "scanner": "api"]).json?["seq"] as? Int
        }
        func lines() throws -> [[String: String]] {
            try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").compactMap {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]
            }
        }

        #expect(try ImmutableAttribute.set(true, on: [logs, log]))
        let taken = try ["YZ:I:soap", "YZ:K:CANCEL"].compactMap(scan)
        #expect(taken.count == 2, "scans are taken while the log cannot be written")
        let before = try lines()
        #expect(!before.contains { $0["seq"] == "\(taken[0])" }, "their lines are not in the file")

        #expect(try ImmutableAttribute.set(false, on: [logs, log]))
        // The file is opened again at most once a second, at a line: scans make lines.
        let resumed = try daemon.waitUntil(timeout: .seconds(10)) {
            _ = try scan("YZ:K:CANCEL")
            return try lines().contains { $0["lost"] != nil }
        }
        #expect(resumed, "the file goes on with a warning")
        // The line that reopened the file may have been the request's, after its scan's line
        // was dropped: one more scan, whose lines are written before its reply, is in the file.
        #expect(try scan("YZ:I:soap") != nil)
        let after = try lines().dropFirst(before.count)
        let lost = after.first { $0["lost"] != nil }
        #expect(lost?["level"] == "warning" && Int(lost?["lost"] ?? "") ?? 0 >= 4, "two scans and their requests: \(lost ?? [:])")
        #expect(after.contains { $0["message"] == "scan" }, "later scans are in the file")
        #expect(daemon.stop() == 0)
    }

    /// The log directory cannot be written when the daemon starts: it starts all the same
    /// and takes scans, and once the directory can be written the file begins with a
    /// warning that counts the lines lost since the start.
    @Test(.enabled(if: ImmutableAttribute.available, "needs chattr and a filesystem with the immutable attribute (as root)"))
    func aLogDirectoryThatCannotBeWrittenAtStartDoesNotStopTheStation() throws {
        let daemon = try DaemonProcess()
        let logs = daemon.directory.file("log")
        defer {
            _ = try? ImmutableAttribute.set(false, on: [logs])
            daemon.directory.remove()
        }
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        #expect(try ImmutableAttribute.set(true, on: [logs]))
        try daemon.start()
        let reply = try daemon.client.send("POST", "/v1/scans", json: ["code": "YZ:K:CANCEL", "scanner": "api"])
        #expect(reply.status == 200 && reply.json?["seq"] is Int, "a scan is taken")

        #expect(try ImmutableAttribute.set(false, on: [logs]))
        // The file is opened again at most once a second, at a line: scans make lines.
        let resumed = try daemon.waitUntil(timeout: .seconds(10)) {
            _ = try daemon.client.send("POST", "/v1/scans", json: ["code": "YZ:K:CANCEL", "scanner": "api"])
            // Its first whole line, not only the file: another thread may have made it.
            return (try? String(contentsOfFile: logs + "/yizhand.log", encoding: .utf8))?.contains("\n") == true
        }
        #expect(resumed, "the file is made once it can be")
        let first = try String(contentsOfFile: logs + "/yizhand.log", encoding: .utf8).split(separator: "\n").first
            .flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] }
        #expect(first?["level"] == "warning" && Int(first?["lost"] ?? "") ?? 0 >= 4, "the start's lines and a scan's: \(first ?? [:])")
        #expect(daemon.stop() == 0)
    }

    /// libfaketime, which shifts the wall clock of one process by an offset read from a file:
    /// its synchronised build, since the daemon reads clocks on several threads at once and
    /// the plain one, re-reading the file on each call, now and then answers one of them with
    /// the real time (a patrol opened in June then looked past its day and expired).
    static let libfaketime = ["x86_64", "aarch64"].map { "/usr/lib/\($0)-linux-gnu/faketime/libfaketimeMT.so.1" }
        .first { FileManager.default.fileExists(atPath: $0) }

    /// The wall clock jumps two hours forward in the middle of a patrol, then four hours
    /// back in the middle of another (an NTP step, a technician setting the date), within
    /// one day (libfaketime runs the daemon's wall clock from 17:00 station time). Patrols are
    /// timed on the monotonic clock: an hour is the longest a patrol may last here, so a
    /// patrol timed by the wall clock would expire at the forward jump. Scans keep their
    /// order, each is recorded with the time the board believed, and the ledger stays whole.
    @Test(.enabled(if: libfaketime != nil, "needs libfaketime (apt: faketime)"))
    func theWallClockJumpingNeitherExpiresNorBreaksAPatrol() throws {
        let rules = DaemonProcess.defaultRules.replacingOccurrences(of: "min_minutes = 0", with: "min_minutes = 0\nmax_minutes = 60")
        let daemon = try DaemonProcess(extra: rules)
        defer { daemon.directory.remove() }
        let clock = daemon.directory.file("clock")
        func setClock(_ time: String) throws { try "@2026-06-01 \(time)".write(toFile: clock, atomically: true, encoding: .utf8) }
        try setClock("09:00:00")
        try daemon.start(environment: [
            "LD_PRELOAD": Self.libfaketime!, "FAKETIME_TIMESTAMP_FILE": clock, "FAKETIME_NO_CACHE": "1",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "TZ": "UTC",
        ])
        let (id, badge) = try daemon.registerVolunteer("钱七", points: 1)
        func scan(_ code: String) throws -> String? {
            let reply = try daemon.client.send("POST", "/v1/scans", json: ["code": code, "scanner": "api"])
            #expect(reply.status == 200)
            return reply.json?["reason"] as? String
        }
        func lastScan() throws -> (seq: Int, at: Date) {
            let scan = try #require((try daemon.get("/v1/scans?limit=1")["items"] as? [[String: Any]])?.first)
            return (
                try #require(scan["seq"] as? Int), try #require((scan["at"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) })
            )
        }

        #expect(try scan(badge) == "patrol_started")
        let opened = try lastScan()
        try setClock("11:00:00")
        #expect(try scan("YZ:C:extinguisher-1") == "checkpoint_recorded")
        let later = try lastScan()
        #expect(later.at.timeIntervalSince(opened.at) > 7000, "the board's wall clock did jump forward")
        #expect(try scan("YZ:C:water-dispenser") == "checkpoint_recorded")
        let completed = try scan(badge)
        let patrols = try daemon.get("/v1/patrols?volunteer_id=\(id)")
        #expect(completed == "patrol_completed", "not expired by the jump: \(patrols)")

        // A second volunteer: one daily patrol a day each.
        let (other, otherBadge) = try daemon.registerVolunteer("孙八", points: 1)
        #expect(try scan(otherBadge) == "patrol_started")
        try setClock("07:00:00")
        #expect(try scan("YZ:C:extinguisher-1") == "checkpoint_recorded")
        let earlier = try lastScan()
        #expect(earlier.at.timeIntervalSince(opened.at) < -7000, "and back")
        #expect(try scan("YZ:C:water-dispenser") == "checkpoint_recorded")
        let otherCompleted = try scan(otherBadge)
        #expect(otherCompleted == "patrol_completed", "a patrol that ends before it began by the wall clock still completes")

        #expect(opened.seq < later.seq && later.seq < earlier.seq, "scans keep their order")
        for volunteer in [id, other] {
            let patrols = try daemon.get("/v1/patrols?volunteer_id=\(volunteer)")["items"] as? [[String: Any]] ?? []
            #expect(patrols.count == 1 && patrols.first?["state"] as? String == "completed")
            #expect(try daemon.balance(volunteer) == 3, "the daily award, once")
        }
        #expect(try daemon.ledgerVerifies())
        #expect(daemon.stop() == 0)
    }
}
