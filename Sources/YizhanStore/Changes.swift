import Foundation
import GRDB
import YizhanCore
import YizhanWire

/// The change log: every change made through the admin socket, written in the change's
/// own transaction so that the record and the change cannot part.
enum Changes {
    static func record(_ db: Database, actor: String?, action: String, subject: String, at now: Instant) throws {
        try db.execute(
            sql: "INSERT INTO change_log (at, actor, action, subject) VALUES (?, ?, ?, ?)",
            arguments: [Timestamp.text(now.wall), actor ?? "unknown", action, subject])
    }
}

extension Store {
    /// The change log, newest first.
    public func changes(before: Int64 = .max, limit: Int = 100) throws -> Page<ChangeRecord> {
        try pool.read { db in
            try Page.read(
                db, sql: "SELECT * FROM change_log WHERE id < ? ORDER BY id DESC LIMIT ?", arguments: [before], limit: limit
            ) { row in
                ChangeRecord(id: row["id"], at: row.date("at")!, actor: row["actor"], action: row["action"], subject: row["subject"])
            }
        }
    }
}
