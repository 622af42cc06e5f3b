import Foundation

/// RFC 4180 CSV in UTF-8 with a byte-order mark, which is what makes Excel read Chinese right.
public enum CSV {
    /// What a file starts with, before its first row.
    public static let byteOrderMark = "\u{FEFF}"

    /// Rows as lines, each ended by CRLF: a part of a file written a part at a time.
    public static func lines(_ rows: [[String]]) -> String {
        rows.map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
    }

    static func field(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
