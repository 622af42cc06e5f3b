import Foundation
import GRDB
import YizhanCore
import YizhanWire

extension Store {
    /// A volunteer's ledger, newest first.
    public func ledger(volunteerID: Int64, before: Int64 = .max, limit: Int = 100) throws -> Page<LedgerRecord> {
        try pool.read { db in
            _ = try Volunteers.find(db, id: volunteerID)
            return try Page.read(
                db, sql: "SELECT * FROM ledger_entry WHERE volunteer_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
                arguments: [volunteerID, before], limit: limit, item: Self.ledgerRecord)
        }
    }

    /// Posts a manual adjustment. Each adjustment has its own source, so the manager can
    /// make several. A request with an `Idempotency-Key` posts under its key, in the same
    /// transaction as the entry: a retry finds the entry its first attempt made even when
    /// the daemon died before it could reply.
    public func adjust(
        volunteerID: Int64, delta: Int, note: String, idempotencyKey: String? = nil, by actor: String? = nil, at now: Instant
    ) throws -> LedgerRecord {
        guard delta != 0 else { throw YizhanError(.invalidRequest, "an adjustment must change the balance") }
        return try pool.write { db in
            let keyed = idempotencyKey.map { "adjustment:key:" + $0 }
            if let keyed,
                let earlier = try Row.fetchOne(
                    db, sql: "SELECT * FROM ledger_entry WHERE kind = 'adjustment' AND source = ?", arguments: [keyed])
            {
                return Self.ledgerRecord(earlier)
            }
            let next = (try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) + 1 FROM ledger_entry")) ?? 1
            let id = try Ledger.post(
                db, volunteerID: volunteerID, delta: delta, kind: .adjustment, source: keyed ?? "adjustment:\(next)", note: note,
                actor: actor, at: now)
            try Changes.record(db, actor: actor, action: "ledger.adjust", subject: "volunteer \(volunteerID) \(delta)", at: now)
            return Self.ledgerRecord(try Row.fetchOne(db, sql: "SELECT * FROM ledger_entry WHERE id = ?", arguments: [id])!)
        }
    }

    /// Posts one entry directly; for tests and tools that exercise the ledger's guarantees.
    public func post(volunteerID: Int64, delta: Int, kind: LedgerKind, source: String, at now: Instant) throws -> Int64 {
        try pool.write { db in
            try Ledger.post(db, volunteerID: volunteerID, delta: delta, kind: kind, source: source, at: now)
        }
    }

    /// Recomputes every balance and earned total from the entries and compares them with
    /// the cached figures.
    public func verifyLedger() throws -> LedgerVerification {
        try pool.read { try Self.verifyLedger($0, repair: false) }
    }

    /// Verifies the ledger and rewrites the cached figures that disagree from the entries,
    /// recording who did it.
    public func repairLedger(by actor: String? = nil, at now: Instant) throws -> LedgerVerification {
        try pool.write { db in
            let verification = try Self.verifyLedger(db, repair: true)
            if verification.repaired {
                let volunteers = verification.mismatches.map { String($0.volunteerID) }.joined(separator: ",")
                try Changes.record(db, actor: actor, action: "ledger.repair", subject: "balances of volunteers [\(volunteers)]", at: now)
            }
            return verification
        }
    }

    private static func verifyLedger(_ db: Database, repair: Bool) throws -> LedgerVerification {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT v.id, v.balance, v.earned,
                    COALESCE(SUM(e.delta), 0) AS ledger_balance,
                    COALESCE(SUM(CASE WHEN e.kind IN ('patrol_award', 'hazard_bonus')
                                        OR (e.kind = 'reversal' AND r.kind IN ('patrol_award', 'hazard_bonus'))
                                      THEN e.delta ELSE 0 END), 0) AS ledger_earned
                FROM volunteer v
                LEFT JOIN ledger_entry e ON e.volunteer_id = v.id
                LEFT JOIN ledger_entry r ON r.id = e.reverses_id
                GROUP BY v.id ORDER BY v.id
                """)
        let mismatches = rows.compactMap { row -> LedgerVerification.Mismatch? in
            let mismatch = LedgerVerification.Mismatch(
                volunteerID: row["id"], cachedBalance: row["balance"], ledgerBalance: row["ledger_balance"],
                cachedEarned: row["earned"], ledgerEarned: row["ledger_earned"])
            let agrees = mismatch.cachedBalance == mismatch.ledgerBalance && mismatch.cachedEarned == mismatch.ledgerEarned
            return agrees ? nil : mismatch
        }
        if repair {
            for mismatch in mismatches {
                try db.execute(
                    sql: "UPDATE volunteer SET balance = ?, earned = ? WHERE id = ?",
                    arguments: [mismatch.ledgerBalance, mismatch.ledgerEarned, mismatch.volunteerID])
            }
        }
        let entries = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_entry") ?? 0
        return LedgerVerification(
            volunteers: rows.count, entries: entries, mismatches: mismatches, repaired: repair && !mismatches.isEmpty)
    }

    /// Scans from the log, newest first, from `before` (a sequence number).
    public func scans(before: Int64 = .max, limit: Int = 100) throws -> Page<ScanRecord> {
        try pool.read { db in
            try Page.read(
                db, sql: "SELECT * FROM scan WHERE seq < ? ORDER BY seq DESC LIMIT ?", arguments: [before], limit: limit, key: "seq"
            ) { row in
                ScanRecord(
                    seq: row["seq"], scanner: row["scanner"], outcome: ScanOutcome(rawValue: row["outcome"])!, reason: row["reason"],
                    at: row.date("at")!, clockSynced: row["clock_synced"])
            }
        }
    }

    static func ledgerRecord(_ row: Row) -> LedgerRecord {
        LedgerRecord(
            id: row["id"], volunteerID: row["volunteer_id"], delta: row["delta"], kind: LedgerKind(rawValue: row["kind"])!,
            source: row["source"], reverses: row["reverses_id"], note: row["note"], actor: row["actor"], createdAt: row.date("created_at")!)
    }
}
