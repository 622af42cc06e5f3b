import Foundation
import GRDB
import YizhanCore
import YizhanWire

/// Redemptions: issued against points, collected at the kiosk, or cancelled by the manager.
enum Redemptions {
    /// Crockford's base 32: no I, L, O or U, so a code read aloud or typed is not misread.
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    static func freshCode(_ db: Database) throws -> String {
        var generator = SystemRandomNumberGenerator()
        while true {
            let code = String((0..<10).map { _ in alphabet.randomElement(using: &generator)! })
            if try !exists(db, code: code) { return code }
        }
    }

    static func exists(_ db: Database, code: String) throws -> Bool {
        try Int.fetchOne(db, sql: "SELECT 1 FROM redemption WHERE code = ?", arguments: [code]) != nil
    }

    static func facts(_ db: Database, code: String) throws -> RedemptionFacts? {
        try Row.fetchOne(
            db, sql: "SELECT r.code, r.state, c.name FROM redemption r JOIN catalog_item c ON c.id = r.item_id WHERE r.code = ?",
            arguments: [code]
        ).map { RedemptionFacts(code: $0["code"], state: RedemptionState(rawValue: $0["state"])!, itemName: $0["name"]) }
    }

    static func countThisMonth(_ db: Database, volunteerID: Int64, itemID: String, month: String) throws -> Int {
        try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM redemption WHERE volunteer_id = ? AND item_id = ? AND month = ? AND state <> 'cancelled'",
            arguments: [volunteerID, itemID, month]) ?? 0
    }

    /// Debits the points, takes one from stock and creates the redemption, all or nothing.
    static func issue(
        _ db: Database, code: String, itemID: String, volunteerID: Int64, cost: Int, at now: Instant, calendar: StationCalendar
    ) throws {
        try db.execute(sql: "UPDATE catalog_item SET stock = stock - 1 WHERE id = ? AND stock > 0", arguments: [itemID])
        guard db.changesCount == 1 else { throw YizhanError(.conflict, "\(itemID) is out of stock") }
        try db.execute(
            sql: "INSERT INTO redemption (code, item_id, volunteer_id, cost, state, month, created_at) VALUES (?, ?, ?, ?, 'issued', ?, ?)",
            arguments: [code, itemID, volunteerID, cost, calendar.month(of: now.wall), Timestamp.text(now.wall)])
        try Ledger.post(db, volunteerID: volunteerID, delta: -cost, kind: .redemption, source: LedgerSource.redemption(code), at: now)
    }

    static func collect(_ db: Database, code: String, at now: Instant) throws {
        try db.execute(
            sql: "UPDATE redemption SET state = 'collected', collected_at = ? WHERE code = ? AND state = 'issued'",
            arguments: [Timestamp.text(now.wall), code])
        guard db.changesCount == 1 else {
            let state = try String.fetchOne(db, sql: "SELECT state FROM redemption WHERE code = ?", arguments: [code])
            if state == RedemptionState.cancelled.rawValue {
                throw YizhanError(.redemptionCancelled, "redemption \(code) was cancelled: its points went back, nothing is handed out")
            }
            throw YizhanError(.alreadyCollected, "redemption \(code) is already collected")
        }
    }

    static func record(_ row: Row) -> RedemptionRecord {
        RedemptionRecord(
            code: row["code"], itemID: row["item_id"], volunteerID: row["volunteer_id"], cost: row["cost"],
            state: RedemptionState(rawValue: row["state"])!, createdAt: row.date("created_at")!, collectedAt: row.date("collected_at"),
            cancelledAt: row.date("cancelled_at"))
    }

    static func find(_ db: Database, code: String) throws -> RedemptionRecord {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM redemption WHERE code = ?", arguments: [code]) else {
            throw YizhanError(.notFound, "no redemption \(code)")
        }
        return record(row)
    }
}

extension Store {
    /// Redemptions, newest first, optionally of one volunteer or in one state. Their order,
    /// and the page cursor, is the order they were made in (the row's own number): a code is
    /// random, and the wall clock of a board without a clock can go back.
    public func redemptions(
        volunteerID: Int64? = nil, state: RedemptionState? = nil, before: Int64 = .max, limit: Int = 100
    ) throws -> Page<RedemptionRecord> {
        try pool.read { db in
            try Page.read(
                db,
                sql: """
                    SELECT rowid AS position, * FROM redemption
                    WHERE rowid < ? AND (? IS NULL OR volunteer_id = ?) AND (? IS NULL OR state = ?)
                    ORDER BY rowid DESC LIMIT ?
                    """,
                arguments: [before, volunteerID, volunteerID, state?.rawValue, state?.rawValue], limit: limit, key: "position",
                item: Redemptions.record)
        }
    }

    /// Marks a redemption collected, as scanning its slip at the kiosk does.
    public func collectRedemption(_ code: String, by actor: String? = nil, at now: Instant) throws -> RedemptionRecord {
        try pool.write { db in
            _ = try Redemptions.find(db, code: code)
            try Redemptions.collect(db, code: code, at: now)
            try Changes.record(db, actor: actor, action: "redemption.collect", subject: "redemption \(code)", at: now)
            return try Redemptions.find(db, code: code)
        }
    }

    /// Cancels an uncollected redemption: the points come back as a reversal entry and the
    /// stock is restored, in one transaction.
    public func cancelRedemption(_ code: String, note: String?, by actor: String? = nil, at now: Instant) throws -> RedemptionRecord {
        try pool.write { db in
            let redemption = try Redemptions.find(db, code: code)
            guard redemption.state == .issued else {
                throw YizhanError(.invalidTransition, "a \(redemption.state.rawValue) redemption cannot be cancelled")
            }
            try db.execute(
                sql: "UPDATE redemption SET state = 'cancelled', cancelled_at = ? WHERE code = ?",
                arguments: [Timestamp.text(now.wall), code])
            try db.execute(sql: "UPDATE catalog_item SET stock = stock + 1 WHERE id = ?", arguments: [redemption.itemID])
            try Ledger.reverse(
                db, kind: .redemption, source: LedgerSource.redemption(code), note: note ?? "redemption cancelled", actor: actor, at: now)
            try Changes.record(db, actor: actor, action: "redemption.cancel", subject: "redemption \(code)", at: now)
            return try Redemptions.find(db, code: code)
        }
    }
}
