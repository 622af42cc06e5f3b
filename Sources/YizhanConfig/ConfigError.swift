/// One problem in a config file, located by file, line and key so a technician can fix it.
public struct ConfigProblem: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    /// The key's path, e.g. `scanner[2].kind`.
    public var key: String
    public var message: String

    public var description: String {
        "\(file):\(line.map(String.init) ?? "-"): \(key): \(message)"
    }
}

/// Every problem found in a config file; the daemon refuses to start (or to reload) with any.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var problems: [ConfigProblem]

    public init(problems: [ConfigProblem]) {
        self.problems = problems
    }

    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
