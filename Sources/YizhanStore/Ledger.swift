import GRDB
import YizhanCore

/// Posting to the append-only ledger. Every change of a balance goes through `post`, which
/// inserts the entry and updates the cached balance and earned total in the caller's
/// transaction, so the cache can never drift from the entries.
enum Ledger {
    /// The largest change one entry may make, and the largest balance or lifetime total a
    /// volunteer may reach: far beyond any real station (a patrol pays 2 to 4), and far
    /// below where the sums could overflow.
    static let maximumDelta = 100_000
    static let maximumTotal = 100_000_000

    /// Posts one entry and returns its id. Throws `conflict` when `(kind, source)` was
    /// posted before, `negativeBalance` when the balance would drop below zero.
    @discardableResult
    static func post(
        _ db: Database, volunteerID: Int64, delta: Int, kind: LedgerKind, source: String, reverses: Int64? = nil,
        note: String? = nil, actor: String? = nil, at now: Instant
    ) throws -> Int64 {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT CAST(balance AS INTEGER) AS balance, CAST(earned AS INTEGER) AS earned FROM volunteer WHERE id = ?",
                arguments: [volunteerID])
        else {
            throw YizhanError(.notFound, "no volunteer \(volunteerID)")
        }
        let balance: Int = row["balance"]
        let earned: Int = row["earned"]
        guard abs(delta) <= maximumDelta else {
            throw YizhanError(.invalidRequest, "an entry changes a balance by at most \(maximumDelta) points")
        }
        // |delta| is bounded, so only a positive delta on a total near Int.max (written before
        // these bounds) can overflow; that is reported below, not trapped.
        guard delta > 0 || balance + delta >= 0 else {
            throw YizhanError(.negativeBalance, "balance \(balance) cannot take \(delta)")
        }
        var earnedDelta = kind.earns ? delta : 0
        if kind == .reversal, let reverses,
            let reversedKind = try String.fetchOne(db, sql: "SELECT kind FROM ledger_entry WHERE id = ?", arguments: [reverses]),
            LedgerKind(rawValue: reversedKind)?.earns == true
        {
            earnedDelta = delta
        }
        // Reported, not trapped: a database written before these bounds may hold anything.
        let newBalance = balance.addingReportingOverflow(delta)
        let newEarned = earned.addingReportingOverflow(earnedDelta)
        guard !newBalance.overflow, !newEarned.overflow, newBalance.partialValue <= maximumTotal, newEarned.partialValue <= maximumTotal
        else {
            throw YizhanError(.invalidRequest, "a balance or lifetime total cannot pass \(maximumTotal) points")
        }
        do {
            try db.execute(
                sql: """
                    INSERT INTO ledger_entry (volunteer_id, delta, kind, source, reverses_id, note, actor, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [volunteerID, delta, kind.rawValue, source, reverses, note, actor, Timestamp.text(now.wall)])
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw YizhanError(.conflict, "ledger entry \(kind.rawValue) \(source) is already posted")
        }
        let id = db.lastInsertedRowID
        try db.execute(
            sql: "UPDATE volunteer SET balance = balance + ?, earned = earned + ? WHERE id = ?",
            arguments: [delta, earnedDelta, volunteerID])
        return id
    }

    /// Reverses the entry posted as `(kind, source)`, if there is one and it is not
    /// reversed yet; returns the reversal's id.
    @discardableResult
    static func reverse(_ db: Database, kind: LedgerKind, source: String, note: String?, actor: String?, at now: Instant) throws
        -> Int64?
    {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT id, volunteer_id, delta FROM ledger_entry WHERE kind = ? AND source = ?",
                arguments: [kind.rawValue, source])
        else { return nil }
        let entryID: Int64 = row["id"]
        return try post(
            db, volunteerID: row["volunteer_id"], delta: -(row["delta"] as Int), kind: .reversal,
            source: LedgerSource.reversal(of: entryID), reverses: entryID, note: note, actor: actor, at: now)
    }
}
