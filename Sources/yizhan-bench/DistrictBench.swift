import Foundation
import GRDB
import Logging
import Synchronization
import YizhanCore
import YizhanDistrict
import YizhanStore
import YizhanTestSupport

/// The district (SPEC 9) against a PostgreSQL cluster of the bench's own on this machine:
/// draining a backlog against `COPY`, a thousand stations' rounds, a month of a thousand
/// stations reported, and a station's scan latency whatever the district is doing.
extension Bench {
    static let quiet = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }

    /// One cluster for the district parts, migrated, with `stations` station roles.
    final class DistrictCluster {
        let cluster: PostgresCluster
        var admin: DistrictSettings {
            DistrictSettings(host: "127.0.0.1", port: cluster.port, database: "yizhan", user: "postgres", password: nil)
        }

        init() async throws {
            cluster = try PostgresCluster()
            let admin = admin
            _ = try await District.with(admin, logger: quiet) { try await $0.migrate() }
        }

        func station(_ id: String) -> DistrictSettings {
            DistrictSettings(
                host: "127.0.0.1", port: cluster.port, database: "yizhan", user: District.role(ofStation: id), password: "bench-\(id)")
        }

        func addStations(_ ids: [String]) async throws {
            try await District.with(admin, logger: quiet) { district in
                for id in ids { try await district.addStation(id, password: "bench-\(id)") }
            }
        }
    }

    /// A backlog of `records` pushed by the station's own path (the outbox read in batches of
    /// 500, each pushed in one transaction and marked sent), against psql's `COPY` of the
    /// same rows into the same table, its trigger included.
    static func districtDrain(records: Int, directory: String) async throws {
        let district = try await DistrictCluster()
        defer { district.cluster.stop() }
        try await district.addStations(["bench", "copy-baseline"])
        let store = try Store(stateDirectory: directory + "/drain")
        try store.openOutbox(at: ManualClock(wall: Date()).now())
        // Written straight into the file: the outbox's triggers queue one record a volunteer.
        let queue = try DatabaseQueue(path: directory + "/drain/yizhan.sqlite")
        try await queue.write { db in
            let insert = try db.makeStatement(sql: "INSERT INTO volunteer (name, role, created_at) VALUES (?, 'volunteer', ?)")
            for index in 0..<records { try insert.execute(arguments: ["志愿者\(index)", "2026-12-01T00:00:00.000Z"]) }
        }
        try queue.close()
        let backlog = try store.unsentRecords(limit: records)

        var csv = ""
        for record in backlog {
            let body = "\"" + record.body.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            csv += "copy-baseline,\(record.seq),\(record.kind),\(record.key),\(body),\(record.queuedAt.formatted(.iso8601))\n"
        }
        let file = directory + "/copy.csv"
        try csv.write(toFile: file, atomically: false, encoding: .utf8)
        try Command.run("/bin/chmod", ["644", file])
        let copyStart = ContinuousClock.now
        let copied = try district.cluster.sql(
            "\\copy station_record (station_id, seq, kind, key, body, queued_at) FROM '\(file)' WITH (FORMAT csv)")
        let copyTime = seconds(ContinuousClock.now - copyStart)
        guard copied.status == 0 else { throw PostgresCluster.failure("COPY failed: \(copied.errors)") }

        let pushStart = ContinuousClock.now
        try await District.with(district.station("bench"), logger: quiet) { connection in
            try await connection.requireSchema()
            _ = try await connection.cursor()
            while true {
                let batch = try store.unsentRecords(limit: 500)
                guard !batch.isEmpty else { break }
                try store.markSent(through: try await connection.push(batch, station: "bench"), at: ManualClock(wall: Date()).now())
            }
        }
        let pushTime = seconds(ContinuousClock.now - pushStart)
        print("draining \(backlog.count) records into PostgreSQL on this machine:")
        print(
            "  " + padded("psql \\copy of the same rows (baseline)")
                + String(format: " %8.2f s  %8.0f records/s", copyTime, Double(backlog.count) / copyTime))
        print(
            "  " + padded("station push, 500 a transaction")
                + String(format: " %8.2f s  %8.0f records/s", pushTime, Double(backlog.count) / pushTime))
        print(String(format: "  ratio %.2f× (target ≤ 2×)", pushTime / copyTime))
    }

    /// `stations` simulated stations each doing one sync round (connect, check the schema,
    /// read the cursor, pull the registry, push 20 records, report contact, disconnect),
    /// `concurrent` at a time; the server's peak connections sampled beside them.
    static func districtStations(stations: Int, concurrent: Int) async throws {
        let district = try await DistrictCluster()
        defer { district.cluster.stop() }
        let ids = (0..<stations).map { "bench-\($0)" }
        try await district.addStations(ids)
        let revision = try await District.with(district.admin, logger: quiet) { connection in
            for index in 0..<50 {
                let volunteer = try await connection.addVolunteer(name: "区志愿者\(index)", role: .volunteer, phone: nil)
                _ = try await connection.issueBadge(volunteerID: volunteer, cardUID: nil)
            }
            return try await connection.registry(after: 0).revision
        }
        let peak = Peak()
        let admin = district.admin
        let sampling = Task {
            try await District.with(admin, logger: quiet) { connection in
                while !Task.isCancelled {
                    peak.saw(try await connection.activeConnections())
                    try await Task.sleep(for: .milliseconds(5))
                }
            }
        }
        let start = ContinuousClock.now
        let failures = try await withThrowingTaskGroup(of: Bool.self) { group in
            var next = 0
            func add() {
                let id = ids[next]
                let settings = district.station(id)
                next += 1
                group.addTask {
                    // A failed round is counted, not thrown: the figure is of rounds done.
                    do {
                        try await District.with(settings, logger: quiet) { connection in
                            try await connection.requireSchema()
                            let cursor = try await connection.cursor()
                            _ = try await connection.registry(after: revision)
                            let records = (1...20).map { day in
                                let date = String(format: "2026-11-%02d", day)
                                return OutboxRecord(
                                    seq: cursor + Int64(day), kind: "scan_day", key: date + "/accepted",
                                    body: #"{"day":"\#(date)","outcome":"accepted","count":\#(day)}"#, queuedAt: Date())
                            }
                            _ = try await connection.push(records, station: id)
                            try await connection.reportContact(backlog: 0, oldestQueuedAt: nil)
                        }
                        return false
                    } catch {
                        return true
                    }
                }
            }
            for _ in 0..<min(concurrent, ids.count) { add() }
            var failures = 0
            while let failed = try await group.next() {
                if failed { failures += 1 }
                if next < ids.count { add() }
            }
            return failures
        }
        let elapsed = seconds(ContinuousClock.now - start)
        sampling.cancel()
        _ = try? await sampling.value
        let limit = try await District.with(district.admin, logger: quiet) { try await $0.setting("max_connections") }
        print("\(stations) stations, one sync round each, \(concurrent) at a time, against one PostgreSQL on this machine:")
        print(
            String(
                format: "  %.1f rounds/s (%.2f s in all); a station at sync_seconds = 30 needs %.1f rounds/s for %d stations",
                Double(stations) / elapsed, elapsed, Double(stations) / 30, stations))
        if failures > 0 { print("  \(failures) rounds FAILED") }
        print("  server's peak connections \(peak.highest) (max_connections \(limit)); between rounds a station holds none")
    }

    /// A month of `stations` stations (about 105 records a station a day) loaded into the
    /// district; the month's report and `station list` timed, median of five.
    static func districtReport(stations: Int, days: Int) async throws {
        let district = try await DistrictCluster()
        defer { district.cluster.stop() }
        let load = ContinuousClock.now
        try district.cluster.sql(
            "INSERT INTO station (id, role) SELECT 'bench-' || s, 'bench_role_' || s FROM generate_series(0, \(stations - 1)) s")
        for day in 1...days {
            try district.cluster.sql(Self.monthDay(day, stations: stations))
        }
        try district.cluster.sql("ANALYZE")
        let loaded = try district.cluster.sql("SELECT count(*) FROM station_record").output.trimmingCharacters(in: .newlines)
        let loadTime = seconds(ContinuousClock.now - load)
        let calendar = StationCalendar(timeZone: TimeZone(identifier: "Asia/Shanghai")!)
        let range = try DistrictRange(from: LocalDay("2026-11-01")!, to: LocalDay("2026-11-30")!, calendar: calendar)
        var reports: [Double] = []
        var lists: [Double] = []
        var patrols = 0
        try await District.with(district.admin, logger: quiet) { connection in
            for _ in 0..<5 {
                let start = ContinuousClock.now
                patrols = try await connection.report(range).total.patrols.completed
                reports.append(seconds(ContinuousClock.now - start))
                let listed = ContinuousClock.now
                _ = try await connection.stations()
                lists.append(seconds(ContinuousClock.now - listed))
            }
        }
        print(
            "a month of \(stations) stations: \(loaded) records loaded in \(String(format: "%.0f", loadTime)) s (\(patrols) completed patrols):"
        )
        print(
            "  " + padded("district report for the month, all stations")
                + String(format: " median %7.3f s (target < 1 s)", reports.sorted()[2]))
        print("  " + padded("station list") + String(format: " median %7.1f ms (target < 100 ms)", lists.sorted()[2] * 1000))
    }

    /// One day of records for every station: 20 daily patrols (opened, two checks, closed,
    /// their award), a hazard reported, confirmed and accepted, a redemption and the day's
    /// scan count; one push a day recorded as the cursor.
    static func monthDay(_ day: Int, stations: Int) -> String {
        let date = String(format: "2026-11-%02d", day)
        let base = (day - 1) * 105
        return """
            INSERT INTO station_record (station_id, seq, kind, key, body, queued_at)
            SELECT 'bench-' || s, \(base) + n,
                CASE WHEN n > 100 THEN (ARRAY['hazard', 'hazard_transition', 'hazard_transition', 'redemption', 'scan_day'])[n - 100]
                     ELSE (ARRAY['patrol', 'patrol_check', 'patrol_check', 'patrol', 'ledger_entry'])[(n - 1) % 5 + 1] END,
                CASE WHEN n > 100 THEN CASE n WHEN 102 THEN '\(day * 2 - 1)' WHEN 103 THEN '\(day * 2)' ELSE '\(day)' END
                     WHEN (n - 1) % 5 IN (1, 2) THEN (\(day * 20) + (n - 1) / 5) || '/c' || ((n - 1) % 5)
                     WHEN (n - 1) % 5 = 4 THEN ((\(day * 20) + (n - 1) / 5)::text)
                     ELSE ((\(day * 20) + (n - 1) / 5)::text) END,
                CASE
                    WHEN n = 101 THEN jsonb_build_object('id', \(day), 'state', 'accepted', 'reported_at', '\(date)T01:00:00.000Z')
                    WHEN n IN (102, 103) THEN jsonb_build_object('id', \(day * 2 - 103) + n, 'hazard_id', \(day),
                        'to_state', CASE n WHEN 102 THEN 'confirmed' ELSE 'accepted' END, 'at', '\(date)T0' || (n - 100) || ':00:00.000Z')
                    WHEN n = 104 THEN jsonb_build_object('code', 'R\(day)', 'state', 'collected', 'cost', 4,
                        'created_at', '\(date)T05:00:00.000Z', 'collected_at', '\(date)T05:30:00.000Z')
                    WHEN n = 105 THEN jsonb_build_object('day', '\(date)', 'outcome', 'accepted', 'count', 100)
                    WHEN (n - 1) % 5 = 4 THEN jsonb_build_object('id', \(day * 20) + (n - 1) / 5, 'volunteer_id', (n - 1) / 5 % 10 + 1,
                        'delta', 2, 'kind', 'patrol_award', 'created_at', '\(date)T06:00:00.000Z')
                    WHEN (n - 1) % 5 IN (1, 2) THEN jsonb_build_object('patrol_id', \(day * 20) + (n - 1) / 5, 'checkpoint_id', 'c' || ((n - 1) % 5))
                    ELSE jsonb_build_object('id', \(day * 20) + (n - 1) / 5, 'volunteer_id', (n - 1) / 5 % 10 + 1, 'kind', 'daily',
                        'state', CASE WHEN (n - 1) % 5 = 3 THEN 'completed' ELSE 'open' END, 'day', '\(date)',
                        'points', CASE WHEN (n - 1) % 5 = 3 THEN 2 ELSE 0 END, 'flagged_fast', 0)
                END,
                '\(date)T06:00:00Z'
            FROM generate_series(0, \(stations - 1)) s, generate_series(1, 105) n;
            INSERT INTO station_push (station_id, seq, records, pushed_at)
            SELECT 'bench-' || s, \(base + 105), 105, '\(date)T06:00:00Z' FROM generate_series(0, \(stations - 1)) s;
            """
    }

    /// A station's scans through the built daemon with no district, the district
    /// reachable, refusing connections, and accepting them without ever answering.
    static func districtLatency(scans: Int) async throws {
        let district = try await DistrictCluster()
        defer { district.cluster.stop() }
        try await district.addStations(["e2e-station"])
        let password = district.cluster.directory.file("station.password")
        try "bench-e2e-station\n".write(toFile: password, atomically: false, encoding: .utf8)
        let refusing = try PostgresCluster.freePort()
        let hung = try HungListener(port: try PostgresCluster.freePort())
        defer { hung.close() }
        func table(_ port: Int) -> String {
            """

            [district]
            url = "postgres://127.0.0.1:\(port)/yizhan"
            password_file = "\(password)"
            tls = "disable"
            sync_seconds = 1
            timeout_seconds = 2
            """
        }
        print("a station's scan latency through the built yizhand (POST /v1/scans), \(scans) scans each, rounds every second:")
        for (name, extra) in [
            ("no district (baseline)", ""), ("district reachable", table(district.cluster.port)),
            ("district refusing connections", table(refusing)), ("district hung (accepts, never answers)", table(hung.port)),
        ] {
            let daemon = try DaemonProcess(extra: DaemonProcess.defaultRules + extra)
            defer {
                daemon.stop()
                daemon.directory.remove()
            }
            try daemon.start()
            let (_, badge) = try daemon.registerVolunteer("钱七", points: 10)
            var samples: [Double] = []
            for index in 0..<scans {
                let code = index % 4 == 0 || index % 4 == 3 ? badge : "YZ:C:extinguisher-1"
                let start = ContinuousClock.now
                _ = try daemon.post("/v1/scans", ["code": code])
                samples.append(seconds(ContinuousClock.now - start))
            }
            let status = daemon.districtStatusLine
            print(row(name, figures(samples)) + (status.isEmpty ? "" : "   " + status))
        }
    }
}

/// The highest of the figures seen.
final class Peak: Sendable {
    private let value = Mutex(0)

    func saw(_ figure: Int) {
        value.withLock { $0 = max($0, figure) }
    }

    var highest: Int { value.withLock { $0 } }
}

extension District {
    /// Connections the server has open now, this one included.
    func activeConnections() async throws -> Int {
        try await scalar("SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend'")
    }

    /// A server setting as text.
    func setting(_ name: String) async throws -> String {
        try await scalar("SELECT current_setting('\(name)')")
    }
}

extension DaemonProcess {
    /// The district's backlog and last error, as the bench prints them.
    var districtStatusLine: String {
        guard let district = (try? get("/v1/status"))?["district"] as? [String: Any] else { return "" }
        let error = (district["last_error"] as? String).map { ", \($0.prefix(40))…" } ?? ""
        return "backlog \(district["backlog"] as? Int ?? -1)\(error)"
    }
}
