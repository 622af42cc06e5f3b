import Foundation

/// The TOML parser underneath (toml++, inside TOMLKit) asserts, and so aborts the whole
/// process, on some malformed input instead of reporting it: a table header whose name
/// starts with a character that cannot start a key (`[#]`, `[ =x]`), and a `}` where an
/// array expects a value (`a = [}`, `a = [1, }`). A daemon must answer a broken config
/// with an error, never a crash (a SIGHUP with such a file would take the station down),
/// so these are found here first. Both were found by fuzzing the config parser.
enum TOMLTraps {
    /// `YIZHAN_TOML_UNGUARDED` set lets the parser meet these inputs: only for testing that
    /// a reload survives a parser that aborts (the reload parses in a child process first).
    static let guarded = ProcessInfo.processInfo.environment["YIZHAN_TOML_UNGUARDED"] == nil

    struct Trap: Equatable {
        var line: Int
        var message: String
    }

    static let header = "a table header must start with a name, e.g. [station]"
    static let missingValue = "a list is missing a value before `}`"

    /// The first place in `source` the parser cannot survive, if any.
    static func first(in source: String) -> Trap? {
        let text = Array(source.unicodeScalars)
        var index = 0
        var line = 1
        var open: [Unicode.Scalar] = []  // the brackets and braces of values: inside them `[` starts no header
        var expectingValue = false  // just after `[` or `,` in a list
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
            if scalar == "#" {
                while let next = peek(), next != "\n" { index += 1 }
                continue
            }
            if atLineStart && open.isEmpty && scalar == "[" {
                index += peek(1) == "[" ? 2 : 1
                while peek() == " " || peek() == "\t" { index += 1 }
                guard let first = peek(), isKeyStart(first) else { return Trap(line: line, message: header) }
                // The rest of the header is the parser's to judge.
                while let next = peek(), next != "\n" { index += 1 }
                continue
            }
            atLineStart = false
            if expectingValue && scalar == "}" { return Trap(line: line, message: missingValue) }
            expectingValue = false
            switch scalar {
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
                open.append(scalar)
                expectingValue = scalar == "["
                index += 1
            case "]", "}":
                _ = open.popLast()
                index += 1
            case ",":
                expectingValue = open.last == "["
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
