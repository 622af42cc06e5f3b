import Foundation
import Logging
import YizhanCore
import YizhanStore
import YizhanWire

/// The one ordered path every scan takes, from any scanner or the API: debounce, parse,
/// expire stale patrols, read facts, decide, apply, record, commit — and only then answer.
public actor Station {
    public nonisolated let store: Store
    public nonisolated let clock: any StationClock
    /// The rules as configured, and the district's campaigns beside them.
    private var configured: Rules
    private var districtCampaigns: [Campaign] = []
    /// The rules in force: the configured ones with the district's campaigns added.
    private var rules: Rules
    private var kiosk: Kiosk
    private var session = KioskSession()
    /// Set when `verifyStore` found the database damaged: no scan is taken after that.
    private var damage: YizhanError?
    private let logger: Logger
    private let observers: StationObservers
    /// The event stream that scans and expiries are published on.
    public nonisolated let events: EventBus

    public init(
        store: Store, rules: Rules, clock: any StationClock, logger: Logger, observers: StationObservers = StationObservers(),
        events: EventBus = EventBus(run: 0)
    ) {
        self.events = events
        self.store = store
        self.configured = rules
        self.rules = rules
        self.kiosk = Kiosk(rules: rules)
        self.clock = clock
        self.logger = logger
        self.observers = observers
    }

    /// The rules in force.
    public var currentRules: Rules { rules }

    /// Replaces the rules (after a config reload); pending selections are dropped because
    /// they may name items or checkpoints that no longer exist.
    public func replaceRules(_ rules: Rules) {
        configured = rules
        putRulesInForce()
    }

    /// Runs the district's campaigns beside the configured ones (after a pull). A
    /// checkpoint this station does not have is not required here.
    public func useDistrictCampaigns(_ campaigns: [Campaign]) {
        guard campaigns != districtCampaigns else { return }
        districtCampaigns = campaigns
        putRulesInForce()
    }

    private func putRulesInForce() {
        var rules = configured
        let checkpoints = Set(configured.checkpoints.map(\.id))
        for var campaign in districtCampaigns {
            campaign.checkpoints.removeAll { !checkpoints.contains($0) }
            rules.campaigns.append(campaign)
        }
        self.rules = rules
        kiosk = Kiosk(rules: rules)
        session.pending.removeAll()
    }

    /// Handles raw bytes from a scanner device.
    public func scan(bytes: [UInt8], scanner: String) async -> ScanResult {
        switch ScanRejection.text(from: bytes) {
        case .success(let text):
            return await scan(text, scanner: scanner)
        case .failure(let rejection):
            return reject(rejection, payload: String(decoding: bytes, as: UTF8.self), raw: bytes, scanner: scanner)
        }
    }

    /// Checks every page of the database. Run on the station, so scans that arrive while it
    /// runs wait for it, and none is taken on a database found damaged.
    public func verifyStore() throws {
        do {
            try store.verify()
        } catch let error as YizhanError {
            damage = error
            throw error
        }
    }

    /// The reply when the database cannot take the scan (found damaged, or a commit failed).
    private static let storeUnusable = ScanReply(.error, .storeUnavailable, "系统存储故障，请联系负责人")

    /// Handles one scan payload (terminator removed).
    public func scan(_ payload: String, scanner: String) async -> ScanResult {
        guard damage == nil else { return ScanResult(seq: nil, reply: Self.storeUnusable) }
        let now = clock.now()
        if let earlier = session.debounced(payload, scanner: scanner, at: now, window: rules.kiosk.debounce) {
            let reply = ScanReply(earlier.outcome, .debounced, earlier.message)
            return record(reply, payload: payload, scanner: scanner, at: now)
        }
        let code: ScanCode
        switch ScanCode.parse(payload) {
        case .success(let parsed): code = parsed
        case .failure(let rejection): return reject(rejection, payload: payload, raw: Array(payload.utf8), scanner: scanner)
        }

        let pending = session.pending(on: scanner, at: now, rules: rules)
        let selectedItem: String? = if case .item(let id, _) = pending { id } else { nil }
        let balanceArmed = if case .command(.balance, _) = pending { true } else { false }
        do {
            let (decision, seq, openedPatrol, expired) = try commit(
                code, payload: payload, scanner: scanner, selectedItem: selectedItem, balanceArmed: balanceArmed, at: now)
            announceExpired(expired)
            self.session = decision.session
            if let opened = openedPatrol {
                self.session.lastBadge = BadgeMark(patrolID: opened.unit, volunteerID: opened.volunteer, at: now)
            }
            self.session.remember(payload, scanner: scanner, at: now, reply: decision.reply)
            self.session.forgetStale(at: now, rules: rules)
            let result = ScanResult(seq: seq, reply: decision.reply)
            logger.info(
                "scan",
                metadata: [
                    "scanner": "\(scanner)", "seq": "\(seq)", "outcome": "\(result.outcome.rawValue)",
                    "reason": "\(result.reason.rawValue)",
                    "code": "\(code.logKind)",
                ])
            publish(CommittedScan(scanner: scanner, result: result, effects: decision.effects, at: now))
            return result
        } catch {
            logger.error("scan not committed", metadata: ["scanner": "\(scanner)", "error": "\(error)"])
            return record(Self.storeUnusable, payload: payload, scanner: scanner, at: now)
        }
    }

    /// Reads the facts, decides and applies in one write transaction. Deliberately
    /// synchronous: an `await` here would let another scan run on this actor in between
    /// and both would then write back a session from before the other.
    private func commit(
        _ code: ScanCode, payload: String, scanner: String, selectedItem: String?, balanceArmed: Bool, at now: Instant
    ) throws -> (
        ScanDecision, Int64, (unit: Int64, volunteer: Int64)?, [Int64]
    ) {
        try store.commitScan(rules: rules) { transaction in
            let (expired, open) = try transaction.expirePatrols(at: now)
            let facts = try transaction.facts(
                for: code, openPatrols: open, selectedItem: selectedItem, redeemable: balanceArmed, at: now)
            let decision = kiosk.decide(code, scanner: scanner, session: session, facts: facts, at: now)
            let opened = try transaction.apply(decision.effects, at: now)
            let seq = try transaction.record(scanner: scanner, payload: payload, reply: decision.reply, at: now)
            return (decision, seq, opened, expired)
        }
    }

    /// Returns at once when the station is free: the watchdog's proof that scans are
    /// being served, not stuck behind a wedged write.
    public func heartbeat() {}

    /// Closes expired patrols on time (the expiry timer); a scan does the same in its own
    /// transaction, so no scan ever sees a patrol that should have expired.
    public func expirePatrols() {
        do {
            announceExpired(try store.expirePatrols(rulebook: PatrolRulebook(rules: rules), at: clock.now()))
        } catch {
            logger.error("expiring patrols failed", metadata: ["error": "\(error)"])
        }
    }

    private func announceExpired(_ patrols: [Int64]) {
        for id in patrols {
            logger.info("patrol expired", metadata: ["patrol": "\(id)"])
            events.publish(.patrol, PatrolEvent(id: id, state: .expired))
        }
    }

    /// Announces once, on the event stream and in the log, each hazard that is now past its
    /// rectification deadline.
    public func announceOverdueHazards() {
        let now = clock.now()
        do {
            for hazard in try store.announceOverdueHazards(today: rules.calendar.localDay(of: now.wall), at: now) {
                logger.warning(
                    "hazard overdue",
                    metadata: ["hazard": "\(hazard.id)", "checkpoint": "\(hazard.checkpointID)", "deadline": "\(hazard.deadline)"])
                events.publish(.hazardOverdue, hazard)
            }
        } catch {
            logger.error("checking overdue hazards failed", metadata: ["error": "\(error)"])
        }
    }

    /// How long until the next local midnight, when deadlines pass and patrols end with the day.
    public func timeUntilMidnight() -> Duration {
        let now = clock.now().wall
        return rules.calendar.timeUntilEndOfDay(of: now, from: now)
    }

    /// How long until the next open patrol expires, or nil when none is open.
    public func timeUntilNextExpiry() -> Duration? {
        let patrols = (try? store.openPatrols()) ?? []
        return PatrolRulebook(rules: rules).timeUntilNextExpiry(of: patrols, now: clock.now())
    }

    private func publish(_ scan: CommittedScan) {
        let result = scan.result
        events.publish(
            .scan,
            ScanEvent(
                seq: result.seq, scanner: scan.scanner, outcome: result.outcome, reason: result.reason, message: result.message,
                at: scan.at.wall))
        observers.scanCommitted(scan)
    }

    /// Records bytes that a scanner's framing already refused (too long, too slow).
    public func reject(_ rejection: ScanRejection, bytes: [UInt8], scanner: String) -> ScanResult {
        reject(rejection, payload: String(decoding: bytes, as: UTF8.self), raw: bytes, scanner: scanner)
    }

    private func reject(_ rejection: ScanRejection, payload: String, raw: [UInt8], scanner: String) -> ScanResult {
        guard damage == nil else { return ScanResult(seq: nil, reply: Self.storeUnusable) }
        logger.warning(
            "scan rejected",
            metadata: ["scanner": "\(scanner)", "reason": "\(rejection.rawValue)", "payload": "\(ScanRejection.sanitised(raw))"])
        return record(.rejected(rejection), payload: payload, scanner: scanner, at: clock.now())
    }

    /// Records a scan that changed nothing (rejected, debounced, or refused by a failing store).
    /// One the store cannot record is answered as refused, whatever it would have been: an
    /// answer that is not an error says the scan is in the station's record of scans.
    private func record(_ reply: ScanReply, payload: String, scanner: String, at now: Instant) -> ScanResult {
        var seq: Int64?
        do {
            seq = try store.commitScan(rules: rules) { try $0.record(scanner: scanner, payload: payload, reply: reply, at: now) }
        } catch {
            // A refusal that cannot be recorded either was logged when its commit failed.
            if reply.reason != .storeUnavailable {
                logger.error(
                    "scan not recorded", metadata: ["scanner": "\(scanner)", "reason": "\(reply.reason.rawValue)", "error": "\(error)"])
            }
        }
        let result = ScanResult(seq: seq, reply: seq == nil ? Self.storeUnusable : reply)
        publish(CommittedScan(scanner: scanner, result: result, effects: [], at: now))
        return result
    }
}

/// A scan whose effects are committed (or that changed nothing), as observers see it.
public struct CommittedScan: Sendable {
    public var scanner: String
    public var result: ScanResult
    public var effects: [ScanEffect]
    public var at: Instant
}

/// Who hears about committed scans: the printer spooler, the expiry timer, the event stream.
public struct StationObservers: Sendable {
    private let handlers: [@Sendable (CommittedScan) -> Void]

    public init(_ handlers: [@Sendable (CommittedScan) -> Void] = []) {
        self.handlers = handlers
    }

    func scanCommitted(_ scan: CommittedScan) {
        for handler in handlers { handler(scan) }
    }
}

extension ScanCode {
    /// The kind of code, for logs: never the payload itself, which may be a badge token.
    var logKind: String {
        switch self {
        case .badge: "badge"
        case .card: "card"
        case .checkpoint(let id): "checkpoint:\(id)"
        case .item(let id): "item:\(id)"
        case .redemption: "redemption"
        case .command(let card): "command:\(card.rawValue)"
        }
    }
}
