import Foundation
import Testing
import YizhanTestSupport

/// A station daemon with a `[district]` pushing into a real PostgreSQL that the test starts,
/// set up with `yizhan-district` as a district office would.
@Suite(.serialized, .enabled(if: PostgresCluster.available, "needs PostgreSQL's server (apt: postgresql)"))
struct DistrictSyncTests {
    func district(_ cluster: PostgresCluster, _ arguments: String...) throws -> Command {
        try Command.run(Command.product("yizhan-district"), arguments + ["--url", cluster.adminURL])
    }

    @Test func theStationPushesEveryRecordOnceAndCatchesUpAfterTheDistrictWasAway() throws {
        let cluster = try PostgresCluster()
        #expect(try district(cluster, "migrate").output == "applied 1, 2\n")
        let passwordFile = cluster.directory.file("station.password")
        let added = try district(cluster, "station", "add", "e2e-station", "--password-out", passwordFile)
        #expect(added.status == 0, "\(added.errors)")
        let rules =
            DaemonProcess.defaultRules + """

                [district]
                url = "postgres://127.0.0.1:\(cluster.port)/yizhan"
                password_file = "\(passwordFile)"
                tls = "disable"
                sync_seconds = 1
                """
        let daemon = try DaemonProcess(extra: rules)
        try daemon.start()
        func districtStatus() -> [String: Any] { ((try? daemon.get("/v1/status"))?["district"] as? [String: Any]) ?? [:] }
        func drained() -> Bool { districtStatus()["backlog"] as? Int == 0 && districtStatus()["last_push"] != nil }
        func patrol(_ badge: String) throws {
            for code in [badge, "YZ:C:extinguisher-1", "YZ:C:water-dispenser", badge] {
                #expect(try daemon.post("/v1/scans", ["code": code]).json?["outcome"] as? String == "accepted")
            }
        }

        let (id, badge) = try daemon.registerVolunteer("钱七", points: 10)
        try patrol(badge)
        #expect(daemon.waitUntil(drained), "\(districtStatus())")

        // The district goes away: scans go on, the backlog grows and the status says why.
        cluster.stop(keepData: true)
        let (other, otherBadge) = try daemon.registerVolunteer("孙八", points: 5)
        try patrol(otherBadge)
        #expect(daemon.waitUntil { (districtStatus()["last_error"] as? String)?.contains("cannot reach") == true }, "\(districtStatus())")
        #expect((districtStatus()["backlog"] as? Int ?? 0) > 0)
        let status = try Command.run(
            Command.product("yizhanctl"), ["--socket", daemon.adminSocket, "status"], environment: ProcessInfo.processInfo.environment)
        #expect(
            status.output.contains("district  backlog ") && status.output.contains("last error: unreachable: cannot reach"),
            "\(status.output)")

        try cluster.start()
        #expect(daemon.waitUntil(timeout: .seconds(60), drained), "\(districtStatus())")
        #expect(districtStatus()["last_error"] == nil)

        // Every record there exactly once, with no gap, and the district's sums are the station's.
        let seqs = try cluster.sql(
            "SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM station_record WHERE station_id = 'e2e-station'")
        let figures = seqs.output.trimmingCharacters(in: .newlines).split(separator: "|").compactMap { Int($0) }
        #expect(figures.count == 4 && figures[0] == figures[1] && figures[2] == 1 && figures[3] == figures[0], "\(seqs.output)")
        for volunteer in [id, other] {
            let balance = try daemon.get("/v1/volunteers/\(volunteer)")["balance"] as? Int
            let summed = try cluster.sql(
                "SELECT sum((body->>'delta')::int) FROM station_record WHERE kind = 'ledger_entry' AND (body->>'volunteer_id')::int = \(volunteer)"
            )
            #expect(
                Int(summed.output.trimmingCharacters(in: .newlines)) == balance, "volunteer \(volunteer): \(summed.output) \(summed.errors)"
            )
        }
        let patrols = try cluster.sql("SELECT count(*) FROM district_patrols WHERE state = 'completed'")
        #expect(patrols.output == "2\n")
        let listed = try district(cluster, "station", "list")
        #expect(listed.output.contains("e2e-station") && !listed.output.contains("never"), "\(listed.output)")
        #expect(daemon.stop() == 0)
    }
}
