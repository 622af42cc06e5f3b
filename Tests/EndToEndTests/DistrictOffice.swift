import Foundation
import YizhanTestSupport
import YizhanWire

/// A throwaway district: a PostgreSQL cluster of the test's own, migrated and run with the
/// built `yizhan-district` as the district office would.
final class DistrictOffice {
    let cluster: PostgresCluster

    init() throws {
        cluster = try PostgresCluster()
    }

    /// Runs `yizhan-district` as the cluster's admin.
    func run(_ arguments: String...) throws -> Command {
        try Command.run(Command.product("yizhan-district"), arguments + ["--url", cluster.adminURL])
    }

    /// Registers a station and returns the `[district]` table for its config.
    func addStation(_ id: String, port: Int? = nil, syncSeconds: Int = 1) throws -> String {
        let passwordFile = cluster.directory.file("\(id).password")
        let added = try run("station", "add", id, "--password-out", passwordFile)
        guard added.status == 0 else { throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: added.errors]) }
        return """

            [district]
            url = "postgres://127.0.0.1:\(port ?? cluster.port)/yizhan"
            password_file = "\(passwordFile)"
            tls = "disable"
            sync_seconds = \(syncSeconds)
            """
    }

    /// Runs `yizhan-district --json --url URL …` (the options before the command, as
    /// `run` gives them after it) and decodes its object.
    func json(_ arguments: String...) throws -> [String: Any] {
        let command = try Command.run(Command.product("yizhan-district"), ["--json", "--url", cluster.adminURL] + arguments)
        return (try? JSONSerialization.jsonObject(with: Data(command.output.utf8)) as? [String: Any]) ?? ["errors": command.errors]
    }
}

extension DaemonProcess {
    /// The district sync's figures from `GET /v1/status`.
    var district: StationStatus.District { (try? api.call(API.status).district) ?? StationStatus.District() }

    /// Every record pushed and the last round ended well. The backlog reaches 0 while a
    /// round is still reporting to the district; the error of the round before is cleared
    /// only when this one ends, so both are checked.
    var drained: Bool {
        let district = self.district
        return district.backlog == 0 && district.lastPush != nil && district.lastError == nil
    }

    /// Whether `condition` holds now or after one of the sync rounds that end within
    /// `timeout`: each round's event is when what the station knows of the district changes.
    func afterSyncRounds(within timeout: Duration = .seconds(20), until condition: () throws -> Bool) throws -> Bool {
        try events().until(.district, within: timeout, condition)
    }

    /// The scan's reason.
    func scan(_ code: String) throws -> String {
        try post("/v1/scans", ["code": code]).json?["reason"] as? String ?? "no reply"
    }

    /// A daily patrol: the badge, both checkpoints, the badge; the reasons.
    func patrol(_ badge: String) throws -> [String] {
        try [badge, "YZ:C:extinguisher-1", "YZ:C:water-dispenser", badge].map(scan)
    }
}
