import ArgumentParser
import Foundation
import YizhanClient
import YizhanCore
import YizhanWire

/// Calls the daemon and prints what it says, as tables or JSON.
struct Client {
    let api: APIClient
    let json: Bool

    init(socketPath: String, json: Bool) {
        api = APIClient(socketPath: socketPath)
        self.json = json
    }

    /// Calls the daemon and returns its reply. Exits 2 when the daemon cannot be reached and
    /// 1 when it refuses, saying why.
    func call<Reply>(_ endpoint: Endpoint<Reply>) throws -> Reply {
        try answer(endpoint).reply
    }

    /// Calls the daemon; with `--json` prints its JSON as it came, else hands the reply to `present`.
    @discardableResult
    func present<Reply>(_ endpoint: Endpoint<Reply>, _ present: (Reply) -> Void) throws -> Reply {
        let (reply, body) = try answer(endpoint)
        if json {
            printJSON(body)
        } else {
            present(reply)
        }
        return reply
    }

    /// One resource as `field  value` lines; a field without a value is left out.
    func show<Reply>(_ endpoint: Endpoint<Reply>, _ fields: [Column<Reply>]) throws {
        try present(endpoint) { reply in
            let width = fields.map { TextLayout.width($0.name) }.max() ?? 0
            for field in fields {
                guard let value = field.text(reply, api.times) else { continue }
                print(field.name + String(repeating: " ", count: width - TextLayout.width(field.name) + 2) + value)
            }
        }
    }

    /// A list as a table; under a full page, on standard error (the table stays rows for a
    /// pipe), how to ask for the next: `cursor` is the option that takes a page's `next`.
    func list<Item>(_ endpoint: Endpoint<Page<Item>>, _ columns: [Column<Item>], cursor: String = "--before") throws {
        try present(endpoint) { page in
            Table(columns, times: api.times).print(page.items)
            if let next = page.next { FileHandle.standardError.write(Data("more: add \(cursor) \(next) for the next page\n".utf8)) }
        }
    }

    /// A reply that is not JSON (a CSV export), handed to `take` as it arrives; stops
    /// at the first error `take` throws.
    func file(_ path: String, into take: ([UInt8]) throws -> Void) throws {
        let response = try reporting { () throws(APIClient.Failure) in try api.open("GET", path) }
        do {
            while let bytes = try response.next() { try take(bytes) }
        } catch let failure as UnixHTTPClient.Failure {
            throw failed(.unreachable(failure))
        }
    }

    private func answer<Reply>(_ endpoint: Endpoint<Reply>) throws -> (reply: Reply, body: Data) {
        try reporting { () throws(APIClient.Failure) in
            let body = try api.send(endpoint)
            return (try api.decode(Reply.self, from: body), body)
        }
    }

    /// Says why a call failed and exits: 2 when the daemon cannot be reached, 1 when it refused.
    private func reporting<Result>(_ call: () throws(APIClient.Failure) -> Result) throws -> Result {
        do {
            return try call()
        } catch {
            throw failed(error)
        }
    }

    /// Says why a call failed; the exit status that goes with it.
    func failed(_ failure: APIClient.Failure) -> ExitCode {
        FileHandle.standardError.write(Data("yizhanctl: \(failure)\n".utf8))
        if case .unreachable = failure { return ExitCode(2) }
        return ExitCode(1)
    }

    /// The daemon's JSON, indented and with its keys sorted, for scripts and for people.
    func printJSON(_ body: Data) {
        let value = try? JSONSerialization.jsonObject(with: body, options: .fragmentsAllowed)
        let data =
            value.flatMap {
                try? JSONSerialization.data(withJSONObject: $0, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            }
            ?? body
        print(String(decoding: data, as: UTF8.self))
    }
}

/// A value as a table cell; nil when there is none (`-` in a table, left out of a resource).
protocol Cell {
    func text(_ times: ReceivedTimes) -> String?
}

extension Int: Cell {}
extension Int64: Cell {}
extension String: Cell {}
extension LocalDay: Cell {}
extension Cell where Self: CustomStringConvertible {
    func text(_ times: ReceivedTimes) -> String? { description }
}

extension Bool: Cell {
    func text(_ times: ReceivedTimes) -> String? { self ? "yes" : "no" }
}

extension Date: Cell {
    /// As the daemon wrote it, in the station's offset.
    func text(_ times: ReceivedTimes) -> String? { times.text(self) }
}

extension Optional: Cell where Wrapped: Cell {
    func text(_ times: ReceivedTimes) -> String? { self?.text(times) }
}

extension Array: Cell where Element: Cell {
    func text(_ times: ReceivedTimes) -> String? { map { $0.text(times) ?? "-" }.joined(separator: ",") }
}

extension PatrolKind: Cell {}
extension PatrolState: Cell {}
extension HazardState: Cell {}
extension RedemptionState: Cell {}
extension PrintJobState: Cell {}
extension VolunteerRole: Cell {}
extension LedgerKind: Cell {}
extension ScanOutcome: Cell {}
extension ScanReason: Cell {}
extension Slip.Kind: Cell {}
extension BadgeKind: Cell {}
extension DeviceState: Cell {}
extension Cell where Self: RawRepresentable, RawValue == String {
    func text(_ times: ReceivedTimes) -> String? { rawValue }
}

/// One column of a table, or one line of a resource shown alone, named as the JSON field is.
struct Column<Row> {
    let name: String
    let text: (Row, ReceivedTimes) -> String?

    init(_ name: String, _ value: KeyPath<Row, some Cell>) {
        self.name = name
        text = { row, times in row[keyPath: value].text(times) }
    }
}

/// A plain text table, aligned for Chinese text too.
struct Table<Row> {
    let columns: [Column<Row>]
    let times: ReceivedTimes

    init(_ columns: [Column<Row>], times: ReceivedTimes) {
        self.columns = columns
        self.times = times
    }

    func print(_ rows: [Row]) {
        let cells = [columns.map(\.name)] + rows.map { row in columns.map { $0.text(row, times) ?? "-" } }
        let widths = columns.indices.map { index in cells.map { TextLayout.width($0[index]) }.max() ?? 0 }
        for line in cells {
            let padded = line.enumerated().map { index, cell in cell + String(repeating: " ", count: widths[index] - TextLayout.width(cell))
            }
            Swift.print(padded.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
    }
}
