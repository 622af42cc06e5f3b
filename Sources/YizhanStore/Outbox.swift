import Foundation
import GRDB
import YizhanCore

/// The records the district needs, queued in the same SQLite transaction as the change that
/// made them (SPEC 9, "Push"): SQLite triggers write them, so no change can reach the
/// database without its record, and a rolled-back change leaves none. Each record is the
/// row as it is after the change, numbered by an increasing `seq`; the sync service pushes
/// them in that order and marks them sent once the district has committed them.
///
/// The triggers write only while the outbox is switched on (a station with a `[district]`).
/// Switching it on the first time queues every row already there, so the district gets the
/// station's history too.
enum Outbox {
    /// What one kind of record holds: a table's key and the columns the district gets.
    struct Kind {
        var name: String
        var table: String
        /// The columns that make the record's key within its kind (joined by `/`).
        var keyColumns: [String]
        /// The columns sent, in the record's JSON object.
        var columns: [String]
        /// The columns whose change sends the row again; nil for every change.
        var changedColumns: [String]?

        /// The key and the JSON object of a row, as SQL over its columns prefixed by `row`.
        func key(_ row: String = "") -> String {
            "CAST(" + keyColumns.map { row + $0 }.joined(separator: " || '/' || ") + " AS TEXT)"
        }

        func body(_ row: String = "") -> String {
            "json_object(" + columns.map { "'\($0)', \(row)\($0)" }.joined(separator: ", ") + ")"
        }
    }

    /// Volunteers without their phone numbers; badges by hash and state; patrols with their
    /// checks; hazards and every transition; ledger entries; redemptions; each day's scan
    /// count by outcome.
    static let kinds: [Kind] = [
        Kind(
            name: "volunteer", table: "volunteer", keyColumns: ["id"],
            columns: ["id", "district_id", "name", "role", "active", "created_at"], changedColumns: ["name", "role", "active"]),
        Kind(
            name: "badge", table: "badge", keyColumns: ["id"],
            columns: ["id", "district_id", "volunteer_id", "kind", "credential_hash", "created_at", "revoked_at"],
            changedColumns: ["revoked_at"]),
        Kind(
            name: "patrol", table: "patrol", keyColumns: ["id"],
            columns: [
                "id", "volunteer_id", "kind", "state", "day", "opened_at", "closed_at", "points", "missing", "flagged_fast",
                "no_award_reason", "joined_patrol_id", "clock_synced",
            ]),
        Kind(
            name: "patrol_check", table: "patrol_check", keyColumns: ["patrol_id", "checkpoint_id"],
            columns: ["patrol_id", "checkpoint_id", "at"]),
        Kind(
            name: "hazard", table: "hazard", keyColumns: ["id"],
            columns: [
                "id", "checkpoint_id", "reporter_id", "patrol_id", "state", "description", "deadline", "reported_at", "updated_at",
                "rectified_at",
            ],
            changedColumns: ["state", "description", "deadline"]),
        Kind(
            name: "hazard_transition", table: "hazard_transition", keyColumns: ["id"],
            columns: ["id", "hazard_id", "from_state", "to_state", "note", "actor", "at"]),
        Kind(
            name: "ledger_entry", table: "ledger_entry", keyColumns: ["id"],
            columns: ["id", "volunteer_id", "delta", "kind", "source", "reverses_id", "note", "actor", "created_at"]),
        Kind(
            name: "redemption", table: "redemption", keyColumns: ["code"],
            columns: ["code", "item_id", "volunteer_id", "cost", "state", "month", "created_at", "collected_at", "cancelled_at"],
            changedColumns: ["state"]),
        Kind(name: "scan_day", table: "scan_day", keyColumns: ["day", "outcome"], columns: ["day", "outcome", "count"]),
    ]

    /// The outbox and its switch.
    static let tables = """
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            body TEXT NOT NULL,
            queued_at TEXT NOT NULL,
            sent_at TEXT
        );
        CREATE INDEX outbox_unsent ON outbox(seq) WHERE sent_at IS NULL;
        CREATE TABLE outbox_switch (on_since TEXT);
        INSERT INTO outbox_switch VALUES (NULL);
        """

