import TOMLKit
import YizhanCore

/// Collects problems while a config file is read.
final class ConfigContext {
    let file: String
    let locator: SourceLocator
    var problems: [ConfigProblem] = []

    init(file: String, source: String) {
        self.file = file
        self.locator = SourceLocator(source: source)
    }

    func problem(table: String?, index: Int?, key: String?, _ message: String) {
        var path = ""
        if let table { path = index.map { "\(table)[\($0 + 1)]" } ?? table }
        if let key { path += path.isEmpty ? key : ".\(key)" }
        problems.append(
            ConfigProblem(
                file: file, line: locator.line(table: table, index: index, key: key), key: path.isEmpty ? "(file)" : path, message: message)
        )
    }
}

/// Reads typed values from one TOML table, reporting wrong types, bad values and keys that
/// nobody asked for (most often a typo) with their location.
final class TableReader {
    private let table: TOMLTable?
    private let name: String?
    private let index: Int?
    private let context: ConfigContext
    private var known: Set<String> = []

    init(_ table: TOMLTable?, name: String?, index: Int? = nil, context: ConfigContext) {
        self.table = table
        self.name = name
        self.index = index
        self.context = context
    }

    func problem(_ key: String?, _ message: String) {
        context.problem(table: name, index: index, key: key, message)
    }

    private func value(_ key: String) -> TOMLValueConvertible? {
        known.insert(key)
        return table?[key]
    }

    /// Whether the key is given at all.
    func has(_ key: String) -> Bool {
        value(key) != nil
    }

    /// The key's text; nil when it is absent (a problem if `required`) or not a string.
    func string(_ key: String, required: Bool = false) -> String? {
        guard let value = value(key) else {
            if required { problem(key, "is required") }
            return nil
        }
        guard let text = value.string else {
            problem(key, "must be a string")
            return nil
        }
        return text
    }

    func string(_ key: String, default fallback: String) -> String {
        string(key) ?? fallback
    }

    /// The key's number; nil when it is absent (a problem if `required`), not a whole
    /// number or out of `range`.
    func int(_ key: String, in range: ClosedRange<Int> = Int.min...Int.max, required: Bool = false) -> Int? {
        guard let value = value(key) else {
            if required { problem(key, "is required") }
            return nil
        }
        guard let number = value.int else {
            problem(key, "must be a whole number")
            return nil
        }
        guard range.contains(number) else {
            problem(key, "must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return number
    }

    func int(_ key: String, default fallback: Int, in range: ClosedRange<Int> = Int.min...Int.max) -> Int {
        int(key, in: range) ?? fallback
    }

    func bool(_ key: String, default fallback: Bool) -> Bool {
        guard let value = value(key) else { return fallback }
        guard let flag = value.bool else {
            problem(key, "must be true or false")
            return fallback
        }
        return flag
    }

    func strings(_ key: String, default fallback: [String]) -> [String] {
        guard let value = value(key) else { return fallback }
        guard let array = value.array else {
            problem(key, "must be a list of strings")
            return fallback
        }
        var strings: [String] = []
        for element in array {
            guard let text = element.string else {
                problem(key, "must be a list of strings")
                return fallback
            }
            strings.append(text)
        }
        return strings
    }

    /// A required id (lower-case letters, digits, `-`, `_`) not used by another `what` in `seen`.
    func identifier(_ key: String, unique seen: inout Set<String>, of what: String) -> String? {
        guard let id = string(key, required: true) else { return nil }
        if !ScanCode.isIdentifier(id) { problem(key, "must be lower-case letters, digits, - and _") }
        if !seen.insert(id).inserted { problem(key, "\"\(id)\" is used by another \(what)") }
        return id
    }

    /// One of the values of `type`, spelled as in the config.
    func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, default fallback: Choice) -> Choice
    where Choice.RawValue == String {
        guard let text = string(key) else { return fallback }
        guard let choice = Choice(rawValue: text) else {
            problem(key, "must be one of \(Choice.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(text)\"")
            return fallback
        }
        return choice
    }

    /// Reports keys that were never read.
    func finish() {
        guard let table else { return }
        for key in table.keys.sorted() where !known.contains(key) {
            problem(key, "unknown key")
        }
    }
}
