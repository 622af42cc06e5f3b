import Foundation
import Logging
import Testing
import YizhanCore
import YizhanDistrict
import YizhanTestSupport

/// The district's schema on a real PostgreSQL that the test starts: migrations, stations'
/// roles, pushes that land exactly once, and what a station's role may not do.
@Suite(.serialized, .enabled(if: PostgresCluster.available, "needs PostgreSQL's server (apt: postgresql)"))
struct DistrictSchemaTests {
    let logger = Logger(label: "district-test") { _ in SwiftLogNoOpLogHandler() }

    func admin(_ cluster: PostgresCluster) throws -> DistrictSettings {
        try DistrictSettings(url: cluster.adminURL)
    }

    /// A migrated district with two stations; returns their passwords.
    func district() async throws -> (PostgresCluster, [String: String]) {
        let cluster = try PostgresCluster()
        let admin = try admin(cluster)
        #expect(try await District.with(admin, logger: logger) { try await $0.migrate() } == [1, 2])
        #expect(try await District.with(admin, logger: logger) { try await $0.migrate() } == [], "migrating again changes nothing")
        var passwords: [String: String] = [:]
        for station in ["xiuzhou-changhua", "nanhu-jiaxing"] {
            passwords[station] = "pw-\(station)"
            try await District.with(admin, logger: logger) { try await $0.addStation(station, password: "pw-\(station)") }
        }
        return (cluster, passwords)
    }

    func station(_ id: String, _ cluster: PostgresCluster, password: String) -> DistrictSettings {
        DistrictSettings(host: "127.0.0.1", port: cluster.port, database: "yizhan", user: District.role(ofStation: id), password: password)
    }

    static func records(_ seqs: ClosedRange<Int64>, kind: String = "patrol") -> [OutboxRecord] {
        seqs.map {
            OutboxRecord(
                seq: $0, kind: kind, key: "\($0)", body: #"{"id": \#($0), "state": "completed", "points": 2}"#,
                queuedAt: Date(timeIntervalSince1970: 1_800_000_000 + Double($0)))
        }
    }

    @Test func aPushLandsOnceEvenWhenItIsSentAgain() async throws {
        let (cluster, passwords) = try await district()
        let changhua = station("xiuzhou-changhua", cluster, password: passwords["xiuzhou-changhua"]!)
        let cursor = try await District.with(changhua, logger: logger) { district in
            _ = try await district.push(Self.records(1...5), station: "xiuzhou-changhua")
            // The acknowledgement was lost: the same batch, and one overlapping it, again.
            _ = try await district.push(Self.records(1...5), station: "xiuzhou-changhua")
            _ = try await district.push(Self.records(4...8), station: "xiuzhou-changhua")
            return try await district.cursor()
        }
        #expect(cursor == 8)
        let held = try cluster.sql(
            "SELECT string_agg(seq::text, ',' ORDER BY seq) FROM station_record WHERE station_id = 'xiuzhou-changhua'")
        #expect(held.output == "1,2,3,4,5,6,7,8\n", "every record exactly once, no gap: \(held.errors)")
        let patrols = try cluster.sql("SELECT count(*), sum(points) FROM district_patrols")
        #expect(patrols.output == "8|16\n")
    }

