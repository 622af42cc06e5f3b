import Foundation
import GRDB

/// A stored answer to a write request, replayed when the same `Idempotency-Key` comes again.
public struct IdempotentReply: Sendable {
    public var status: Int
    public var body: Data

    public init(status: Int, body: Data) {
        self.status = status
        self.body = body
    }
}

extension Store {
    /// The answer first given to `key` on `route`, if any.
    public func idempotentReply(key: String, route: String) throws -> IdempotentReply? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT status, body FROM idempotent_reply WHERE key = ? AND route = ?", arguments: [key, route])
                .map { IdempotentReply(status: $0["status"], body: $0["body"]) }
        }
    }

    /// Keeps the answer to `key` on `route`; the first one stored wins.
    public func storeIdempotentReply(_ reply: IdempotentReply, key: String, route: String, at date: Date) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO idempotent_reply (key, route, status, body, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [key, route, reply.status, reply.body, Timestamp.text(date)])
        }
    }
}
