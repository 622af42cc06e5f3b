import Foundation
import Testing
import YizhanClient
import YizhanTestSupport

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
        let before = try daemon.get("/v1/volunteers/\(id)")["balance"] as? Int

        try limitFileSize("unlimited")
        #expect(try daemon.waitUntil { try scan("YZ:K:CANCEL").json?["reason"] as? String == "selection_cancelled" }, "served again")
        #expect(try daemon.get("/v1/volunteers/\(id)")["balance"] as? Int == before, "the refused scans changed nothing")
        #expect((try daemon.post("/v1/ledger/verify").json?["mismatches"] as? [Any])?.isEmpty == true)
        #expect(daemon.stop() == 0)
        try daemon.start()
        #expect((try daemon.post("/v1/ledger/verify").json?["mismatches"] as? [Any])?.isEmpty == true, "and after a restart")
        #expect(try daemon.get("/v1/volunteers/\(id)")["balance"] as? Int == before)
        #expect(daemon.stop() == 0)
    }
}
