import Foundation
import GRDB
import YizhanCore

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
            let items = try Row.fetchAll(
                db, sql: "SELECT * FROM hazard WHERE id < ? AND (? IS NULL OR state = ?) ORDER BY id DESC LIMIT ?",
                arguments: [before, state?.rawValue, state?.rawValue, limit]
            ).map(Hazards.record)
            return Page(items: items, next: items.count == limit ? items.last.map { String($0.id) } : nil)
        }
    }

    /// One hazard.
    public func hazard(_ id: Int64) throws -> HazardRecord {
        try pool.read { Hazards.record(try Hazards.find($0, id: id)) }
    }

    /// Adds or replaces a hazard's description (a volunteer tells the manager what they saw).
    public func describeHazard(_ id: Int64, description: String, at now: Instant) throws -> HazardRecord {
        try pool.write { db in
            _ = try Hazards.find(db, id: id)
            try db.execute(
                sql: "UPDATE hazard SET description = ?, updated_at = ? WHERE id = ?",
                arguments: [description, Timestamp.text(now.wall), id])
            return Hazards.record(try Hazards.find(db, id: id))
        }
    }

    /// Moves a hazard along its path. Confirmation posts the reporter's bonus once; the
    /// rectification notice is queued for printing.
    public func transitionHazard(
        _ id: Int64, to target: HazardState, note: String?, deadline: String?, actorID: Int64?, rulebook: HazardRulebook,
        slips: SlipBuilder, at now: Instant
    ) throws -> HazardRecord {
        try pool.write { db in
            let row = try Hazards.find(db, id: id)
            let facts = HazardRulebook.Facts(
                id: id, state: HazardState(rawValue: row["state"])!, reporterID: row["reporter_id"],
                rectifiedAt: row.date("rectified_at").map { Instant(wall: $0, monotonicNanoseconds: 0, boot: "", synchronised: true) })
            let transition = try rulebook.transition(facts, to: target, actorID: actorID, at: now)
            let time = Timestamp.text(now.wall)
            try db.execute(
                sql: """
                    UPDATE hazard SET state = ?, updated_at = ?, deadline = COALESCE(?, deadline),
                        rectified_at = CASE WHEN ? = 'rectified' THEN ? ELSE rectified_at END
                    WHERE id = ?
                    """,
                arguments: [target.rawValue, time, deadline, target.rawValue, time, id])
            try db.execute(
                sql: "INSERT INTO hazard_transition (hazard_id, from_state, to_state, note, actor_id, at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [id, transition.from.rawValue, target.rawValue, note, actorID, time])
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
