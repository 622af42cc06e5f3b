import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOEmbedded
import Testing
import YizhanAPI
import YizhanCore
import YizhanStation
import YizhanStore
import YizhanTestSupport
import YizhanWire

/// The API through Hummingbird's router, without a socket; the end-to-end tests use the real one.
@Suite struct APITests {
    let directory: TemporaryDirectory
    let environment: APIEnvironment
    let clock = Fixtures.clock("2026-11-30 09:00")

    init() throws {
        directory = try TemporaryDirectory()
        let store = try Store(stateDirectory: directory.path)
        try store.syncCatalog(Fixtures.rules().catalog)
        let station = Station(store: store, rules: Fixtures.rules(), clock: clock, logger: Logger(label: "test"))
        let calendar = Fixtures.calendar
        let clock = self.clock
        environment = APIEnvironment(
            station: station, calendar: calendar,
            status: {
                StationStatus(
                    version: "test", station: .init(id: "s", name: "驿站"), uptimeSeconds: 0,
                    clock: .init(now: clock.now().wall, synchronised: true),
                    devices: [], printQueue: 0, openPatrols: 0, store: "ok")
            })
    }

    func withClient(_ surface: APISurface = .admin, _ test: (RouterClient) async throws -> Void) async throws {
        try await test(RouterClient(responder: buildRouter(environment: environment, surface: surface).buildResponder()))
    }

    static func json(_ object: [String: Any]) -> ByteBuffer {
        ByteBuffer(data: try! JSONSerialization.data(withJSONObject: object))
    }

    static func object(_ response: RouterClient.Answer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
    }

    static func error(_ response: RouterClient.Answer) -> String? {
        (object(response)["error"] as? [String: Any])?["code"] as? String
    }

    @Test func aManagerRegistersIssuesABadgeAndTheVolunteerPatrols() async throws {
        let clock = self.clock
        try await withClient { client in
            let created = try await client.execute(
                uri: "/v1/volunteers", method: .post, body: Self.json(["name": "张三", "role": "leader", "phone": "13800000000"]))
            #expect(created.status == .created)
            let volunteer = Self.object(created)
            #expect(volunteer["role"] as? String == "leader" && volunteer["balance"] as? Int == 0 && volunteer["active"] as? Bool == true)
            let id = volunteer["id"] as! Int

            let badge = Self.object(
                try await client.execute(uri: "/v1/volunteers/\(id)/badges", method: .post, body: Self.json(["kind": "qr"])))
            let code = try #require(badge["code"] as? String)
            let listed = Self.object(try await client.execute(uri: "/v1/volunteers/\(id)/badges", method: .get))
            #expect((listed["items"] as? [[String: Any]])?.first?["code"] == nil, "the code is returned once")

            for payload in [code, "YZ:C:extinguisher-1", "YZ:C:water-dispenser"] {
                clock.advance(by: .seconds(120))
                let reply = Self.object(
                    try await client.execute(uri: "/v1/scans", method: .post, body: Self.json(["code": payload, "scanner": "front"])))
                #expect(reply["outcome"] as? String == "accepted", "\(reply)")
                #expect(reply["seq"] is Int)
            }
            clock.advance(by: .seconds(300))
            let finish = Self.object(try await client.execute(uri: "/v1/scans", method: .post, body: Self.json(["code": code])))
            #expect(finish["reason"] as? String == "patrol_completed")

            let ledger = Self.object(try await client.execute(uri: "/v1/volunteers/\(id)/ledger", method: .get))
            let entry = try #require((ledger["items"] as? [[String: Any]])?.first)
            #expect(entry["delta"] as? Int == 2 && entry["kind"] as? String == "patrol_award" && entry["volunteer_id"] as? Int == id)
            #expect((entry["created_at"] as? String)?.hasSuffix("+08:00") == true, "times carry the station's offset")

            let patrols = Self.object(try await client.execute(uri: "/v1/patrols?state=completed", method: .get))
            let patrol = try #require((patrols["items"] as? [[String: Any]])?.first)
            #expect(patrol["points"] as? Int == 2 && patrol["kind"] as? String == "daily" && (patrol["missing"] as? [String]) == [])
        }
    }