    /// Replaces the triggers that queue records with those of `kinds` as this build has
    /// them. Run at every opening, after the migrations, so the triggers always match the
    /// columns the kinds name, whatever the schema version they were first made at.
    static func installTriggers(_ db: Database) throws {
        for name in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'outbox_%'") {
            try db.execute(sql: "DROP TRIGGER \(name)")
        }
        for kind in kinds {
            // Built from NEW alone: a trigger that looked the row up would cost a scan per change.
            let queue = """
                INSERT INTO outbox (kind, key, body, queued_at)
                    VALUES ('\(kind.name)', \(kind.key("NEW.")), \(kind.body("NEW.")), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
                """
            let on = "WHEN (SELECT on_since FROM outbox_switch) IS NOT NULL"
            let updated = kind.changedColumns.map { " OF " + $0.joined(separator: ", ") } ?? ""
            try db.execute(
                sql: """
                    CREATE TRIGGER outbox_\(kind.name)_insert AFTER INSERT ON \(kind.table) \(on)
                        BEGIN \(queue) END;
                    CREATE TRIGGER outbox_\(kind.name)_update AFTER UPDATE\(updated) ON \(kind.table) \(on)
                        BEGIN \(queue) END;
                    """)
        }
    }
}

/// Records waiting for the district, and how far behind it is.
public struct OutboxBacklog: Sendable, Hashable, Codable {
    public var records: Int
    /// When the oldest unsent record was queued.
    public var oldest: Date?
}

extension Store {
    /// Switches the outbox on. The first time, every row already in the station is queued,
    /// oldest kind first, in the same transaction; later calls change nothing.
    public func openOutbox(at now: Instant) throws {
        try pool.write { db in
            guard try String.fetchOne(db, sql: "SELECT on_since FROM outbox_switch") == nil else { return }
            for kind in Outbox.kinds {
                try db.execute(
                    sql:
                        "INSERT INTO outbox (kind, key, body, queued_at) SELECT ?, \(kind.key()), \(kind.body()), ? FROM \(kind.table) ORDER BY rowid",
                    arguments: [kind.name, Timestamp.text(now.wall)])
            }
            try db.execute(sql: "UPDATE outbox_switch SET on_since = ?", arguments: [Timestamp.text(now.wall)])
        }
    }

    /// The oldest unsent records, in `seq` order.
    public func unsentRecords(limit: Int) throws -> [OutboxRecord] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT ?", arguments: [limit]
            ).map { row in
                OutboxRecord(seq: row["seq"], kind: row["kind"], key: row["key"], body: row["body"], queuedAt: row.date("queued_at")!)
            }
        }
    }

    /// How long a sent record stays in the outbox, where a technician can compare it with
    /// the district's copy, before it goes: the district is its keeper once committed.
    static let sentRecordsKept: TimeInterval = 30 * 86_400

    /// Marks every record up to `seq` sent: the district has committed them. Committed
    /// without waiting for the disk: a mark lost to a power cut only sends those records
    /// again, which the district skips, and a scan's commit need not queue behind its fsync.
    /// Records sent over `sentRecordsKept` ago go in the same write, so the outbox holds a
    /// month of records and the backlog, not the station's whole history again.
    public func markSent(through seq: Int64, at now: Instant) throws {
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
            try db.execute(
                sql: "UPDATE outbox SET sent_at = ? WHERE sent_at IS NULL AND seq <= ?", arguments: [Timestamp.text(now.wall), seq])
            // Records are sent in `seq` order, so those sent long ago come first: delete up to
            // the first one that is not, reading no further (the key's order, no full scan).
            // A lost delete only keeps records longer; `seq` is AUTOINCREMENT, never reused.
            try db.execute(
                sql: """
                    DELETE FROM outbox WHERE seq < coalesce(
                        (SELECT seq FROM outbox WHERE sent_at IS NULL OR sent_at >= ? ORDER BY seq LIMIT 1), 0)
                    """,
                arguments: [Timestamp.text(now.wall.addingTimeInterval(-Self.sentRecordsKept))])
        }
    }

    /// How many records wait, and since when.
    public func outboxBacklog() throws -> OutboxBacklog {
        try pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT COUNT(*) AS n, MIN(queued_at) AS oldest FROM outbox WHERE sent_at IS NULL")!
            return OutboxBacklog(records: row["n"], oldest: row.date("oldest"))
        }
    }
}
