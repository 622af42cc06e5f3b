import Foundation
import Synchronization
import Testing
import YizhanClient
import YizhanTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Thousands of random and malformed requests on both sockets: garbage bytes, broken HTTP,
/// real routes with mangled JSON, wrong methods, huge bodies. The daemon answers each with a
/// client error or closes the connection, never a server error, and goes on unharmed.
@Suite(.serialized) struct HostileRequestTests {
    static let requests = Int(ProcessInfo.processInfo.environment["YIZHAN_HOSTILE_REQUESTS"] ?? "") ?? 3000

    static let routes = [
        "/v1/scans", "/v1/volunteers", "/v1/volunteers/1", "/v1/volunteers/1/badges", "/v1/volunteers/1/ledger", "/v1/adjustments",
        "/v1/hazards", "/v1/hazards/1", "/v1/catalog", "/v1/catalog/soap", "/v1/redemptions", "/v1/redemptions/ABCDEFGHJK/cancel",
        "/v1/print-jobs", "/v1/print-jobs/1/reprint", "/v1/status", "/v1/reports/summary", "/v1/badges/1", "/v1/patrols",
        "/v1/ledger/verify", "/v1/gpio/test", "/v1/backup",
    ]
    static let validBodies = [
        #"{"code":"YZ:C:extinguisher-1","scanner":"api"}"#, #"{"name":"张三","role":"volunteer"}"#,
        #"{"volunteer_id":1,"delta":2,"note":"补录"}"#, #"{"kind":"card","uid":"04A1B2C3"}"#, #"{"state":"confirmed"}"#,
        #"{"stock":5}"#, #"{"note":"x"}"#,
    ]

    @Test func randomAndMalformedRequestsChangeNothingAndBreakNothing() throws {
        let daemon = try DaemonProcess()
        defer { daemon.directory.remove() }
        try daemon.start()
        let id = try #require(try daemon.post("/v1/volunteers", ["name": "对照"]).json?["id"] as? Int)
        #expect(try daemon.post("/v1/adjustments", ["volunteer_id": id, "delta": 10, "note": "opening"]).status == 201)

        let serverErrors = Acknowledgements()
        // What the daemon said it did, to hold its data to: volunteers created, points added.
        let created = Acknowledgements()
        let added = Mutex(0)
        let threads = 4
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            var random = SplitMix64(seed: 7919 &* UInt64(thread + 1))
            for index in 0..<(Self.requests / threads) {
                let socket = index % 2 == 0 ? daemon.adminSocket : daemon.kioskSocket
                let client = UnixHTTPClient(socketPath: socket, timeout: .seconds(10))
                let request = Self.hostileRequest(&random)
                guard let reply = try? client.sendRaw(request) else { continue }
                if reply.status >= 500 { _ = serverErrors.add(thread * 1_000_000 + index) }
                guard reply.status == 201, let json = reply.json else { continue }
                if let volunteer = json["id"] as? Int, json["name"] != nil { _ = created.add(volunteer) }
                if json["volunteer_id"] as? Int == id, json["kind"] as? String == "adjustment", let delta = json["delta"] as? Int {
                    added.withLock { $0 += delta }
                }
            }
        }
        #expect(serverErrors.count == 0, "requests answered with a server error: \(serverErrors.count)")

        for client in [daemon.client, UnixHTTPClient(socketPath: daemon.kioskSocket)] {
            #expect(try client.send("GET", "/v1/status").status == 200, "still serving")
        }
        #expect(try daemon.ledgerVerifies())
        let volunteers = try daemon.get("/v1/volunteers?limit=1000")["items"] as? [[String: Any]] ?? []
        #expect(volunteers.count == 1 + created.count, "a volunteer for each one the daemon said it created, no more")
        #expect(try daemon.balance(id) == 10 + added.withLock { $0 }, "points only as acknowledged")
        let scans = try daemon.events()
        try daemon.scanThroughFIFO("YZ:K:CANCEL")
        #expect(try scans.next(.scan)?.scanner == "front")
        #expect(daemon.stop() == 0, "and stops cleanly")
    }

    /// One request, chosen and mangled by `random`.
    static func hostileRequest(_ random: inout SplitMix64) -> [UInt8] {
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) } }
        switch random.next() % 8 {
        case 0:
            return bytes(Int(random.next() % 2048))  // noise
        case 1:
            // A request line and headers cut short or garbled.
            let head = Array("\(pick(["GET", "POST", "PATCH"])) \(pick(routes)) HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n".utf8)
            var mangled = Array(head.prefix(Int(random.next() % UInt64(head.count))))
            if random.next() % 2 == 0 { mangled += bytes(16) }
            return mangled
        case 2:
            // A body far beyond any limit.
            return http("POST", pick(routes), body: [UInt8](repeating: 0x7B, count: 2_000_000 + Int(random.next() % 1000)))
        case 3:
            // A Content-Length that lies.
            let body = Array(pick(validBodies).utf8)
            return Array("POST \(pick(routes)) HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count * 3)\r\n\r\n".utf8) + body
        default:
            // A real route with a valid body mangled: cut, bytes flipped, types swapped.
            var body = Array(pick(validBodies).utf8)
            switch random.next() % 4 {
            case 0: body = Array(body.prefix(Int(random.next() % UInt64(body.count))))
            case 1:
                for _ in 0..<3 { body[Int(random.next() % UInt64(body.count))] = UInt8(truncatingIfNeeded: random.next()) }
            case 2: body = Array(String(decoding: body, as: UTF8.self).replacingOccurrences(of: ":", with: ":[").utf8)
            default: body = Array((String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)).utf8)
            }
            let path = pick(routes) + pick(["", "?limit=-1", "?limit=99999999999999999999", "/%00", "?state=nonsense", "/../../etc"])
            return http(pick(["POST", "PATCH", "DELETE", "PUT", "GET", "BREW"]), path, body: body)
        }
    }

    static func http(_ method: String, _ path: String, body: [UInt8]) -> [UInt8] {
        Array("\(method) \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
            + body
    }
}
