/// Finds the line of a key in TOML source text, for error messages. The TOML library does
/// not report where values came from, so this follows table headers and `key =` lines;
/// it only ever points a person at a line, it never decides what a value is.
struct SourceLocator {
    private let lines: [Substring]

    init(source: String) {
        lines = source.split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// The 1-based line of `key` in the table `table` (the `index`-th one for an array of
    /// tables), the table's header when the key is absent, or nil. With no table, `key` is
    /// a top-level key, or a table's name (`[pointz]`, misspelt) found by its first header.
    func line(table: String?, index: Int?, key: String?) -> Int? {
        var sectionStart = 0
        var sectionEnd = lines.count
        if let table {
            let header = index == nil ? "[\(table)]" : "[[\(table)]]"
            let starts = lines.indices.filter { lines[$0].trimmingSpaces.hasPrefix(header) }
            guard let start = index.map({ $0 < starts.count ? starts[$0] : nil }) ?? starts.first else { return nil }
            sectionStart = start
            sectionEnd = lines[(start + 1)...].firstIndex { $0.trimmingSpaces.hasPrefix("[") } ?? lines.count
            guard let key else { return start + 1 }
            return lineOfKey(key, in: (start + 1)..<sectionEnd) ?? start + 1
        }
        guard let key else { return nil }
        sectionEnd = lines.firstIndex { $0.trimmingSpaces.hasPrefix("[") } ?? lines.count
        let headers = ["[\(key)]", "[\(key).", "[[\(key)]]", "[[\(key)."]
        return lineOfKey(key, in: sectionStart..<sectionEnd)
            ?? lines.firstIndex { line in headers.contains { line.trimmingSpaces.hasPrefix($0) } }.map { $0 + 1 }
    }

    private func lineOfKey(_ key: String, in range: Range<Int>) -> Int? {
        for number in range {
            let text = lines[number].trimmingSpaces
            guard text.hasPrefix(key) else { continue }
            let rest = text.dropFirst(key.count).drop { $0 == " " || $0 == "\t" }
            if rest.hasPrefix("=") { return number + 1 }
        }
        return nil
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        drop { $0 == " " || $0 == "\t" }
    }
}
