import Foundation
import Testing
import YizhanTestSupport
import YizhanWire

#if canImport(Glibc)
    import Glibc
#endif

/// The district failing every way it can while a station works: refusing, hung, a wrong CA,
/// a wrong password, a schema too new, the daemon killed mid-push and acknowledgements lost.
/// Each time scans go on, the status says why, and in the end every record is in the
/// district exactly once, with no gap in `seq`.
@Suite(.serialized, .enabled(if: PostgresCluster.available, "needs PostgreSQL's server (apt: postgresql)"))
struct DistrictFailureTests {
    func failing(_ daemon: DaemonProcess, with text: String) throws -> Bool {
        try daemon.afterSyncRounds(within: .seconds(30)) { daemon.district.lastError?.contains(text) == true }
    }

    @Test func aWrongCAAWrongPasswordAndASchemaTooNewAreEachSaidAndNothingIsLost() throws {
        let office = try DistrictOffice()
        let cluster = office.cluster
        let certificates = try TestCertificates(in: cluster.directory)
        try cluster.serveTLS(certificate: certificates.serverCertificate, key: certificates.serverKey)
        cluster.stop(keepData: true)
        try cluster.start()
        #expect(try office.run("migrate").status == 0)
        let trusted = cluster.directory.file("district-ca.pem")
        try FileManager.default.copyItem(atPath: certificates.otherCA, toPath: trusted)
        let district = try office.addStation("e2e-station")
            .replacingOccurrences(of: "127.0.0.1", with: "localhost")
            .replacingOccurrences(of: "tls = \"disable\"", with: "tls = \"verify-full\"\nca_file = \"\(trusted)\"")
        let daemon = try DaemonProcess(extra: DaemonProcess.defaultRules + district)
        try daemon.start()

        let (id, badge) = try daemon.registerVolunteer("钱七", points: 10)
        #expect(try daemon.patrol(badge).last == "patrol_completed")
        #expect(try failing(daemon, with: "untrusted_certificate"), "\(daemon.district)")
        #expect(daemon.district.backlog > 0)

        // The right CA (read each round); then a wrong password; then a schema too new.
        try FileManager.default.removeItem(atPath: trusted)
        try FileManager.default.copyItem(atPath: certificates.ca, toPath: trusted)
        let passwordFile = cluster.directory.file("e2e-station.password")
        let password = try String(contentsOfFile: passwordFile, encoding: .utf8)
        try "not-the-password\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        #expect(try failing(daemon, with: "authentication: the district refused station_e2e_station's password"), "\(daemon.district)")
        let (_, later) = try daemon.registerVolunteer("孙八", points: 1)
        #expect(try daemon.scan(later) == "patrol_started", "scans go on")
        try password.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        try cluster.sql("INSERT INTO yizhan_schema VALUES (99)")
        #expect(try failing(daemon, with: "schema_too_new"), "\(daemon.district)")
        #expect(try daemon.scan(later) == "patrol_incomplete", "scans go on")

        try cluster.sql("DELETE FROM yizhan_schema WHERE version = 99")
        #expect(try daemon.afterSyncRounds(within: .seconds(30)) { daemon.drained }, "\(daemon.district)")
        #expect(daemon.district.lastError == nil)
        #expect(try DistrictSyncTests.seqs(cluster, "e2e-station").gapless)
        let balance = try daemon.balance(id)
        let summed = try cluster.sql("SELECT sum(delta) FROM district_ledger WHERE volunteer_id = \(id)")
        #expect(Int(summed.output.trimmingCharacters(in: .newlines)) == balance)
        #expect(daemon.stop() == 0)
    }

