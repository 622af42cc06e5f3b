/// The TOML parser underneath (toml++, inside TOMLKit) asserts, and so aborts the whole
/// process, on a table header whose name starts with a character that cannot start a key:
/// `[#]`, `[ =x]`, `[[!]]`. A daemon must answer a broken config with an error, never a
/// crash (a SIGHUP with such a file would take the station down), so such headers are
/// found here first. Found by fuzzing the config parser.
enum TableHeaderCheck {
    /// The 1-based line of the first header the parser cannot survive, if any.
    static func firstUnparsableHeader(in source: String) -> Int? {
        let text = Array(source.unicodeScalars)
        var index = 0
        var line = 1
        var depth = 0  // of the brackets and braces of values: inside them `[` starts no header
        var atLineStart = true

        func peek(_ offset: Int = 0) -> Unicode.Scalar? { index + offset < text.count ? text[index + offset] : nil }
        func starts(_ string: String) -> Bool { Array(string.unicodeScalars).enumerated().allSatisfy { peek($0.offset) == $0.element } }
        func skip(to end: String, escapes: Bool) {
            while let scalar = peek() {
                if starts(end) {
                    index += end.unicodeScalars.count
                    return
                }
                if scalar == "\n" { line += 1 }
                index += escapes && scalar == "\\" ? 2 : 1
            }
        }

        while let scalar = peek() {
            if scalar == "\n" {
                line += 1
                index += 1
                atLineStart = true
                continue
            }
            if scalar == " " || scalar == "\t" || scalar == "\r" {
                index += 1
                continue
            }
            if atLineStart && depth == 0 && scalar == "[" {
                index += peek(1) == "[" ? 2 : 1
                while peek() == " " || peek() == "\t" { index += 1 }
                guard let first = peek(), isKeyStart(first) else { return line }
                // The rest of the header is the parser's to judge.
                while let next = peek(), next != "\n" { index += 1 }
                continue
            }
            atLineStart = false
            switch scalar {
            case "#": while let next = peek(), next != "\n" { index += 1 }
            case "\"" where starts("\"\"\""):
                index += 3
                skip(to: "\"\"\"", escapes: true)
            case "'" where starts("'''"):
                index += 3
                skip(to: "'''", escapes: false)
            case "\"":
                index += 1
                skip(to: "\"", escapes: true)
            case "'":
                index += 1
                skip(to: "'", escapes: false)
            case "[", "{":
                depth += 1
                index += 1
            case "]", "}":
                depth = max(0, depth - 1)
                index += 1
            default:
                index += 1
            }
        }
        return nil
    }

    /// What may follow `[` in a header: a bare key character, a quote, or `]` (an empty
    /// name, which the parser reports properly).
    static func isKeyStart(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "-", "\"", "'", "]": true
        default: false
        }
    }
}
