import Foundation
import GRDB
import YizhanCore
import YizhanWire

/// Hazard reports and their path to rectification.
enum Hazards {
    static func report(_ db: Database, checkpointID: String, reporterID: Int64, patrolID: Int64, at now: Instant) throws {
        let time = Timestamp.text(now.wall)
        try db.execute(
            sql: """
                INSERT INTO hazard (checkpoint_id, reporter_id, patrol_id, state, reported_at, updated_at)
                VALUES (?, ?, ?, 'reported', ?, ?)
                """,
            arguments: [checkpointID, reporterID, patrolID, time, time])
    }

    static func record(_ row: Row) -> HazardRecord {
        HazardRecord(
            id: row["id"], checkpointID: row["checkpoint_id"], reporterID: row["reporter_id"], patrolID: row["patrol_id"],
            state: HazardState(rawValue: row["state"])!, description: row["description"], deadline: row["deadline"],
            reportedAt: row.date("reported_at")!, updatedAt: row.date("updated_at")!)
    }

    /// Hazards still being put right whose deadline has passed (before `today`); with
    /// `unannounced`, only those not announced yet.
    static func overdue(_ db: Database, today: LocalDay, unannounced: Bool = false) throws -> [OverdueHazard] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT id, checkpoint_id, deadline FROM hazard
                WHERE state IN ('rectifying', 'reopened') AND deadline IS NOT NULL AND deadline < ?
                    AND (? = 0 OR overdue_announced_at IS NULL)
                ORDER BY deadline, id
                """,
            arguments: [today.description, unannounced]
        ).map { OverdueHazard(id: $0["id"], checkpointID: $0["checkpoint_id"], deadline: $0["deadline"]) }
    }

    static func find(_ db: Database, id: Int64) throws -> Row {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM hazard WHERE id = ?", arguments: [id]) else {
            throw YizhanError(.notFound, "no hazard \(id)")
        }
        return row
    }
}

extension Store {
    /// Hazards, newest first, optionally in one state.
    public func hazards(state: HazardState? = nil, before: Int64 = .max, limit: Int = 100) throws -> Page<HazardRecord> {
        try pool.read { db in
            try Page.read(
                db, sql: "SELECT * FROM hazard WHERE id < ? AND (? IS NULL OR state = ?) ORDER BY id DESC LIMIT ?",
                arguments: [before, state?.rawValue, state?.rawValue], limit: limit, item: Hazards.record)
        }
    }

    /// Hazards past their deadline that were not announced yet, marked announced now: the
    /// event stream hears of each once.
    public func announceOverdueHazards(today: LocalDay, at now: Instant) throws -> [OverdueHazard] {
        try pool.write { db in
            let fresh = try Hazards.overdue(db, today: today, unannounced: true)
            for hazard in fresh {
                try db.execute(
                    sql: "UPDATE hazard SET overdue_announced_at = ? WHERE id = ?", arguments: [Timestamp.text(now.wall), hazard.id])
            }
            return fresh
        }
    }

    /// Hazards past their rectification deadline.
    public func overdueHazards(today: LocalDay) throws -> [OverdueHazard] {
        try pool.read { try Hazards.overdue($0, today: today) }
    }

    /// One hazard.
    public func hazard(_ id: Int64) throws -> HazardRecord {
        try pool.read { Hazards.record(try Hazards.find($0, id: id)) }
    }

    /// Adds or replaces a hazard's description (a volunteer tells the manager what they saw).
    public func describeHazard(_ id: Int64, description: String, by actor: String? = nil, at now: Instant) throws -> HazardRecord {
        try pool.write { db in
            _ = try Hazards.find(db, id: id)
            try db.execute(
                sql: "UPDATE hazard SET description = ?, updated_at = ? WHERE id = ?",
                arguments: [description, Timestamp.text(now.wall), id])
            try Changes.record(db, actor: actor, action: "hazard.describe", subject: "hazard \(id)", at: now)
            return Hazards.record(try Hazards.find(db, id: id))
        }
    }

    /// Moves a hazard along its path. Confirmation posts the reporter's bonus once; the
    /// rectification notice is queued for printing. `actor` is the local user on the admin
    /// socket; `actorID` the volunteer they say they are, if they also patrol.
    public func transitionHazard(
        _ id: Int64, to target: HazardState, note: String?, deadline: LocalDay?, actorID: Int64?, by actor: String? = nil,
        rulebook: HazardRulebook, slips: SlipBuilder, at now: Instant
    ) throws -> HazardRecord {
        try pool.write { db in
            let row = try Hazards.find(db, id: id)
            let reporter = try Volunteers.find(db, id: row["reporter_id"])
            let facts = HazardRulebook.Facts(
                id: id, state: HazardState(rawValue: row["state"])!, reporterID: reporter.id, reporterLogin: reporter.login,
                rectifiedAt: row.date("rectified_at").map { Instant(wall: $0, monotonicNanoseconds: 0, boot: "", synchronised: true) })
            let transition = try rulebook.transition(facts, to: target, actorID: actorID, actor: actor, at: now)
            let time = Timestamp.text(now.wall)
            // A new deadline may be announced overdue again when it passes.
            try db.execute(
                sql: """
                    UPDATE hazard SET state = ?, updated_at = ?, deadline = COALESCE(?, deadline),
                        rectified_at = CASE WHEN ? = 'rectified' THEN ? ELSE rectified_at END,
                        overdue_announced_at = CASE WHEN ? IS NULL THEN overdue_announced_at END
                    WHERE id = ?
                    """,
                arguments: [target.rawValue, time, deadline?.description, target.rawValue, time, deadline?.description, id])
            try db.execute(
                sql: """
                    INSERT INTO hazard_transition (hazard_id, from_state, to_state, note, actor_id, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [id, transition.from.rawValue, target.rawValue, note, actorID, actor, time])
            try Changes.record(db, actor: actor, action: "hazard.\(target.rawValue)", subject: "hazard \(id)", at: now)
            if let bonus = transition.bonus, bonus > 0 {
                try Ledger.post(
                    db, volunteerID: facts.reporterID, delta: bonus, kind: .hazardBonus, source: LedgerSource.hazard(id), at: now)
            }
            let record = Hazards.record(try Hazards.find(db, id: id))
            if transition.printsNotice {
                let slip = slips.hazardNotice(
                    hazardID: id, checkpointID: record.checkpointID, description: record.description, deadline: record.deadline, at: now)
                try PrintJobs.enqueue(db, slip: slip, at: now)
            }
            return record
        }
    }
}
