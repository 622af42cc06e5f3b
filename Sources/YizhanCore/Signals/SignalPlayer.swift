/// Which lines are on at any instant: an outcome's pattern plays once, a newer outcome
/// pre-empts it, and between outcomes the idle pattern for the station's health shows.
/// Pure: the signalling service asks it what to show now and when to look again.
public struct SignalPlayer: Sendable {
    public private(set) var plan: SignalPlan
    public private(set) var health: StationHealth
    private var showing: (pattern: SignalPattern, since: Instant)?
    private var idleSince: Instant

    public init(plan: SignalPlan, health: StationHealth = .healthy, at now: Instant) {
        self.plan = plan
        self.health = health
        idleSince = now
    }

    /// Starts an outcome's pattern, replacing whatever was playing.
    public mutating func show(_ outcome: ScanOutcome, at now: Instant) {
        showing = (plan.pattern(for: outcome), now)
    }

    /// Changes the idle pattern; an outcome in progress finishes first.
    public mutating func setHealth(_ health: StationHealth, at now: Instant) {
        guard health != self.health else { return }
        self.health = health
        if showing == nil { idleSince = now }
    }

    /// The lines to drive at `now`.
    public mutating func lines(at now: Instant) -> SignalLines {
        settle(at: now)
        if let showing {
            return Self.position(in: showing.pattern, after: now.elapsed(since: showing.since)).lines
        }
        return Self.position(in: plan.pattern(for: health), after: now.elapsed(since: idleSince)).lines
    }

    /// How long the lines stay as they are at `now`; nil when they hold until something happens.
    public mutating func timeUntilChange(at now: Instant) -> Duration? {
        settle(at: now)
        if let showing {
            return Self.position(in: showing.pattern, after: now.elapsed(since: showing.since)).remaining
        }
        return Self.position(in: plan.pattern(for: health), after: now.elapsed(since: idleSince)).remaining
    }

    /// Ends an outcome's pattern once it has played; idle resumes from its start.
    private mutating func settle(at now: Instant) {
        guard let current = showing, let length = current.pattern.length, now.elapsed(since: current.since) >= length else { return }
        showing = nil
        idleSince = current.since.advanced(by: length)
    }

    /// The step `elapsed` into `pattern`, and how long it still lasts.
    static func position(in pattern: SignalPattern, after elapsed: Duration) -> (lines: SignalLines, remaining: Duration?) {
        var offset = elapsed
        if pattern.repeats, let length = pattern.length, length > .zero {
            let cycles = Int64(offset / length)
            offset -= length * cycles
        }
        for step in pattern.steps {
            guard let duration = step.duration else { return (step.lines, nil) }
            if offset < duration { return (step.lines, duration - offset) }
            offset -= duration
        }
        return ([], nil)
    }
}
