import Foundation
import Hummingbird
import YizhanCore
import YizhanStore

extension RouteTable {
    /// Health, status, scans and the catalogue: served on both sockets.
    func addStationRoutes() {
        let environment = self.environment
        add(.get, "/v1/health") { _, _ in
            environment.json(["status": "ok"])
        }
        add(.get, "/v1/status") { _, _ in
            environment.json(await environment.status())
        }
        add(.post, "/v1/scans") { request, _ in
            let body = try await request.decode(ScanBody.self)
            let scanner = body.scanner ?? "api"
            guard ScanCode.isIdentifier(scanner) else { throw APIError(.badRequest, "invalid_field", "scanner must be an id") }
            let result = await environment.station.scan(body.code, scanner: scanner)
            if result.reason == YizhanError.Code.storeUnavailable.rawValue {
                throw APIError(.serviceUnavailable, result.reason, result.message)
            }
            return environment.json(result)
        }
        add(.get, "/v1/catalog") { _, _ in
            environment.json(Page(items: try environment.store.catalog(), next: nil))
        }
    }
}
