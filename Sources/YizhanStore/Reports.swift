import Foundation
import GRDB
import YizhanCore

extension Store {
    /// Figures for the local days `from` through `to` (both `yyyy-MM-dd`, inclusive).
    public func summary(from: String, to: String, calendar: StationCalendar) throws -> StationSummary {
        guard let start = calendar.date(ofDay: from), let last = calendar.date(ofDay: to), start <= last else {
            throw YizhanError(.invalidRequest, "from and to must be days, yyyy-MM-dd, with from not after to")
        }
        let lower = Timestamp.text(start)
        let upper = Timestamp.text(calendar.endOfDay(last))
        return try pool.read { db in
            var summary = StationSummary(from: from, to: to)
            for row in try Row.fetchAll(
                db,
                sql:
                    "SELECT state, kind, COUNT(*) AS n, SUM(flagged_fast) AS fast FROM patrol WHERE day BETWEEN ? AND ? GROUP BY state, kind",
                arguments: [from, to])
            {
                let count: Int = row["n"]
                summary.patrols.flaggedFast += row["fast"] ?? 0
                switch PatrolState(rawValue: row["state"]) {
                case .completed:
                    summary.patrols.completed += count
                    switch PatrolKind(rawValue: row["kind"]) {
                    case .daily: summary.patrols.daily += count
                    case .keyPeriod: summary.patrols.keyPeriod += count
                    case .special: summary.patrols.special += count
                    case .weeklyFull: summary.patrols.weeklyFull += count
                    case nil: break
                    }
                case .incomplete: summary.patrols.incomplete += count
                case .expired: summary.patrols.expired += count
                case .voided: summary.patrols.voided += count
                case .open: summary.patrols.open += count
                case nil: break
                }
            }
            summary.hazards.reported =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM hazard WHERE reported_at >= ? AND reported_at < ?", arguments: [lower, upper]) ?? 0
            for row in try Row.fetchAll(
                db, sql: "SELECT to_state, COUNT(*) AS n FROM hazard_transition WHERE at >= ? AND at < ? GROUP BY to_state",
                arguments: [lower, upper])
            {
                let count: Int = row["n"]
                switch HazardState(rawValue: row["to_state"]) {
                case .confirmed: summary.hazards.confirmed = count
                case .rejected: summary.hazards.rejected = count
                case .duplicate: summary.hazards.duplicate = count
                case .rectified: summary.hazards.rectified = count
                case .accepted: summary.hazards.accepted = count
                case .reopened: summary.hazards.reopened = count
                default: break
                }
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

    /// The tables a manager may take to a spreadsheet.
    public enum Export: String, Sendable, CaseIterable {
        case ledger, patrols, hazards
    }

    /// An export as CSV rows, header first; times in the station's zone.
    public func export(_ table: Export, calendar: StationCalendar) throws -> [[String]] {
        try pool.read { db in
            func time(_ row: Row, _ column: String) -> String {
                row.date(column).map(calendar.rfc3339) ?? ""
            }
            func cell(_ row: Row, _ column: String) -> String {
                let value: DatabaseValue = row[column]
                if value.isNull { return "" }
                return String.fromDatabaseValue(value) ?? Int64.fromDatabaseValue(value).map(String.init) ?? ""
            }
            let (sql, columns, times): (String, [String], Set<String>) =
                switch table {
                case .ledger:
                    (
                        "SELECT * FROM ledger_entry ORDER BY id",
                        ["id", "volunteer_id", "delta", "kind", "source", "reverses_id", "note", "created_at"],
                        ["created_at"]
                    )
                case .patrols:
                    (
                        "SELECT * FROM patrol ORDER BY id",
                        [
                            "id", "volunteer_id", "kind", "state", "day", "opened_at", "closed_at", "points", "missing", "flagged_fast",
                            "clock_synced",
                        ],
                        ["opened_at", "closed_at"]
                    )
                case .hazards:
                    (
                        "SELECT * FROM hazard ORDER BY id",
                        [
                            "id", "checkpoint_id", "reporter_id", "patrol_id", "state", "description", "deadline", "reported_at",
                            "updated_at",
                        ],
                        ["reported_at", "updated_at"]
                    )
                }
            let rows = try Row.fetchAll(db, sql: sql).map { row in
                columns.map { column in times.contains(column) ? time(row, column) : cell(row, column) }
            }
            return [columns] + rows
        }
    }
}
