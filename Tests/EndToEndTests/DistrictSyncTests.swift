import Foundation
import Testing
import YizhanTestSupport
import YizhanWire

/// Station daemons with a `[district]` pushing into and pulling from a real PostgreSQL that
/// the test starts, set up with `yizhan-district` as a district office would.
@Suite(.serialized, .enabled(if: PostgresCluster.available, "needs PostgreSQL's server (apt: postgresql)"))
struct DistrictSyncTests {
    @Test func theStationPushesEveryRecordOnceAndCatchesUpAfterTheDistrictWasAway() throws {
        let office = try DistrictOffice()
        let cluster = office.cluster
        #expect(try office.run("migrate").output == "applied 1, 2\n")
        let daemon = try DaemonProcess(extra: DaemonProcess.defaultRules + office.addStation("e2e-station"))
        try daemon.start()

        let (id, badge) = try daemon.registerVolunteer("钱七", points: 10)
        #expect(try daemon.patrol(badge).last == "patrol_completed")
        #expect(try daemon.afterSyncRounds { daemon.drained }, "\(daemon.district)")

        // The district goes away: scans go on, the backlog grows and the status says why.
        cluster.stop(keepData: true)
        let (other, otherBadge) = try daemon.registerVolunteer("孙八", points: 5)
        #expect(try daemon.patrol(otherBadge).last == "patrol_completed")
        #expect(
            try daemon.afterSyncRounds { daemon.district.lastError?.contains("cannot reach") == true },
            "\(daemon.district)")
        #expect(daemon.district.backlog > 0)
        let status = try Command.run(
            Command.product("yizhanctl"), ["--socket", daemon.adminSocket, "status"], environment: ProcessInfo.processInfo.environment)
        #expect(
            status.output.contains("district  backlog ") && status.output.contains("last error: unreachable: cannot reach"),
            "\(status.output)")
        #expect(try daemon.metric("yizhan_district_failing") == 1)
        #expect(try (daemon.metric("yizhan_district_backlog") ?? 0) > 0)
        #expect(daemon.notify.wait { $0.contains("STATUS=") && $0.contains("district failing (unreachable") })

        try cluster.start()
        #expect(try daemon.afterSyncRounds(within: .seconds(60)) { daemon.drained }, "\(daemon.district)")
        #expect(daemon.district.lastError == nil)

        // Every record there exactly once, with no gap, and the district's sums are the station's.
        #expect(try Self.seqs(cluster, "e2e-station").gapless)
        for volunteer in [id, other] {
            let balance = try daemon.balance(volunteer)
            let summed = try cluster.sql(
                "SELECT sum(delta) FROM district_ledger WHERE station_id = 'e2e-station' AND volunteer_id = \(volunteer)")
            #expect(Int(summed.output.trimmingCharacters(in: .newlines)) == balance, "volunteer \(volunteer): \(summed.errors)")
        }
        #expect(try cluster.sql("SELECT count(*) FROM district_patrols WHERE state = 'completed'").output == "2\n")
        let listed = try office.run("station", "list")
        #expect(
            listed.output.contains("e2e-station") && !listed.output.contains("never") && !listed.output.contains("SILENT"),
            "\(listed.output)")
        #expect(daemon.stop() == 0)
    }

    /// Records the district has held for over 30 days leave the station's outbox with the
    /// next batch marked sent; the district keeps every one. The board's clocks are moved by
    /// libfaketime; the outbox is read from the station's database file, with the daemon
    /// stopped, since it holds the file while it runs.
    @Test(.enabled(if: FaultTests.libfaketime != nil, "needs libfaketime (apt: faketime)"))
    func recordsTheDistrictHasHeldForAMonthLeaveTheStation() throws {
        let office = try DistrictOffice()
        let cluster = office.cluster
        #expect(try office.run("migrate").status == 0)
        let daemon = try DaemonProcess(extra: DaemonProcess.defaultRules + office.addStation("e2e-station"))
        let clock = daemon.directory.file("clock")
        try "@2026-11-02 01:00:00".write(toFile: clock, atomically: true, encoding: .utf8)
        let environment = [
            "LD_PRELOAD": FaultTests.libfaketime!, "FAKETIME_TIMESTAMP_FILE": clock, "FAKETIME_NO_CACHE": "1", "TZ": "UTC",
        ]
        try daemon.start(environment: environment)
        func outbox() throws -> [Int] {
            #expect(daemon.stop() == 0)
            let read = try Command.run(
                "/usr/bin/python3",
                [
                    "-c",
                    "import sqlite3, sys; print(*(r[0] for r in sqlite3.connect(sys.argv[1]).execute('SELECT seq FROM outbox ORDER BY seq')))",
                    daemon.directory.file("state/yizhan.sqlite"),
                ])
            #expect(read.status == 0, "\(read.errors)")
            try daemon.start(environment: environment)
            return read.output.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .newlines)) }
        }

        let (_, badge) = try daemon.registerVolunteer("钱七", points: 10)
        #expect(try daemon.patrol(badge).last == "patrol_completed")
        #expect(try daemon.afterSyncRounds { daemon.drained }, "\(daemon.district)")
        let sent = try outbox()
        try #require(!sent.isEmpty)

        try "@2026-12-03 01:00:00".write(toFile: clock, atomically: true, encoding: .utf8)
        _ = try daemon.registerVolunteer("孙八", points: 5)
        #expect(try daemon.afterSyncRounds { daemon.drained }, "\(daemon.district)")
        let kept = try outbox()
        #expect(kept.first.map { $0 > sent.last! } == true, "sent \(sent), kept \(kept)")
        let held = try Self.seqs(cluster, "e2e-station")
        #expect(held.gapless && held.count == kept.last, "the district holds every record, 1 to \(kept.last ?? 0): \(held)")
        #expect(daemon.stop() == 0)
    }

    /// The district's connection runs on an admin socket's loop: a station that has synced
    /// has no event loops but its sockets' (the kiosk socket's one, the admin socket's one a
    /// core up to two), where PostgresNIO's own would have added a thread a core, each in
    /// the shortest slice of the scan path's thread that started it.
    @Test func aStationThatSyncsStartsNoThreadsForIt() throws {
        let office = try DistrictOffice()
        #expect(try office.run("migrate").status == 0)
        let daemon = try DaemonProcess(extra: DaemonProcess.defaultRules + office.addStation("e2e-station"))
        try daemon.start()
        let (_, badge) = try daemon.registerVolunteer("郑一", points: 1)
        #expect(try daemon.scan(badge) == "patrol_started")
        #expect(try daemon.afterSyncRounds { daemon.drained }, "\(daemon.district)")
        #expect(try Self.seqs(office.cluster, "e2e-station").count > 0)
        let loops = daemon.loopTimes(whileAsking: daemon.adminSocket, clients: 1)
        #expect(loops.count == 1 + min(2, ProcessInfo.processInfo.activeProcessorCount), "the sockets' loops, and no other: \(loops)")
        #expect(daemon.stop() == 0)
    }

    /// What the district holds of a station's records: how many, how many distinct, lowest and highest seq.
    static func seqs(_ cluster: PostgresCluster, _ station: String) throws -> (count: Int, gapless: Bool) {
        let row = try cluster.sql(
            "SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM station_record WHERE station_id = '\(station)'")
        let figures = row.output.trimmingCharacters(in: .newlines).split(separator: "|").compactMap { Int($0) }
        return (figures.first ?? 0, figures.count == 4 && figures[0] == figures[1] && figures[2] == 1 && figures[3] == figures[0])
    }

    @Test func aDistrictVolunteerPatrolsAtTwoStationsAndTheDistrictReportIsEachStationsOwn() throws {
        let office = try DistrictOffice()
        #expect(try office.run("migrate").status == 0)
        let zhou = try #require(try office.json("volunteer", "add", "周九", "--phone", "13800000000")["id"] as? Int)
        let code = try #require(try office.json("badge", "issue", "\(zhou)")["code"] as? String)
        let wu = try #require(try office.json("volunteer", "add", "吴十")["id"] as? Int)
        let revoked = try office.json("badge", "issue", "\(wu)")
        let (revokedID, revokedCode) = try (#require(revoked["id"] as? Int), #require(revoked["code"] as? String))

        let rules = DaemonProcess.defaultRules.replacingOccurrences(of: "[patrol]\n", with: "[patrol]\ndaily_max_volunteers = 5\n")
        let refused = try office.run("campaign", "add", "夏季防暑", "--from", "13-45", "--to", "09-15")
        #expect(refused.status != 0 && refused.errors.contains("\"13-45\" is not MM-DD"), "\(refused.errors)")
        let campaign = try office.run("campaign", "add", "冬季供暖", "--from", "11-15", "--to", "03-15", "--checkpoints", "water-dispenser")
        #expect(campaign.output.hasPrefix("campaign 1: 冬季供暖"), "\(campaign.output) \(campaign.errors)")

        let north = try DaemonProcess(stationID: "north", extra: rules + office.addStation("north"))
        let south = try DaemonProcess(stationID: "south", extra: rules + office.addStation("south"))
        for station in [north, south] { try station.start() }
        func pulled(_ station: DaemonProcess) -> Bool {
            let volunteers = (try? station.api.call(API.volunteers()))?.items ?? []
            return Set(volunteers.map(\.name)).isSuperset(of: ["周九", "吴十"])
        }
        for station in [north, south] {
            #expect(try station.afterSyncRounds { pulled(station) }, "\(station.stationID): \(station.district)")
            let changes = try station.api.call(API.changes()).items
            #expect(
                changes.contains { $0.subject.hasPrefix("2 volunteers, 2 badges, 0 revoked, 1 campaigns") },
                "the pull is in the change log, by the district: \(changes)")
            // Registered once at the district, patrolling at both stations.
            #expect(try station.patrol(code) == ["patrol_started", "checkpoint_recorded", "checkpoint_recorded", "patrol_completed"])
            #expect(try station.scan(revokedCode) == "patrol_started")
        }
        let local = try north.registerVolunteer("钱七", points: 10)
        #expect(try north.scan(local.badge) == "patrol_started")
        #expect(try north.scan("YZ:K:HAZARD") == "command_armed")
        #expect(try north.scan("YZ:C:water-dispenser") == "hazard_reported")
        #expect(try north.scan("YZ:C:extinguisher-1") == "checkpoint_recorded")
        #expect(try north.scan(local.badge) == "patrol_completed")
        #expect(try north.post("/v1/hazards/1/transitions", ["to": "confirmed"]).status < 300)
        let buyer = try south.registerVolunteer("孙八", points: 10)
        #expect(try south.scan("YZ:I:soap") == "item_selected")
        #expect(try south.scan(buyer.badge) == "redeemed")

        // Revoked at the district, refused at both once pulled.
        #expect(try office.run("badge", "revoke", "\(revokedID)").status == 0)
        for station in [north, south] {
            #expect(
                try station.afterSyncRounds {
                    let changes = (try? station.api.call(API.changes()))?.items ?? []
                    return changes.contains { $0.actor == "district" && $0.subject.contains("1 revoked") }
                }, "\(station.stationID)")
            #expect(try station.scan(revokedCode) == "unknown_badge")
            #expect(try station.afterSyncRounds { station.drained }, "\(station.stationID): \(station.district)")
        }

        // The district's report is each station's own report, number for number.
        let today = try #require(north.get("/v1/status")["clock"] as? [String: Any])["now"] as? String
        let day = String(try #require(today).prefix(10))
        let report = try office.json("report", "--from", day, "--to", day, "--time-zone", "Asia/Shanghai")
        let stations = try #require(report["stations"] as? [[String: Any]])
        #expect(stations.compactMap { $0["id"] as? String } == ["north", "south"])
        var active = 0
        for (station, figures) in zip([north, south], stations.compactMap { $0["figures"] as? [String: Any] }) {
            let own = try station.get("/v1/reports/summary?from=\(day)&to=\(day)")
            for key in ["patrols", "hazards", "redemptions", "points_earned", "points_redeemed", "active_volunteers"] {
                #expect(
                    own[key] != nil && (own[key] as? NSObject) == (figures[key] as? NSObject),
                    "\(station.stationID) \(key): station \(own[key] ?? "-"), district \(figures[key] ?? "-")")
            }
            active += own["active_volunteers"] as? Int ?? 0
        }
        let total = try #require(report["total"] as? [String: Any])
        #expect(total["active_volunteers"] as? Int == active - 1, "周九 counts once in the district")
        #expect((total["patrols"] as? [String: Any])?["completed"] as? Int == 3)

        // Points stay where they were earned: 周九 has 2 at each station, 4 across the district.
        let summed = try office.cluster.sql(
            "SELECT v.station_id, sum(l.delta) FROM district_ledger l JOIN district_volunteers v USING (station_id, volunteer_id) WHERE v.district_volunteer_id = \(zhou) GROUP BY 1 ORDER BY 1"
        )
        #expect(summed.output == "north|2\nsouth|2\n", "\(summed.output) \(summed.errors)")
        #expect(try office.cluster.sql("SELECT count(*) FROM district_volunteers WHERE name = '周九' AND active").output == "2\n")

        // The documented views agree with the report and the stations.
        let earned = try office.cluster.sql("SELECT sum(earned) FROM district_points_daily").output
        #expect(Int(earned.trimmingCharacters(in: .newlines)) == total["points_earned"] as? Int, "\(earned)")
        #expect(try office.cluster.sql("SELECT station_id, state FROM district_redemptions").output == "south|issued\n")
        #expect(try office.cluster.sql("SELECT station_id, state FROM district_hazards").output == "north|confirmed\n")
        for station in [north, south] {
            let scans = try station.get("/v1/scans?limit=1")["items"] as? [[String: Any]]
            let counted = try office.cluster.sql("SELECT sum(scans) FROM district_scans_daily WHERE station_id = '\(station.stationID)'")
            #expect(Int(counted.output.trimmingCharacters(in: .newlines)) == scans?.first?["seq"] as? Int, "every scan counted by day")
        }

        let csv = office.cluster.directory.file("patrols.csv")
        #expect(try office.run("export", "patrols", "--from", day, "--to", day, "--time-zone", "Asia/Shanghai", "-o", csv).status == 0)
        let exported = try #require(FileManager.default.contents(atPath: csv))
        #expect(exported.starts(with: [0xEF, 0xBB, 0xBF] + Array("station_id,patrol_id".utf8)), "UTF-8 with a byte-order mark")
        #expect(String(decoding: exported, as: UTF8.self).components(separatedBy: "\r\n").count == 1 + 5 + 1, "a header and five patrols")
        for station in [north, south] { #expect(station.stop() == 0) }
    }

    /// `station add --password-out F`: F is written before the role is made, only if it is
    /// new, and taken away again if the station cannot be added, so that no role is left
    /// whose password went nowhere and no station's password file is written over.
    @Test func aStationsPasswordFileIsWrittenFirstAndNeverOverAnother() throws {
        let office = try DistrictOffice()
        let cluster = office.cluster
        #expect(try office.run("migrate").status == 0)
        func roles() throws -> String { try cluster.sql("SELECT count(*) FROM pg_roles WHERE rolname = 'station_north'").output }

        let nowhere = try office.run("station", "add", "north", "--password-out", cluster.directory.file("no-such-folder/north.password"))
        #expect(nowhere.status == 1)
        #expect(nowhere.errors.contains("no-such-folder/north.password: No such file or directory"), "\(nowhere.errors)")
        #expect(try roles() == "0\n", "no role made")

        let file = cluster.directory.file("north.password")
        #expect(try office.run("station", "add", "north", "--password-out", file).status == 0)
        let password = try String(contentsOfFile: file, encoding: .utf8)
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int == 0o600)
        #expect(try cluster.sql("SELECT 1", as: "station_north", password: password.trimmingCharacters(in: .newlines)).output == "1\n")

        let again = try office.run("station", "add", "south", "--password-out", file)
        #expect(again.status == 1)
        #expect(again.errors.contains("it is there already"), "\(again.errors)")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == password, "north's password kept")

        let other = cluster.directory.file("other.password")
        #expect(try office.run("station", "add", "north", "--password-out", other).status == 1, "north is there already")
        #expect(!FileManager.default.fileExists(atPath: other), "the unused password taken away")
    }
}
