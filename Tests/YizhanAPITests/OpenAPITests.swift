import Foundation
import Logging
import Testing
import YizhanAPI
import YizhanStation
import YizhanStore
import YizhanTestSupport

/// The OpenAPI document in `docs/` matches the routes each socket serves, and is valid.
@Suite struct OpenAPITests {
    static let documentPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/openapi.json").path

    func documented() throws -> (all: Set<String>, kiosk: Set<String>) {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.documentPath))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var all: Set<String> = []
        var kiosk: Set<String> = []
        for (path, operations) in paths {
            for (method, operation) in operations {
                let route = "\(method.uppercased()) \(path)"
                all.insert(route)
                if ((operation as? [String: Any])?["x-sockets"] as? [String])?.contains("kiosk") == true { kiosk.insert(route) }
            }
        }
        return (all, kiosk)
    }

    func served(_ surface: APISurface) throws -> Set<String> {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let station = Station(
            store: try Store(stateDirectory: directory.path), rules: Fixtures.rules(), clock: Fixtures.clock("2026-11-30 09:00"),
            logger: Logger(label: "test"))
        let recorder = RouteRecorder()
        _ = buildRouter(
            environment: APIEnvironment(station: station, calendar: Fixtures.calendar, status: { fatalError("not called") }),
            surface: surface,
            recorder: recorder)
        return Set(recorder.all)
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteIsServed() throws {
        let (all, kiosk) = try documented()
        let admin = try served(.admin)
        #expect(admin.subtracting(all).isEmpty, "undocumented: \(admin.subtracting(all).sorted())")
        #expect(all.subtracting(admin).isEmpty, "documented but not served: \(all.subtracting(admin).sorted())")
        #expect(try served(.kiosk) == kiosk)
        #expect(admin.contains("GET /v1/volunteers/{id}"))
    }

    @Test func theDocumentIsValidOpenAPI() throws {
        let python = try Command.run(
            "/usr/bin/env",
            [
                "python3", "-c", "import json, sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1])))",
                Self.documentPath,
            ])
        let message = python.errors
        #expect(python.status == 0, "\(message)")
    }
}
