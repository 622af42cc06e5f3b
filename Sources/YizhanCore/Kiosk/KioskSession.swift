/// What the kiosk remembers between scans, in memory only: armed command cards and item
/// selections per scanner, the latest badge scan, and recent payloads for debouncing.
public struct KioskSession: Sendable {
    /// A selection waiting for the next scan on the same scanner.
    public enum Pending: Sendable, Hashable {
        case command(CommandCard, since: Instant)
        case item(id: String, since: Instant)
    }

    /// Per scanner id.
    public var pending: [String: Pending] = [:]
    /// The latest badge scan that opened or touched a patrol, across scanners.
    public var lastBadge: BadgeMark?
    /// The last payload seen per scanner and the reply it got.
    public var recent: [String: RecentScan] = [:]

    public init() {}

    /// A payload with the reply it got, for debouncing.
    public struct RecentScan: Sendable, Hashable {
        public var payload: String
        public var at: Instant
        public var reply: ScanReply
    }

    /// The reply to repeat when `payload` from `scanner` arrives again within `window`.
    public func debounced(_ payload: String, scanner: String, at now: Instant, window: Duration) -> ScanReply? {
        guard let recent = recent[scanner], recent.payload == payload, now.elapsed(since: recent.at) < window else { return nil }
        return recent.reply
    }

    /// Remembers a handled payload for debouncing.
    public mutating func remember(_ payload: String, scanner: String, at now: Instant, reply: ScanReply) {
        recent[scanner] = RecentScan(payload: payload, at: now, reply: reply)
    }

    /// The selection pending on `scanner`, if it has not timed out.
    public func pending(on scanner: String, at now: Instant, rules: Rules) -> Pending? {
        switch pending[scanner] {
        case .command(let card, let since) where now.elapsed(since: since) < rules.kiosk.commandTimeout:
            return .command(card, since: since)
        case .item(let id, let since) where now.elapsed(since: since) < rules.redemption.selectionTimeout:
            return .item(id: id, since: since)
        default:
            return nil
        }
    }

    /// Most scanners remembered at once. The configured scanners are a handful; ids that
    /// API clients name are many, and must not grow the daemon.
    public static let maximumScanners = 64

    /// Forgets what can no longer matter (debounce and selections that timed out), then the
    /// oldest scanners beyond `maximumScanners`.
    public mutating func forgetStale(at now: Instant, rules: Rules) {
        recent = recent.filter { now.elapsed(since: $0.value.at) < rules.kiosk.debounce }
        pending = pending.filter { pending(on: $0.key, at: now, rules: rules) != nil }
        if recent.count > Self.maximumScanners {
            let oldest = recent.sorted { $0.value.at.monotonicNanoseconds < $1.value.at.monotonicNanoseconds }.prefix(
                recent.count - Self.maximumScanners)
            for (scanner, _) in oldest { recent.removeValue(forKey: scanner) }
        }
        if pending.count > Self.maximumScanners {
            let oldest = pending.sorted { $0.value.since.monotonicNanoseconds < $1.value.since.monotonicNanoseconds }.prefix(
                pending.count - Self.maximumScanners)
            for (scanner, _) in oldest { pending.removeValue(forKey: scanner) }
        }
    }
}

extension KioskSession.Pending {
    /// When the selection was made.
    var since: Instant {
        switch self {
        case .command(_, let since), .item(_, let since): since
        }
    }
}
