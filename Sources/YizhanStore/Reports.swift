import Foundation
import GRDB
import YizhanCore
import YizhanWire

extension Store {
    /// Figures for the local days `from` through `to`, both included; the rota's cover is
    /// reported for the days up to `today`.
    public func summary(from first: LocalDay, to last: LocalDay, today: LocalDay, calendar: StationCalendar) throws -> StationSummary {
        guard first <= last else { throw YizhanError(.invalidRequest, "from \(first) comes after to \(last)") }
        guard first.year >= last.year - 10 else { throw YizhanError(.invalidRequest, "a report covers at most ten years") }
        let (from, to) = (first.description, last.description)
        let lower = Timestamp.text(calendar.start(of: first))
        let upper = Timestamp.text(calendar.start(of: last.next))
        return try pool.read { db in
            var summary = StationSummary(from: from, to: to)
            try Reports.cover(db, into: &summary, days: first.through(min(last, today)), today: today)
            summary.overdueHazards = try Hazards.overdue(db, today: today)
            for row in try Row.fetchAll(
                db,
                sql:
                    "SELECT state, kind, COUNT(*) AS n, SUM(flagged_fast) AS fast FROM patrol WHERE day BETWEEN ? AND ? GROUP BY state, kind",
                arguments: [from, to])
            {
                summary.patrols.add(state: row["state"], kind: row["kind"], count: row["n"], flaggedFast: row["fast"] ?? 0)
            }
            summary.hazards.reported =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM hazard WHERE reported_at >= ? AND reported_at < ?", arguments: [lower, upper]) ?? 0
            for row in try Row.fetchAll(
                db, sql: "SELECT to_state, COUNT(*) AS n FROM hazard_transition WHERE at >= ? AND at < ? GROUP BY to_state",
                arguments: [lower, upper])
            {
                summary.hazards.add(state: row["to_state"], count: row["n"])
            }
            summary.redemptions.issued =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM redemption WHERE created_at >= ? AND created_at < ?", arguments: [lower, upper]) ?? 0
            summary.redemptions.collected =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM redemption WHERE collected_at >= ? AND collected_at < ?", arguments: [lower, upper])
                ?? 0
            summary.redemptions.cancelled =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM redemption WHERE cancelled_at >= ? AND cancelled_at < ?", arguments: [lower, upper])
                ?? 0
            let points = try Row.fetchOne(
                db,
                sql: """
                    SELECT
                        COALESCE(SUM(CASE WHEN e.kind IN ('patrol_award', 'hazard_bonus')
                                           OR (e.kind = 'reversal' AND r.kind IN ('patrol_award', 'hazard_bonus')) THEN e.delta END), 0) AS earned,
                        COALESCE(-SUM(CASE WHEN e.kind = 'redemption'
                                            OR (e.kind = 'reversal' AND r.kind = 'redemption') THEN e.delta END), 0) AS redeemed
                    FROM ledger_entry e LEFT JOIN ledger_entry r ON r.id = e.reverses_id
                    WHERE e.created_at >= ? AND e.created_at < ?
                    """,
                arguments: [lower, upper])!
            summary.pointsEarned = points["earned"]
            summary.pointsRedeemed = points["redeemed"]
            summary.activeVolunteers =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(DISTINCT volunteer_id) FROM patrol WHERE state = 'completed' AND day BETWEEN ? AND ?",
                    arguments: [from, to]) ?? 0
            return summary
        }
    }

    /// The rows of an export after the one whose id is `after`, at most `limit`, as CSV
    /// cells (times in the station's zone), with the id to go on from when more follow: an
    /// export is read a part at a time, so that the whole of it is never held.
    public func export(_ table: ExportTable, after: Int64 = 0, limit: Int, calendar: StationCalendar) throws -> Page<[String]> {
        let (sql, columns, times) = Self.exportQuery(table)
        return try pool.read { db in
            try Page.read(db, sql: sql, arguments: [after], limit: limit) { row in
                columns.map { column in
                    if times.contains(column) { return row.date(column).map(calendar.rfc3339) ?? "" }
                    let value: DatabaseValue = row[column]
                    return value.isNull ? "" : String.fromDatabaseValue(value) ?? Int64.fromDatabaseValue(value).map(String.init) ?? ""
                }
            }
        }
    }

    /// An export's columns, its CSV header.
    public static func exportColumns(_ table: ExportTable) -> [String] {
        exportQuery(table).columns
    }

    /// An export's statement (rows after an id, in id order, up to a count), its columns,
    /// and which of them are times.
    private static func exportQuery(_ table: ExportTable) -> (sql: String, columns: [String], times: Set<String>) {
        switch table {
        // Names beside ids: the sheet is read by people, who know volunteers by name.
        case .ledger:
            (
                "SELECT e.*, v.name AS volunteer_name FROM ledger_entry e JOIN volunteer v ON v.id = e.volunteer_id WHERE e.id > ? ORDER BY e.id LIMIT ?",
                ["id", "volunteer_id", "volunteer_name", "delta", "kind", "source", "reverses_id", "note", "actor", "created_at"],
                ["created_at"]
            )
        case .patrols:
            (
                "SELECT p.*, v.name AS volunteer_name FROM patrol p JOIN volunteer v ON v.id = p.volunteer_id WHERE p.id > ? ORDER BY p.id LIMIT ?",
                [
                    "id", "volunteer_id", "volunteer_name", "kind", "state", "day", "opened_at", "closed_at", "points", "missing",
                    "flagged_fast", "no_award_reason", "joined_patrol_id", "clock_synced",
                ],
                ["opened_at", "closed_at"]
            )
        case .hazards:
            (
                "SELECT h.*, v.name AS reporter_name FROM hazard h JOIN volunteer v ON v.id = h.reporter_id WHERE h.id > ? ORDER BY h.id LIMIT ?",
                [
                    "id", "checkpoint_id", "reporter_id", "reporter_name", "patrol_id", "state", "description", "deadline",
                    "reported_at", "updated_at",
                ],
                ["reported_at", "updated_at"]
            )
        case .volunteers:
            (
                "SELECT * FROM volunteer WHERE id > ? ORDER BY id LIMIT ?",
                ["id", "name", "role", "phone", "active", "balance", "earned", "created_at"],
                ["created_at"]
            )
        }
    }
}

