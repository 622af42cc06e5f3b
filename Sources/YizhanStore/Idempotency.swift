import Crypto
import Foundation
import GRDB

/// A stored answer to a write request, replayed when the same `Idempotency-Key` comes again
/// with the same request.
public struct IdempotentReply: Sendable {
    public var status: Int
    public var body: Data
    /// SHA-256 of the request the answer was for (method, path and body).
    public var fingerprint: Data

    public init(status: Int, body: Data, fingerprint: Data) {
        self.status = status
        self.body = body
        self.fingerprint = fingerprint
    }

    /// The fingerprint of a request: a key reused for another request is told apart by it.
    public static func fingerprint(method: String, path: String, body: Data) -> Data {
        var hash = SHA256()
        hash.update(data: Data("\(method) \(path)\n".utf8))
        hash.update(data: body)
        return Data(hash.finalize())
    }
}

extension Store {
    /// How long an answer is kept for its key: a client retries within minutes, not days.
    public static let idempotencyRetention: TimeInterval = 24 * 3600
    /// At most this many answers are kept; the oldest go first.
    public static let idempotencyCapacity = 10_000

    /// The answer first given to `key`, if it is still kept.
    public func idempotentReply(key: String) throws -> IdempotentReply? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT status, body, fingerprint FROM idempotent_reply WHERE key = ?", arguments: [key])
                .map { IdempotentReply(status: $0["status"], body: $0["body"], fingerprint: $0["fingerprint"]) }
        }
    }

    /// Keeps the answer to `key` (the first one stored wins), and lets go of answers older
    /// than the retention or beyond `capacity`, so that keys cannot fill the disk.
    public func storeIdempotentReply(_ reply: IdempotentReply, key: String, at date: Date, capacity: Int = idempotencyCapacity) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO idempotent_reply (key, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [key, reply.fingerprint, reply.status, reply.body, Timestamp.text(date)])
            try db.execute(
                sql: "DELETE FROM idempotent_reply WHERE created_at < ?",
                arguments: [Timestamp.text(date.addingTimeInterval(-Self.idempotencyRetention))])
            try db.execute(
                sql: """
                    DELETE FROM idempotent_reply WHERE rowid <= (SELECT MAX(rowid) FROM idempotent_reply) - ?
                    """,
                arguments: [capacity])
        }
    }

    /// How many answers are kept, for tests and status.
    public func idempotentReplyCount() throws -> Int {
        try pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM idempotent_reply") ?? 0 }
    }
}
