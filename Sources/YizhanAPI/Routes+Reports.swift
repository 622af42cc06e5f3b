import Foundation
import Hummingbird
import YizhanCore
import YizhanStore
import YizhanWire

extension RouteTable {
    /// Reports and metrics.
    func addReportRoutes() {
        let environment = self.environment
        let store = environment.store
        add(.get, "/v1/reports/summary") { request, _ in
            let today = environment.calendar.localDay(of: environment.clock.now().wall)
            let from = try request.day("from") ?? LocalDay(year: today.year, month: today.month, day: 1)!
            let to = try request.day("to") ?? today
            return environment.json(try store.summary(from: from, to: to, today: today, calendar: environment.calendar))
        }
        add(.get, "/metrics") { _, _ in
            APIReply(status: .ok, body: Data(await environment.metrics().utf8), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }
}

extension RouteTable {
    /// `GET /v1/export/{table}.csv`: written as it is read, a thousand rows at a time, each
    /// part as the client takes it, so that an export of years of a station's ledger costs
    /// the daemon one part's memory, and the other requests on its loop go on between parts.
    /// Each part is a read of its own: a row changed during a long export is as it stood
    /// when its part was read. A part that cannot be read ends the answer without its last
    /// chunk, which a client sees as cut short.
    func addExportRoute() {
        let (store, calendar, logger) = (environment.store, environment.calendar, environment.logger)
        let rowsAPart = 1000
        recorder?.record(.get, "/v1/export/:table")
        router.get("/v1/export/:table") { _, context -> Response in
            let name = context.parameters.get("table") ?? ""
            guard name.hasSuffix(".csv"), let table = ExportTable(rawValue: String(name.dropLast(4))) else {
                let names = ExportTable.allCases.map { "\($0.rawValue).csv" }.joined(separator: ", ")
                throw APIError(.notFound, "exports are \(names)")
            }
            // The first part is read before the answer begins: a store that cannot be read
            // is an error answer, not an empty file.
            let first = try store.export(table, limit: rowsAPart, calendar: calendar)
            var headers = HTTPFields()
            headers[.contentType] = "text/csv; charset=utf-8"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    var part = first
                    try await writer.write(ByteBuffer(string: CSV.byteOrderMark + CSV.lines([Store.exportColumns(table)])))
                    while true {
                        try await writer.write(ByteBuffer(string: CSV.lines(part.items)))
                        guard let next = part.next.flatMap(Int64.init) else { break }
                        do {
                            part = try store.export(table, after: next, limit: rowsAPart, calendar: calendar)
                        } catch {
                            // The client sees only a cut; the technician reads why.
                            logger.error("export broke off", metadata: ["table": "\(table.rawValue)", "error": "\(error)"])
                            throw error
                        }
                    }
                    try await writer.finish(nil)
                })
        }
    }
}
