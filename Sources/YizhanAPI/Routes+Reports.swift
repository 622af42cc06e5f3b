import Foundation
import Hummingbird
import YizhanCore
import YizhanStore
import YizhanWire

extension RouteTable {
    /// Reports, CSV exports and metrics.
    func addReportRoutes() {
        let environment = self.environment
        let store = environment.store
        add(.get, "/v1/reports/summary") { request, _ in
            let today = environment.calendar.localDay(of: environment.clock.now().wall)
            let from = try request.day("from") ?? LocalDay(year: today.year, month: today.month, day: 1)!
            let to = try request.day("to") ?? today
            return environment.json(try store.summary(from: from, to: to, today: today, calendar: environment.calendar))
        }
        add(.get, "/v1/export/:table") { _, context in
            let name = context.parameters.get("table") ?? ""
            guard name.hasSuffix(".csv"), let table = ExportTable(rawValue: String(name.dropLast(4))) else {
                let names = ExportTable.allCases.map { "\($0.rawValue).csv" }.joined(separator: ", ")
                throw APIError(.notFound, "exports are \(names)")
            }
            let rows = try store.export(table, calendar: environment.calendar)
            return APIReply(status: .ok, body: CSV.document(rows), contentType: "text/csv; charset=utf-8")
        }
        add(.get, "/metrics") { _, _ in
            APIReply(status: .ok, body: Data(await environment.metrics().utf8), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }
}