    @Test func aBatchTheDistrictRefusesIsSaidAndLeavesNothing() async throws {
        let (cluster, passwords) = try await district()
        let changhua = station("xiuzhou-changhua", cluster, password: passwords["xiuzhou-changhua"]!)
        let unreadable = OutboxRecord(seq: 2, kind: "scan_day", key: "x", body: #"{"count": 3}"#, queuedAt: Date())
        do {
            _ = try await District.with(changhua, logger: logger) {
                try await $0.push(Self.records(1...1) + [unreadable], station: "xiuzhou-changhua")
            }
            Issue.record("a record without its day was taken")
        } catch let error as DistrictError {
            #expect(error.code == .refused && error.message.contains("station_scan_day"), "\(error)")
        }
        #expect(try cluster.sql("SELECT count(*) FROM station_record").output == "0\n", "the whole batch rolled back")
        let cursor = try await District.with(changhua, logger: logger) { try await $0.cursor() }
        #expect(cursor == 0)
    }

    @Test func aStationsRoleMayOnlyAppendItsOwnRows() async throws {
        let (cluster, passwords) = try await district()
        let changhua = station("xiuzhou-changhua", cluster, password: passwords["xiuzhou-changhua"]!)
        _ = try await District.with(changhua, logger: logger) { try await $0.push(Self.records(1...3), station: "xiuzhou-changhua") }
        let nanhu = District.role(ofStation: "nanhu-jiaxing")
        let password = passwords["nanhu-jiaxing"]!

        let read = try cluster.sql("SELECT count(*) FROM station_record", as: nanhu, password: password)
        #expect(read.output == "0\n", "another station's rows are invisible: \(read.errors)")
        for (role, station) in [(nanhu, "nanhu-jiaxing"), (District.role(ofStation: "xiuzhou-changhua"), "xiuzhou-changhua")] {
            let bodies = try cluster.sql("SELECT body FROM station_record", as: role, password: passwords[station]!)
            #expect(bodies.status != 0 && bodies.errors.contains("permission denied"), "no station reads what was pushed: \(bodies.output)")
        }
        let registry = try cluster.sql("SELECT count(*) FROM campaign", as: nanhu, password: password)
        #expect(registry.output == "0\n", "the registry is readable: \(registry.errors)")
        let phones = try cluster.sql("SELECT phone FROM volunteer", as: nanhu, password: password)
        #expect(phones.status != 0 && phones.errors.contains("permission denied"), "phone numbers are not: \(phones.output)")
        let impersonate = try cluster.sql(
            "INSERT INTO station_record (station_id, seq, kind, key, body, queued_at) VALUES ('xiuzhou-changhua', 99, 'patrol', '99', '{}', now())",
            as: nanhu, password: password)
        #expect(impersonate.status != 0 && impersonate.errors.contains("row-level security"), "\(impersonate.errors)")
        for statement in [
            "UPDATE station_record SET body = '{}'", "DELETE FROM station_record", "DELETE FROM station_push",
            "UPDATE station SET role = 'x'",
            "TRUNCATE station_record",
        ] {
            let tried = try cluster.sql(statement, as: nanhu, password: password)
            #expect(tried.status != 0 && tried.errors.contains("permission denied"), "\(statement): \(tried.errors)")
        }
        let own = District.role(ofStation: "xiuzhou-changhua")
        let ownUpdate = try cluster.sql("UPDATE station_record SET body = '{}'", as: own, password: passwords["xiuzhou-changhua"]!)
        #expect(ownUpdate.status != 0, "not even its own rows may change")
        #expect(try cluster.sql("SELECT count(*) FROM station_record").output == "3\n")
    }

    /// The policies ask who the station is once a statement, not once a row: in a push of
    /// 500 records each call was a function call with its own `search_path`.
    @Test func aStationsInsertAsksWhoItIsOnceNotOnceARow() async throws {
        let (cluster, passwords) = try await district()
        try cluster.sql("ALTER DATABASE yizhan SET track_functions = 'all'")
        let calls = try cluster.sql(
            """
            INSERT INTO station_record (station_id, seq, kind, key, body, queued_at)
                SELECT 'xiuzhou-changhua', n, 'patrol', n::text, jsonb_build_object('id', n, 'points', 2), now()
                FROM generate_series(1, 50) AS n;
            SELECT calls FROM pg_stat_xact_user_functions WHERE funcname = 'yizhan_station_id'
            """, as: District.role(ofStation: "xiuzhou-changhua"), password: passwords["xiuzhou-changhua"]!)
        #expect(calls.output.split(separator: "\n").last == "1", "50 rows checked: \(calls.output)\(calls.errors)")
        #expect(try cluster.sql("SELECT count(*) FROM station_patrol").output == "50\n")
    }

    /// A report that reads the records holds a lock `ALTER POLICY` must wait for; a
    /// `migrate` with nothing to do must not queue every station's push behind it.
    @Test func migratingAgainWaitsForNoReportReadingTheRecords() async throws {
        let (cluster, _) = try await district()
        try cluster.sql("ALTER ROLE postgres SET lock_timeout = '1s'")
        let report = Process()
        report.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        report.arguments = [
            "-h", "127.0.0.1", "-p", "\(cluster.port)", "-U", "postgres", "-d", "yizhan", "-c",
            "BEGIN; SELECT count(*) FROM station_record; SELECT pg_sleep(600)",
        ]
        report.standardOutput = FileHandle.nullDevice
        try report.run()
        defer { report.terminate() }
        let held = "SELECT count(*) FROM pg_locks WHERE relation = 'station_record'::regclass AND granted"
        var waited = 0
        while try cluster.sql(held).output == "0\n", waited < 500 {
            waited += 1
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try cluster.sql(held).output != "0\n", "the report holds its lock")
        #expect(try await District.with(admin(cluster), logger: logger) { try await $0.migrate() } == [])
        #expect(try cluster.sql(held).output != "0\n", "and still holds it")
    }

    @Test func aWrongPasswordAndASchemaTooNewAreSaidPlainly() async throws {
        let (cluster, passwords) = try await district()
        let wrong = station("xiuzhou-changhua", cluster, password: "not-the-password")
        await #expect(throws: DistrictError.self) {
            try await District.with(wrong, logger: logger) { try await $0.cursor() }
        }
        do {
            _ = try await District.with(wrong, logger: logger) { try await $0.cursor() }
        } catch let error as DistrictError {
            #expect(error.code == .authentication && error.message.contains("station_xiuzhou_changhua"), "\(error)")
        }
        try cluster.sql("INSERT INTO yizhan_schema VALUES (\(DistrictSchema.version + 1))")
        let right = station("xiuzhou-changhua", cluster, password: passwords["xiuzhou-changhua"]!)
        do {
            _ = try await District.with(right, logger: logger) { district in
                try await district.requireSchema()
                return try await district.push(Self.records(1...1), station: "xiuzhou-changhua")
            }
            Issue.record("pushed into a newer schema")
        } catch let error as DistrictError {
            #expect(error.code == .schemaTooNew && error.message.contains("update the station"), "\(error)")
        }
        #expect(try cluster.sql("SELECT count(*) FROM station_record").output == "0\n")
    }
}

extension DistrictSchemaTests {
    @Test func aServerStoppedInTheMiddleOfATransactionEndsTheWorkWithAnError() async throws {
        let (cluster, passwords) = try await district()
        let changhua = station("xiuzhou-changhua", cluster, password: passwords["xiuzhou-changhua"]!)
        let started = ContinuousClock.now
        let work = Task {
            try await District.with(changhua, logger: logger) { district in
                try await district.waitInTransaction(seconds: 30)
            }
        }
        // Stopped once the station's backend is seen inside its transaction, in the sleep.
        let inside = """
            SELECT count(*) FROM pg_stat_activity
            WHERE state = 'active' AND xact_start IS NOT NULL AND query LIKE 'SELECT pg_sleep%'
            """
        var waited = 0
        while try cluster.sql(inside).output == "0\n", waited < 500 {
            waited += 1
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(try cluster.sql(inside).output == "1\n", "the station waits in its transaction")
        cluster.stop(keepData: true)
        do {
            try await work.value
            Issue.record("the work went on without its server")
        } catch let error as DistrictError {
            #expect(error.code == .unreachable, "\(error)")
        }
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