enum Reports {
    /// The rota's days and the days without a completed daily patrol, with duty kept and missed.
    static func cover(_ db: Database, into summary: inout StationSummary, days: [LocalDay], today: LocalDay) throws {
        guard let first = days.first, let last = days.last else { return }
        let rota = try Rota.days(db, from: first, to: last)
        let patrolled = try Row.fetchAll(
            db,
            sql: "SELECT DISTINCT day, volunteer_id FROM patrol WHERE kind = 'daily' AND state = 'completed' AND day BETWEEN ? AND ?",
            arguments: [first.description, last.description]
        ).map { (day: $0["day"] as String, volunteer: $0["volunteer_id"] as Int64) }
        let coveredDays = Set(patrolled.map(\.day))
        let kept = Set(patrolled.map { "\($0.day)/\($0.volunteer)" })
        for day in days.map(\.description) {
            let duty = rota.first { $0.day == day }?.volunteers ?? []
            let onDuty = duty.map { StationSummary.DutyDay.OnDuty(id: $0.id, name: $0.name, kept: kept.contains("\(day)/\($0.id)")) }
            if !onDuty.isEmpty {
                summary.rota.append(StationSummary.DutyDay(day: day, onDuty: onDuty))
                summary.dutyKept += onDuty.filter(\.kept).count
                if day < today.description { summary.dutyMissed += onDuty.filter { !$0.kept }.count }
            }
            if !coveredDays.contains(day) { summary.uncoveredDays.append(StationSummary.DutyDay(day: day, onDuty: onDuty)) }
        }
    }
}
