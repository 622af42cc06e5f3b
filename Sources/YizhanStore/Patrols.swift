import Foundation
import GRDB
import YizhanCore
import YizhanWire

/// Patrols and their checkpoint coverage.
enum Patrols {
    static func open(_ db: Database) throws -> [OpenPatrol] {
        // Every scan reads these: cached statements skip SQLite's parser.
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql:
                    "SELECT p.*, v.name AS volunteer_name FROM patrol p JOIN volunteer v ON v.id = p.volunteer_id WHERE p.state = 'open' ORDER BY p.id"
            ))
        return try rows.map { row in
            let id: Int64 = row["id"]
            let checks = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM patrol_check WHERE patrol_id = ? ORDER BY mono"), arguments: [id]
            ).map { check in
                PatrolCheck(
                    checkpointID: check["checkpoint_id"],
                    at: Instant(
                        wall: check.date("at")!, monotonicNanoseconds: UInt64(check["mono"] as Int64), boot: check["boot"],
                        synchronised: true))
            }
            return OpenPatrol(
                id: id, volunteerID: row["volunteer_id"], kind: PatrolKind(rawValue: row["kind"])!,
                openedAt: Instant(
                    wall: row.date("opened_at")!, monotonicNanoseconds: UInt64(row["opened_mono"] as Int64), boot: row["opened_boot"],
                    synchronised: row["clock_synced"]),
                awardKey: row["claim_key"], checks: checks, joinedPatrolID: row["joined_patrol_id"], leader: row["leader"],
                volunteerName: row["volunteer_name"],
                noAwardReason: (row["no_award_reason"] as String?).flatMap(PatrolRulebook.NoAwardReason.init(rawValue:)))
        }
    }

    static func tally(_ db: Database, day: String) throws -> AwardTally {
        let keys = try String.fetchAll(db, sql: "SELECT award_key FROM patrol WHERE day = ? AND award_key IS NOT NULL", arguments: [day])
        let daily =
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM patrol WHERE day = ? AND kind = 'daily' AND award_key IS NOT NULL", arguments: [day]) ?? 0
        let claims =
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM patrol WHERE day = ? AND kind = 'daily' AND state = 'open' AND claim_key IS NOT NULL",
                arguments: [day]) ?? 0
        let onDuty = try Int64.fetchSet(db, sql: "SELECT volunteer_id FROM rota WHERE day = ?", arguments: [day])
        return AwardTally(takenKeys: Set(keys), dailyAwards: daily, openDailyClaims: claims, onDuty: onDuty.isEmpty ? nil : onDuty)
    }

    static func completedCount(_ db: Database, volunteerID: Int64, month: String) throws -> Int {
        try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM patrol WHERE volunteer_id = ? AND state = 'completed' AND substr(day, 1, 7) = ?",
            arguments: [volunteerID, month]) ?? 0
    }

    static func insert(_ db: Database, volunteerID: Int64, opening: PatrolRulebook.Opening, at now: Instant, rules: Rules) throws -> Int64 {
        let leader = try Volunteers.find(db, id: volunteerID).role == .leader
        try db.execute(
            sql: """
                INSERT INTO patrol (volunteer_id, kind, state, day, opened_at, opened_mono, opened_boot, clock_synced,
                                    claim_key, joined_patrol_id, leader, no_award_reason)
                VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                volunteerID, opening.kind.rawValue, rules.calendar.day(of: now.wall), Timestamp.text(now.wall),
                Int64(now.monotonicNanoseconds), now.boot, now.synchronised, opening.awardKey, opening.joinedPatrolID, leader,
                opening.noAwardReason?.rawValue,
            ])
        return db.lastInsertedRowID
    }

    static func recordCheck(_ db: Database, patrolID: Int64, checkpointID: String, at now: Instant) throws {
        try db.cachedStatement(sql: "INSERT INTO patrol_check (patrol_id, checkpoint_id, at, mono, boot) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [patrolID, checkpointID, Timestamp.text(now.wall), Int64(now.monotonicNanoseconds), now.boot])
    }

    /// Closes a patrol and posts its award. The award key is unique in the table, so a
    /// second award for the same volunteer, kind and day cannot be written.
    static func close(_ db: Database, volunteerID: Int64, closing: PatrolRulebook.Closing, at now: Instant) throws {
        let missing = String(decoding: try JSONEncoder().encode(closing.missing), as: UTF8.self)
        try db.execute(
            sql: """
                UPDATE patrol SET state = ?, closed_at = ?, points = ?, award_key = ?, missing = ?, flagged_fast = ?,
                    no_award_reason = COALESCE(?, no_award_reason)
                WHERE id = ? AND state = 'open'
                """,
            arguments: [
                closing.state.rawValue, Timestamp.text(now.wall), closing.points, closing.awardKey, missing, closing.flaggedFast,
                closing.noAwardReason?.rawValue, closing.patrolID,
            ])
        guard db.changesCount == 1 else { throw YizhanError(.conflict, "patrol \(closing.patrolID) is not open") }
        if closing.points > 0 {
            try Ledger.post(
                db, volunteerID: volunteerID, delta: closing.points, kind: .patrolAward, source: LedgerSource.patrol(closing.patrolID),
                at: now)
        }
    }

    static func record(_ db: Database, _ row: Row) throws -> PatrolRecord {
        let id: Int64 = row["id"]
        let checkpoints = try String.fetchAll(
            db, sql: "SELECT checkpoint_id FROM patrol_check WHERE patrol_id = ? ORDER BY mono", arguments: [id])
        let missing = (try? JSONDecoder().decode([String].self, from: Data((row["missing"] as String).utf8))) ?? []
        return PatrolRecord(
            id: id, volunteerID: row["volunteer_id"], kind: PatrolKind(rawValue: row["kind"])!, state: PatrolState(rawValue: row["state"])!,
            openedAt: row.date("opened_at")!, closedAt: row.date("closed_at"), points: row["points"], missing: missing,
            checkpoints: checkpoints, flaggedFast: row["flagged_fast"], clockSynced: row["clock_synced"],
            noAwardReason: (row["no_award_reason"] as String?).flatMap(PatrolRulebook.NoAwardReason.init(rawValue:)),
            joinedPatrolID: row["joined_patrol_id"])
    }
}

extension Patrols {
    /// Closes as expired, with no points, every patrol of `open` past its maximum duration
    /// or its day, and the members of a group patrol that expired; returns those closed and
    /// those still open.
    static func expire(_ db: Database, open: [OpenPatrol], rulebook: PatrolRulebook, at now: Instant) throws -> (
        expired: [Int64], open: [OpenPatrol]
    ) {
        var expired = open.filter { rulebook.hasExpired($0, at: now) }.map(\.id)
        expired += open.filter { member in
            !expired.contains(member.id) && member.joinedPatrolID.map(expired.contains) == true
        }.map(\.id)
        for id in expired {
            try db.execute(
                sql: "UPDATE patrol SET state = 'expired', closed_at = ?, points = 0 WHERE id = ? AND state = 'open'",
                arguments: [Timestamp.text(now.wall), id])
        }
        return (expired, open.filter { !expired.contains($0.id) })
    }
}

extension Store {
    /// Closes as expired every open patrol past its maximum duration or its day (the timer's
    /// work; a scan does the same inside its own transaction).
    public func expirePatrols(rulebook: PatrolRulebook, at now: Instant) throws -> [Int64] {
        try pool.write { db in try Patrols.expire(db, open: try Patrols.open(db), rulebook: rulebook, at: now).expired }
    }

    /// The open patrols, for the expiry timer.
    public func openPatrols() throws -> [OpenPatrol] {
        try pool.read { try Patrols.open($0) }
    }

    /// Patrols, newest first, optionally of one volunteer or in one state.
    public func patrols(volunteerID: Int64? = nil, state: PatrolState? = nil, before: Int64 = .max, limit: Int = 100) throws -> Page<
        PatrolRecord
    > {
        try pool.read { db in
            try Page.read(
                db,
                sql: """
                    SELECT * FROM patrol WHERE id < ? AND (? IS NULL OR volunteer_id = ?) AND (? IS NULL OR state = ?)
                    ORDER BY id DESC LIMIT ?
                    """,
                arguments: [before, volunteerID, volunteerID, state?.rawValue, state?.rawValue], limit: limit
            ) { try Patrols.record(db, $0) }
        }
    }

    /// Voids a patrol (the manager's call, e.g. a flagged fast patrol): its award is reversed.
    public func voidPatrol(_ id: Int64, note: String?, by actor: String? = nil, at now: Instant) throws -> PatrolRecord {
        try pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM patrol WHERE id = ?", arguments: [id]) else {
                throw YizhanError(.notFound, "no patrol \(id)")
            }
            guard PatrolState(rawValue: row["state"])!.canBeVoided else {
                throw YizhanError(.invalidTransition, "patrol \(id) is already voided")
            }
            try Ledger.reverse(
                db, kind: .patrolAward, source: LedgerSource.patrol(id), note: note ?? "patrol voided", actor: actor, at: now)
            // Its points were reversed: the patrol no longer shows them.
            try db.execute(
                sql: "UPDATE patrol SET state = 'voided', points = 0, closed_at = COALESCE(closed_at, ?) WHERE id = ?",
                arguments: [Timestamp.text(now.wall), id])
            try Changes.record(db, actor: actor, action: "patrol.void", subject: "patrol \(id)", at: now)
            return try Patrols.record(db, try Row.fetchOne(db, sql: "SELECT * FROM patrol WHERE id = ?", arguments: [id])!)
        }
    }
}