    /// `tls = "require"` encrypts without checking the certificate (no `ca_file`): against a
    /// district that offers no TLS it pushes nothing, rather than sending the ledger in the
    /// clear; once the district offers TLS, every connection of the station's is encrypted
    /// (the server's own log of each connection says so).
    @Test func tlsRequiredIsNeverGivenUpForPlaintextAndEncryptsEachConnection() throws {
        let office = try DistrictOffice()
        let cluster = office.cluster
        #expect(try office.run("migrate").status == 0)
        let district = try office.addStation("e2e-station").replacingOccurrences(of: "tls = \"disable\"", with: "tls = \"require\"")
        let daemon = try DaemonProcess(extra: DaemonProcess.defaultRules + district)
        try daemon.start()

        let (id, badge) = try daemon.registerVolunteer("钱七", points: 10)
        #expect(try daemon.patrol(badge).last == "patrol_completed")
        #expect(try failing(daemon, with: "refused: the district does not offer TLS"), "\(daemon.district)")
        #expect(daemon.district.backlog > 0)
        #expect(try cluster.sql("SELECT count(*) FROM station_record").output == "0\n", "nothing went in the clear")

        let certificates = try TestCertificates(in: cluster.directory)
        try cluster.serveTLS(certificate: certificates.serverCertificate, key: certificates.serverKey)
        cluster.stop(keepData: true)
        try cluster.start()
        #expect(try daemon.afterSyncRounds(within: .seconds(30)) { daemon.drained }, "\(daemon.district)")
        let summed = try cluster.sql("SELECT sum(delta) FROM district_ledger WHERE volunteer_id = \(id)")
        #expect(Int(summed.output.trimmingCharacters(in: .newlines)) == (try daemon.balance(id)))
        let connections = try cluster.log().split(separator: "\n").filter { $0.contains("connection authorized: user=station_e2e_station") }
        #expect(!connections.isEmpty)
        #expect(connections.allSatisfy { $0.contains("SSL enabled") }, "\(connections)")
        #expect(daemon.stop() == 0)
    }

    @Test func aHungDistrictIsGivenUpOnAndTheBacklogDrainsInOrderWhenItAnswers() throws {
        let office = try DistrictOffice()
        let cluster = office.cluster
        #expect(try office.run("migrate").status == 0)
        let district = try office.addStation("e2e-station") + "\ntimeout_seconds = 2"
        cluster.stop(keepData: true)
        let listener = try HungListener(port: cluster.port)
        let daemon = try DaemonProcess(extra: DaemonProcess.defaultRules + district)
        try daemon.start()

        let (_, badge) = try daemon.registerVolunteer("钱七", points: 10)
        #expect(try daemon.patrol(badge).last == "patrol_completed", "scans are answered while the district hangs")
        #expect(try failing(daemon, with: "timeout: the district did not answer within 2"), "\(daemon.district)")
        #expect(listener.connections > 0, "the station reached the listener")
        let before = daemon.district.backlog
        let (_, other) = try daemon.registerVolunteer("孙八", points: 5)
        #expect(try daemon.patrol(other).last == "patrol_completed")
        #expect(daemon.district.backlog > before, "the backlog grows")

        listener.close()
        try cluster.start()
        #expect(try daemon.afterSyncRounds(within: .seconds(60)) { daemon.drained }, "\(daemon.district)")
        #expect(try DistrictSyncTests.seqs(cluster, "e2e-station").gapless)
        let order = try cluster.sql(
            "SELECT bool_and(received_at >= previous) FROM (SELECT received_at, lag(received_at) OVER (ORDER BY seq) AS previous FROM station_record) r"
        )
        #expect(order.output == "t\n", "pushed in seq order")
        #expect(daemon.stop() == 0)
    }

