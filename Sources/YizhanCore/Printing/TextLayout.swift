/// Column arithmetic for a fixed-pitch receipt font, where East Asian wide characters take
/// two columns and everything else one.
public enum TextLayout {
    /// The columns `text` takes.
    public static func width(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + width(of: $1) }
    }

    public static func width(of scalar: Unicode.Scalar) -> Int {
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x20000...0x3FFFD:
            2
        default:
            1
        }
    }

    /// Breaks `text` into lines of at most `columns`, never splitting a character.
    public static func wrap(_ text: String, columns: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        var used = 0
        for character in text {
            let cost = width(String(character))
            if used + cost > columns, !line.isEmpty {
                lines.append(line)
                line = ""
                used = 0
            }
            line.append(character)
            used += cost
        }
        if !line.isEmpty || lines.isEmpty { lines.append(line) }
        return lines
    }

    /// `label` on the left and `value` on the right of one line, or the value on a line of
    /// its own, right-aligned, when both do not fit.
    public static func field(_ label: String, _ value: String, columns: Int) -> [String] {
        let gap = columns - width(label) - width(value)
        if gap >= 1 {
            return [label + String(repeating: " ", count: gap) + value]
        }
        let valueLines = wrap(value, columns: columns).map { String(repeating: " ", count: max(0, columns - width($0))) + $0 }
        return wrap(label, columns: columns) + valueLines
    }
}
