import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import YizhanCore
import YizhanStore
import YizhanWire

extension RouteTable {
    /// Health, status, scans and the catalogue: served on both sockets.
    func addStationRoutes() {
        let environment = self.environment
        let healthy = environment.json(HealthReply(status: "ok"))
        add(.get, "/v1/health") { _, _ in healthy }
        add(.get, "/v1/status") { _, _ in
            var status = await environment.status()
            // The answer shows whole seconds; within one, an unchanged station is the same answer.
            status.clock.now = Date(timeIntervalSince1970: status.clock.now.timeIntervalSince1970.rounded(.down))
            return APIReply(body: environment.keptStatus.body(for: status) { environment.json(status).body })
        }
        add(.post, "/v1/scans") { request, _ in
            let body = try await request.decode(ScanBody.self)
            let name = body.scanner ?? "api"
            guard ScanCode.isIdentifier(name) else { throw APIError(.invalidField, "scanner must be an id") }
            // Scans from a socket are in the socket's own namespace ("kiosk:front"): a client
            // cannot arm a command card or select an item on a real scanner.
            let result = await environment.station.scan(body.code, scanner: environment.surfaceName + ":" + name)
            if result.reason == .storeUnavailable {
                throw APIError(.storeUnavailable, result.message)
            }
            return environment.json(result)
        }
        add(.get, "/v1/catalog") { _, _ in
            // Taken before the read: a commit after it changes the key, not the answer kept.
            let generation = environment.store.generation
            return APIReply(
                body: try environment.keptCatalog.body(for: generation) {
                    environment.json(Page(items: try environment.store.catalog(), next: nil)).body
                })
        }
    }
}

extension RouteTable {
    /// `GET /v1/events?after=<id>`: server-sent events. A client that reconnects with its
    /// last id (or the standard `Last-Event-ID` header) gets every event after it still held.
    func addEventRoute() {
        let events = environment.station.events
        recorder?.record(.get, "/v1/events")
        router.get("/v1/events") { request, _ -> Response in
            let text = request.uri.queryParameters.get("after") ?? request.headers[lastEventID]
            var after: Int64?
            if let text {
                guard let id = Int64(text) else { throw APIError(.invalidQuery, "after must be an event id") }
                after = id
            }
            let stream = events.subscribe(after: after)
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream; charset=utf-8"
            headers[.cacheControl] = "no-cache"
            // A stream ends only when the station stops or the client has fallen too far
            // behind, and either way the client reconnects with its last id: its connection
            // ends with it, rather than waiting out the idle time (a client that never reads
            // would hold it a minute).
            headers[.connection] = "close"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    for await event in stream {
                        try await writer.write(
                            ByteBuffer(string: "id: \(event.id)\nevent: \(event.kind.rawValue)\ndata: \(event.json)\n\n"))
                    }
                    try await writer.finish(nil)
                })
        }
    }
}

let lastEventID = HTTPField.Name("Last-Event-ID")!
