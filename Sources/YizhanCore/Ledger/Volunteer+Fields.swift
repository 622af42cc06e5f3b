extension Volunteer {
    /// Longest name taken, in characters: a name is printed on slips 32 columns wide.
    public static let maximumNameLength = 64
    /// Longest phone number taken.
    public static let maximumPhoneLength = 32

    /// `text` as a name to store and print: control and format characters (which a printer
    /// would take as commands) removed, spaces trimmed; refused when empty or too long.
    public static func validName(_ text: String) throws(YizhanError) -> String {
        let name = text.strippingControlCharacters.trimmingSpaces
        guard !name.isEmpty, name.count <= maximumNameLength else {
            throw YizhanError(.invalidRequest, "name must be 1 to \(maximumNameLength) printable characters")
        }
        return name
    }

    /// `text` as a phone number: digits, spaces, `+`, `-` and parentheses, up to 32.
    public static func validPhone(_ text: String) throws(YizhanError) -> String {
        let phone = text.trimmingSpaces
        let allowed = phone.unicodeScalars.allSatisfy { "0123456789+-() ".unicodeScalars.contains($0) }
        guard allowed, phone.count <= maximumPhoneLength else {
            throw YizhanError(.invalidRequest, "phone must be up to \(maximumPhoneLength) digits, spaces, +, - and parentheses")
        }
        return phone
    }

    /// `text` as a local account name, as `useradd` takes them: a lower-case letter or `_`
    /// first, then letters, digits, `_`, `-` and `.`, up to 32.
    public static func validLogin(_ text: String) throws(YizhanError) -> String {
        let bytes = Array(text.utf8)
        let first = bytes.first.map { (0x61...0x7A).contains($0) || $0 == 0x5F } ?? false
        let rest = bytes.dropFirst().allSatisfy {
            (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || [0x5F, 0x2D, 0x2E].contains($0)
        }
        guard first, rest, bytes.count <= 32 else {
            throw YizhanError(.invalidRequest, "login must be a local account name: a-z or _ first, then a-z, 0-9, _, - or ., up to 32")
        }
        return text
    }
}

extension String {
    /// Without control, format or line-separator characters: what may reach a slip as text
    /// (a printer takes control bytes as commands).
    public var strippingControlCharacters: String {
        var kept = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned: continue
            default: kept.append(scalar)
            }
        }
        return String(kept)
    }

    fileprivate var trimmingSpaces: String {
        let scalars = unicodeScalars.drop { $0.properties.isWhitespace }.reversed().drop { $0.properties.isWhitespace }.reversed()
        return String(String.UnicodeScalarView(scalars))
    }
}