    @Test func badRequestsGetAClearErrorAndChangeNothing() async throws {
        try await withClient { client in
            let malformed = try await client.execute(uri: "/v1/volunteers", method: .post, body: ByteBuffer(string: "{\"name\": "))
            #expect(malformed.status == .badRequest && Self.error(malformed) == "malformed_json")
            let unknown = try await client.execute(uri: "/v1/volunteers", method: .post, body: Self.json(["name": "甲", "rol": "leader"]))
            #expect(unknown.status == .badRequest && Self.error(unknown) == "unknown_field")
            let wrongType = try await client.execute(uri: "/v1/volunteers", method: .post, body: Self.json(["name": 5]))
            #expect(wrongType.status == .badRequest && Self.error(wrongType) == "invalid_field")
            let badRole = try await client.execute(uri: "/v1/volunteers", method: .post, body: Self.json(["name": "甲", "role": "boss"]))
            #expect(badRole.status == .badRequest)
            let huge = try await client.execute(
                uri: "/v1/volunteers", method: .post,
                body: ByteBuffer(string: "{\"name\": \"" + String(repeating: "x", count: 70_000) + "\"}"))
            #expect(huge.status == .contentTooLarge && Self.error(huge) == "body_too_large")
            let missing = try await client.execute(uri: "/v1/volunteers/99", method: .get)
            #expect(missing.status == .notFound && Self.error(missing) == "not_found")
            let noRoute = try await client.execute(uri: "/v2/anything", method: .get)
            #expect(noRoute.status == .notFound && Self.error(noRoute) == "not_found")
            let list = Self.object(try await client.execute(uri: "/v1/volunteers", method: .get))
            #expect((list["items"] as? [Any])?.isEmpty == true, "nothing was created")
        }
    }

    @Test func aRetryWithTheSameIdempotencyKeyGetsTheFirstAnswer() async throws {
        try await withClient { client in
            let headers: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "register-zhang-1"]
            let first = try await client.execute(uri: "/v1/volunteers", method: .post, headers: headers, body: Self.json(["name": "张三"]))
            let retry = try await client.execute(uri: "/v1/volunteers", method: .post, headers: headers, body: Self.json(["name": "张三"]))
            #expect(first.status == .created && retry.status == .created)
            #expect(Data(buffer: first.body) == Data(buffer: retry.body))
            let list = Self.object(try await client.execute(uri: "/v1/volunteers", method: .get))
            #expect((list["items"] as? [Any])?.count == 1)
        }
    }

    @Test func refusalsMapToFittingStatuses() async throws {
        try await withClient { client in
            let id =
                Self.object(try await client.execute(uri: "/v1/volunteers", method: .post, body: Self.json(["name": "甲"])))["id"] as! Int
            let negative = try await client.execute(
                uri: "/v1/adjustments", method: .post, body: Self.json(["volunteer_id": id, "delta": -5, "note": "x"]))
            #expect(negative.status == .unprocessableContent && Self.error(negative) == "negative_balance")
            let noNote = try await client.execute(
                uri: "/v1/adjustments", method: .post, body: Self.json(["volunteer_id": id, "delta": 5, "note": " "]))
            #expect(noNote.status == .badRequest)
            let card = try await client.execute(uri: "/v1/volunteers/\(id)/badges", method: .post, body: Self.json(["kind": "card"]))
            #expect(card.status == .badRequest && Self.error(card) == "missing_field")
            let transition = try await client.execute(uri: "/v1/hazards/1/transitions", method: .post, body: Self.json(["to": "confirmed"]))
            #expect(transition.status == .notFound)
            let cancel = try await client.execute(uri: "/v1/redemptions/NOPE/cancel", method: .post)
            #expect(cancel.status == .notFound)
        }
    }

    @Test func theKioskSurfaceServesScansAndStatusButNoVolunteerData() async throws {
        try await withClient(.kiosk) { client in
            #expect(try await client.execute(uri: "/v1/health", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/v1/status", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/v1/catalog", method: .get).status == .ok)
            let scan = try await client.execute(uri: "/v1/scans", method: .post, body: Self.json(["code": "YZ:K:CANCEL"]))
            #expect(Self.object(scan)["outcome"] as? String == "accepted")
            let refused = try await client.execute(uri: "/v1/volunteers", method: .get)
            #expect(refused.status == .forbidden && Self.error(refused) == "admin_only")
            #expect(
                try await client.execute(
                    uri: "/v1/adjustments", method: .post, body: Self.json(["volunteer_id": 1, "delta": 5, "note": "x"])
                ).status == .forbidden)
        }
    }
}

/// The router answering in the test's own process: each request is made as the daemon's
/// dispatcher makes it (`RequestDispatcher`, its body whole) and the answer's body gathered
/// as it is written.
struct RouterClient {
    struct Answer {
        let status: HTTPResponse.Status
        let body: ByteBuffer
    }

    let responder: RouterResponder<StationRequestContext>

    func execute(uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil) async throws -> Answer {
        var headers = headers
        if let body { headers[.contentLength] = String(body.readableBytes) }
        let request = Request(
            head: HTTPRequest(method: method, scheme: nil, authority: nil, path: uri, headerFields: headers),
            body: RequestBody(buffer: body ?? ByteBuffer()))
        let context = StationRequestContext(
            source: ApplicationRequestContextSource(channel: NIOAsyncTestingChannel(), logger: Logger(label: "test")))
        let response = try await responder.respond(to: request, context: context)
        let gathered = Gathered()
        try await response.body.write(gathered)
        return Answer(status: response.status, body: gathered.body)
    }

    private final class Gathered: ResponseBodyWriter, @unchecked Sendable {
        var body = ByteBuffer()

        func write(_ buffer: ByteBuffer) async throws { body.writeImmutableBuffer(buffer) }

        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
