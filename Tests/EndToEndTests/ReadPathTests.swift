import Foundation
import Synchronization
import Testing
import YizhanTestSupport

/// The status and the catalogue are answered from what was last encoded while nothing has
/// changed. Through the built daemon, with other clients asking all the while so the kept
/// answers are in use: every change shows in the very next answer, even within one second.
@Suite(.serialized) struct ReadPathTests {
    @Test func everyChangeShowsInTheNextStatusAndCatalogue() throws {
        let daemon = try DaemonProcess()
        defer { daemon.directory.remove() }
        try daemon.start()
        let asking = Atomic(true)
        let readers = (0..<4).map { _ in
            Thread {
                let client = daemon.client
                while asking.load(ordering: .relaxed) {
                    _ = try? client.send("GET", "/v1/status")
                    _ = try? client.send("GET", "/v1/catalog")
                }
            }
        }
        for reader in readers { reader.start() }
        defer { asking.store(false, ordering: .relaxed) }

        func openPatrols() throws -> Int? { try daemon.get("/v1/status")["open_patrols"] as? Int }
        func towelStock() throws -> Int? {
            (try daemon.get("/v1/catalog")["items"] as? [[String: Any]])?.first { $0["id"] as? String == "towel" }?["stock"] as? Int
        }
        #expect(try openPatrols() == 0)
        // Two patrols: the station's daily cap.
        for round in 1...2 {
            let (_, badge) = try daemon.registerVolunteer("巡查员\(round)", points: 1)
            let reply = try daemon.post("/v1/scans", ["code": badge]).json
            #expect(reply?["reason"] as? String == "patrol_started", "\(reply ?? [:])")
            #expect(try openPatrols() == round, "the patrol just started is counted")
        }
        for stock in [3, 0, 7, 8, 2] {
            #expect(try daemon.client.send("PATCH", "/v1/catalog/towel", json: ["stock": stock]).status == 200)
            #expect(try towelStock() == stock, "the stock just set is shown")
        }
        #expect(daemon.stop() == 0)
    }
}
