import ArgumentParser
import Foundation
import YizhanClient
import YizhanCore

/// Calls the daemon and prints what it says, as tables or JSON.
struct Client {
    let http: UnixHTTPClient
    let json: Bool

    init(socketPath: String, json: Bool) {
        http = UnixHTTPClient(socketPath: socketPath)
        self.json = json
    }

    /// Sends a request and returns the JSON object; on an API error prints it and exits 1.
    func call(_ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> [String: Any] {
        try raw(method, path, body).json ?? [:]
    }

    /// Sends a request and returns the response; exits 2 when the daemon cannot be reached
    /// and 1 when it answers with an error.
    func raw(_ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> UnixHTTPClient.Response {
        let response: UnixHTTPClient.Response
        do {
            response = try body.map { try http.send(method, path, json: $0) } ?? http.send(method, path)
        } catch {
            FileHandle.standardError.write(Data("yizhanctl: \(error)\n".utf8))
            throw ExitCode(2)
        }
        guard (200..<300).contains(response.status) else {
            let error = response.json?["error"] as? [String: Any]
            let text = "yizhanctl: \(error?["code"] ?? response.status): \(error?["message"] ?? "")\n"
            FileHandle.standardError.write(Data(text.utf8))
            throw ExitCode(1)
        }
        return response
    }

    func printJSON(_ object: [String: Any]) {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        print(String(decoding: data, as: UTF8.self))
    }

    /// One resource as `field  value` lines.
    func show(_ object: [String: Any], fields: [String]) {
        guard !json else { return printJSON(object) }
        let width = fields.map(TextLayout.width).max() ?? 0
        for field in fields where object[field] != nil {
            print(field + String(repeating: " ", count: width - TextLayout.width(field) + 2) + Table.text(object[field]))
        }
    }

    /// A list as a table.
    func list(_ object: [String: Any], columns: [String]) {
        guard !json else { return printJSON(object) }
        Table(columns: columns).print(object["items"] as? [[String: Any]] ?? [])
    }
}

/// A plain text table, aligned for Chinese text too.
struct Table {
    let columns: [String]

    func print(_ rows: [[String: Any]]) {
        let cells = [columns] + rows.map { row in columns.map { Self.text(row[$0]) } }
        let widths = columns.indices.map { index in cells.map { TextLayout.width($0[index]) }.max() ?? 0 }
        for line in cells {
            let padded = line.enumerated().map { index, cell in cell + String(repeating: " ", count: widths[index] - TextLayout.width(cell))
            }
            Swift.print(padded.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
    }

    static func text(_ value: Any?) -> String {
        switch value {
        case nil, is NSNull: "-"
        case let list as [Any]: list.map { text($0) }.joined(separator: ",")
        // JSON booleans arrive as NSNumber with the `char` type code; numbers would cast to Bool too.
        case let number as NSNumber where String(cString: number.objCType) == "c": number.boolValue ? "yes" : "no"
        case let number as NSNumber: number.stringValue
        case let value?: "\(value)"
        }
    }
}
