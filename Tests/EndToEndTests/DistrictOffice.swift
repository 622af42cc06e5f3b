import Foundation
import YizhanTestSupport

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

    /// Runs `yizhan-district … --json` and decodes its object.
    func json(_ arguments: String...) throws -> [String: Any] {
        let command = try Command.run(Command.product("yizhan-district"), arguments + ["--json", "--url", cluster.adminURL])
        return (try? JSONSerialization.jsonObject(with: Data(command.output.utf8)) as? [String: Any]) ?? ["errors": command.errors]
    }
}

extension DaemonProcess {
    /// The `district` object of `GET /v1/status`.
    var districtStatus: [String: Any] { ((try? get("/v1/status"))?["district"] as? [String: Any]) ?? [:] }

    /// Every record pushed and the last round ended well. The backlog reaches 0 while a
    /// round is still reporting to the district; the error of the round before is cleared
    /// only when this one ends, so both are waited for.
    var drained: Bool {
        let status = districtStatus
        return status["backlog"] as? Int == 0 && status["last_push"] != nil && status["last_error"] == nil
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
