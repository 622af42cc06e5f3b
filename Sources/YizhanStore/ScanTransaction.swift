import Foundation
import GRDB
import YizhanCore
import YizhanCredentials

/// One scan's work inside one write transaction (`Store.commitScan`): read the facts the
/// rule needs, apply the effects it decided, and record the scan. The transaction commits
/// when the work returns; the caller then signals.
public struct ScanTransaction {
    let db: Database
    let rules: Rules
    let credentials: CredentialKey

    /// Closes patrols that expired before this scan, so it sees the station as it is now;
    /// returns them and the patrols still open.
    public func expirePatrols(at now: Instant) throws -> (expired: [Int64], open: [OpenPatrol]) {
        try Patrols.expire(db, open: try Patrols.open(db), rulebook: PatrolRulebook(rules: rules), at: now)
    }

    /// Reads what `code` needs, given the patrols open and the item selected on the scanner
    /// (if any); with `redeemable`, what a volunteer's balance slip would list.
    public func facts(for code: ScanCode, openPatrols: [OpenPatrol], selectedItem: String?, redeemable: Bool = false, at now: Instant)
        throws -> ScanFacts
    {
        var facts = ScanFacts()
        facts.openPatrols = openPatrols
        switch code {
        case .badge(let token):
            facts.volunteer = try volunteer(credential: Credentials.hash(qrToken: token))
        case .card(let uid):
            facts.volunteer = try cardHolder(uid)
        case .item(let id):
            facts.item = try itemFacts(id, volunteerID: nil, at: now)
        case .redemption(let code):
            facts.redemption = try Redemptions.facts(db, code: code)
        case .checkpoint, .command:
            break
        }
        if let volunteer = facts.volunteer {
            facts.tally = try Patrols.tally(db, day: rules.calendar.day(of: now.wall))
            facts.patrolsThisMonth = try Patrols.completedCount(db, volunteerID: volunteer.id, month: rules.calendar.month(of: now.wall))
            if let selectedItem {
                facts.item = try itemFacts(selectedItem, volunteerID: volunteer.id, at: now)
                facts.freshRedemptionCode = try Redemptions.freshCode(db)
            }
            if redeemable {
                let rulebook = RedemptionRulebook(rules: rules)
                facts.redeemableItems = try Catalog.items(db).filter { item in
                    rulebook.check(volunteer: volunteer, item: try itemFacts(item, volunteerID: volunteer.id, at: now)) == nil
                }
            }
        }
        return facts
    }

    /// Applies the rule's effects. When a patrol opened, returns the patrol it made current
    /// (the group's, for one who joined the group patrol) and whose it is.
    public func apply(_ effects: [ScanEffect], at now: Instant) throws -> (unit: Int64, volunteer: Int64)? {
        var opened: (unit: Int64, volunteer: Int64)?
        for effect in effects {
            switch effect {
            case .openPatrol(let volunteerID, let opening):
                let id = try Patrols.insert(db, volunteerID: volunteerID, opening: opening, at: now, rules: rules)
                opened = (opening.joinedPatrolID ?? id, volunteerID)
            case .recordCheck(let patrolID, let checkpointID):
                try Patrols.recordCheck(db, patrolID: patrolID, checkpointID: checkpointID, at: now)
            case .closePatrol(let volunteerID, let closing):
                try Patrols.close(db, volunteerID: volunteerID, closing: closing, at: now)
            case .reportHazard(let checkpointID, let reporterID, let patrolID):
                try Hazards.report(db, checkpointID: checkpointID, reporterID: reporterID, patrolID: patrolID, at: now)
            case .redeem(let code, let itemID, let volunteerID, let cost):
                try Redemptions.issue(
                    db, code: code, itemID: itemID, volunteerID: volunteerID, cost: cost, at: now, calendar: rules.calendar)
            case .collect(let code):
                try Redemptions.collect(db, code: code, at: now)
            case .print(let slip):
                try PrintJobs.enqueue(db, slip: slip, at: now)
            }
        }
        return opened
    }

    /// Records the scan in the scan log and returns its sequence number.
    public func record(scanner: String, payload: String, reply: ScanReply, at now: Instant) throws -> Int64 {
        try Scans.record(
            db, scanner: scanner, payloadHash: credentials.payloadHash(payload), reply: reply, day: rules.calendar.localDay(of: now.wall),
            at: now)
    }

    private func volunteer(credential hash: String) throws -> Volunteer? {
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT v.* FROM badge b JOIN volunteer v ON v.id = b.volunteer_id
                WHERE b.credential_hash = ? AND b.revoked_at IS NULL
                """,
            arguments: [hash])
        return row.map(Volunteers.volunteer)
    }

    /// The volunteer whose card this is. A card registered before the station had its key
    /// is found by its old unkeyed hash once, and re-hashed under the key then.
    private func cardHolder(_ uid: String) throws -> Volunteer? {
        let keyed = credentials.hash(cardUID: uid)
        if let volunteer = try volunteer(credential: keyed) { return volunteer }
        let unkeyed = Credentials.unkeyedHash(cardUID: uid)
        guard let volunteer = try volunteer(credential: unkeyed) else { return nil }
        try db.execute(sql: "UPDATE badge SET credential_hash = ? WHERE credential_hash = ?", arguments: [keyed, unkeyed])
        return volunteer
    }

    private func itemFacts(_ id: String, volunteerID: Int64?, at now: Instant) throws -> RedemptionRulebook.ItemFacts? {
        try Catalog.item(db, id: id).map { try itemFacts($0, volunteerID: volunteerID, at: now) }
    }

    private func itemFacts(_ item: CatalogItem, volunteerID: Int64?, at now: Instant) throws -> RedemptionRulebook.ItemFacts {
        let redeemed = try volunteerID.map {
            try Redemptions.countThisMonth(db, volunteerID: $0, itemID: item.id, month: rules.calendar.month(of: now.wall))
        }
        return RedemptionRulebook.ItemFacts(item: item, redeemedThisMonth: redeemed ?? 0)
    }
}

extension Store {
    /// Runs `work` in one write transaction, committed with `synchronous=FULL` when it
    /// returns and rolled back when it throws: nothing of a scan is durable until all of it is.
    public func commitScan<Result>(rules: Rules, _ work: (ScanTransaction) throws -> Result) throws -> Result {
        try pool.write { db in try work(ScanTransaction(db: db, rules: rules, credentials: credentials)) }
    }
}

/// The scan log, and the count of each local day's scans by outcome that the district gets.
enum Scans {
    static func record(
        _ db: Database, scanner: String, payloadHash: String, reply: ScanReply, day: LocalDay, at now: Instant
    ) throws -> Int64 {
        try db.cachedStatement(
            sql: "INSERT INTO scan_day (day, outcome, count) VALUES (?, ?, 1) ON CONFLICT DO UPDATE SET count = count + 1"
        ).execute(arguments: [day.description, reply.outcome.rawValue])
        try db.cachedStatement(
            sql: """
                INSERT INTO scan (scanner, payload_hash, outcome, reason, at, mono, boot, clock_synced)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                scanner, payloadHash, reply.outcome.rawValue, reply.reason.rawValue, Timestamp.text(now.wall),
                Int64(now.monotonicNanoseconds), now.boot, now.synchronised,
            ])
        return db.lastInsertedRowID
    }
}
