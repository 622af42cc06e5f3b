import Foundation

/// RFC 4180 CSV in UTF-8 with a byte-order mark, which is what makes Excel read Chinese right.
public enum CSV {
    public static func document(_ rows: [[String]]) -> Data {
        var text = "\u{FEFF}"
        for row in rows {
            text += row.map(field).joined(separator: ",") + "\r\n"
        }
        return Data(text.utf8)
    }

    static func field(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
