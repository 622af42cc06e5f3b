/// The outputs a signal drives.
public struct SignalLines: OptionSet, Sendable, Hashable, Codable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let green = SignalLines(rawValue: 1)
    public static let amber = SignalLines(rawValue: 2)
    public static let red = SignalLines(rawValue: 4)
    public static let buzzer = SignalLines(rawValue: 8)

    /// Names as the config spells them.
    public static let names: [(String, SignalLines)] = [("green", .green), ("amber", .amber), ("red", .red), ("buzzer", .buzzer)]

    public var names: [String] { Self.names.filter { contains($0.1) }.map(\.0) }
}

/// A light-and-beep pattern: steps of lines held for a time. A last step with no duration
/// is held until something else is shown.
public struct SignalPattern: Sendable, Hashable {
    public struct Step: Sendable, Hashable {
        public var lines: SignalLines
        /// Nil: held.
        public var duration: Duration?

        public init(_ lines: SignalLines, _ duration: Duration?) {
            self.lines = lines
            self.duration = duration
        }
    }

    public var steps: [Step]
    /// Whether the pattern starts over after its last step (idle patterns).
    public var repeats: Bool

    public init(_ steps: [Step], repeats: Bool = false) {
        self.steps = steps
        self.repeats = repeats
    }

    /// Parses steps like `"green+buzzer:150"`, `"off:400"` or a held `"amber"`.
    public init?(config steps: [String], repeats: Bool) {
        var parsed: [Step] = []
        for (index, text) in steps.enumerated() {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count) else { return nil }
            var lines: SignalLines = []
            if parts[0] != "off" {
                for name in parts[0].split(separator: "+", omittingEmptySubsequences: false) {
                    guard let line = SignalLines.names.first(where: { $0.0 == name })?.1 else { return nil }
                    lines.insert(line)
                }
            }
            var duration: Duration?
            if parts.count == 2 {
                guard let milliseconds = Int(parts[1]), milliseconds > 0 else { return nil }
                duration = .milliseconds(milliseconds)
            } else if index != steps.count - 1 || repeats {
                return nil  // only the last step of a pattern that does not repeat may be held
            }
            parsed.append(Step(lines, duration))
        }
        guard !parsed.isEmpty else { return nil }
        self.init(parsed, repeats: repeats)
    }

    /// How long one pass takes, or nil when it ends in a held step.
    public var length: Duration? {
        steps.reduce(Duration.zero as Duration?) { total, step in
            guard let total, let duration = step.duration else { return nil }
            return total + duration
        }
    }
}

/// The patterns of SPEC 3.3, each configurable.
public struct SignalPlan: Sendable, Hashable {
    /// Green 1 s, one short beep.
    public var accepted = SignalPattern([.init([.green, .buzzer], .milliseconds(150)), .init(.green, .milliseconds(850))])
    /// Amber blinking, two short beeps.
    public var attention = SignalPattern([
        .init([.amber, .buzzer], .milliseconds(120)), .init(.amber, .milliseconds(120)), .init([.amber, .buzzer], .milliseconds(120)),
        .init([], .milliseconds(240)), .init(.amber, .milliseconds(300)), .init([], .milliseconds(300)), .init(.amber, .milliseconds(300)),
    ])
    /// Red 2 s, one long beep.
    public var error = SignalPattern([.init([.red, .buzzer], .milliseconds(600)), .init(.red, .milliseconds(1400))])
    /// Green steady while every device is healthy: a held line needs no timer, so an idle
    /// station sleeps (a timed pattern here, such as breathing, repeats).
    public var healthy = SignalPattern([.init(.green, nil)])
    /// Amber steady while a device is missing.
    public var deviceMissing = SignalPattern([.init(.amber, nil)])
    /// Red steady while the store is unusable.
    public var storeUnusable = SignalPattern([.init(.red, nil)])

    public init() {}

    public func pattern(for outcome: ScanOutcome) -> SignalPattern {
        switch outcome {
        case .accepted: accepted
        case .attention: attention
        case .error: error
        }
    }

    public func pattern(for health: StationHealth) -> SignalPattern {
        switch health {
        case .healthy: healthy
        case .deviceMissing: deviceMissing
        case .storeUnusable: storeUnusable
        }
    }
}

/// What the idle light shows, worst first wins.
public enum StationHealth: String, Sendable, Hashable, Codable {
    case healthy
    case deviceMissing = "device_missing"
    case storeUnusable = "store_unusable"
}