    @Test func aDaemonKilledMidPushEveryAcknowledgementLostAndPostgreSQLStoppedMidPushLeaveEachRecordOnce() throws {
        let office = try DistrictOffice()
        let cluster = office.cluster
        #expect(try office.run("migrate").status == 0)
        let daemon = try DaemonProcess(extra: DaemonProcess.defaultRules + office.addStation("e2e-station") + "\ntimeout_seconds = 5")
        // A first run opens the outbox while the district is away, then a backlog is written
        // straight into the database: 60,000 volunteers, one record each.
        cluster.stop(keepData: true)
        try daemon.start()
        #expect(try failing(daemon, with: "cannot reach"))
        #expect(daemon.stop() == 0)
        let database = daemon.directory.file("state/yizhan.sqlite")
        let written = try Command.run(
            "/usr/bin/python3",
            [
                "-c",
                """
                import sqlite3, sys
                db = sqlite3.connect(sys.argv[1])
                db.executemany("INSERT INTO volunteer (name, role, created_at) VALUES (?, 'volunteer', '2026-12-01T00:00:00.000Z')",
                               (("志愿者%d" % n,) for n in range(60000)))
                db.commit()
                print(db.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0])
                """, database,
            ])
        let total = try #require(Int(written.output.trimmingCharacters(in: .newlines)), "\(written.errors)")
        #expect(total == 60000)

        try cluster.start()
        try daemon.start()
        let started = daemon.waitUntil(timeout: .seconds(60)) {
            (try? cluster.sql("SELECT count(*) FROM station_push").output) != "0\n"
        }
        #expect(started, "a first batch committed")
        #expect(daemon.stop(signal: SIGKILL) == SIGKILL)
        let pushed = try DistrictSyncTests.seqs(cluster, "e2e-station").count
        #expect(pushed > 0 && pushed < total, "killed mid-push: \(pushed) of \(total) in the district")

        // Every acknowledgement lost: the station believes nothing was sent.
        let forgotten = try Command.run(
            "/usr/bin/python3",
            [
                "-c", "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute('UPDATE outbox SET sent_at = NULL'); db.commit()",
                database,
            ])
        #expect(forgotten.status == 0, "\(forgotten.errors)")

        // PostgreSQL itself stopped in the middle of the resend, and started again.
        try daemon.start()
        let resending = daemon.waitUntil(timeout: .seconds(60)) {
            (try? cluster.sql("SELECT count(*) FROM station_record").output).flatMap { Int($0.trimmingCharacters(in: .newlines)) } ?? 0
                > pushed
        }
        #expect(resending, "the resend went on past what was there")
        cluster.stop(keepData: true)
        // The push in flight ends with the connection or, at the latest, at timeout_seconds.
        #expect(try daemon.afterSyncRounds(within: .seconds(30)) { daemon.district.lastError != nil }, "\(daemon.district)")
        #expect(daemon.district.backlog > 0, "stopped mid-push")
        try cluster.start()
        #expect(try daemon.afterSyncRounds(within: .seconds(120)) { daemon.drained }, "\(daemon.district)")
        let seqs = try DistrictSyncTests.seqs(cluster, "e2e-station")
        #expect(seqs.gapless && seqs.count == total, "\(seqs.count) of \(total)")
        #expect(try cluster.sql("SELECT count(*) FROM district_volunteers").output == "\(60000)\n")
        #expect(daemon.stop() == 0)
    }

    /// The link lost in the middle of a first pull of a large registry (20,000 volunteers,
    /// about 1 MB), cut after 256 kB: the daemon goes on, says so, and pulls it all once the
    /// link is back.
    @Test func aLinkLostInTheMiddleOfAPullIsAnErrorAndThePullIsDoneAgain() throws {
        let office = try DistrictOffice()
        let cluster = office.cluster
        #expect(try office.run("migrate").status == 0)
        #expect(try cluster.sql("INSERT INTO volunteer (name) SELECT '志愿者' || i FROM generate_series(1, 20000) i").status == 0)
        let proxy = try CuttingProxy(to: cluster.port, cutAfter: 256 << 10)
        defer { proxy.close() }
        let daemon = try DaemonProcess(extra: DaemonProcess.defaultRules + office.addStation("e2e-station", port: proxy.port))
        try daemon.start()

        #expect(try failing(daemon, with: "unreachable"), "\(daemon.district)")
        let (_, badge) = try daemon.registerVolunteer("钱七", points: 10)
        #expect(try daemon.scan(badge) == "patrol_started", "the daemon goes on")
        proxy.mend()
        let pulled = try daemon.afterSyncRounds(within: .seconds(60)) {
            try daemon.api.call(API.changes()).items.contains { $0.subject.hasPrefix("20000 volunteers") }
        }
        #expect(pulled, "\(daemon.district)")
        #expect(daemon.stop() == 0)
    }
}
