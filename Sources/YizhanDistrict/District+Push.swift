import Foundation
import PostgresNIO
import YizhanCore

extension District {
    /// The highest `seq` of this station that the district has committed; 0 before the first push.
    public func cursor() async throws -> Int64 {
        let rows = try await connection.query(
            "SELECT coalesce(max(seq), 0)::bigint FROM station_push WHERE station_id = yizhan_station_id()", logger: logger)
        for try await seq in rows.decode(Int64.self) { return seq }
        return 0
    }

    /// Pushes `records` (in `seq` order) for `station` in one transaction: a record the
    /// district already holds is skipped, and the batch is recorded as the station's new
    /// cursor in the same transaction. Returns the cursor. A push whose acknowledgement is
    /// lost is simply pushed again: nothing is doubled, and the cursor shows it arrived.
    /// The caller has checked the schema (`requireSchema`) on this connection.
    ///
    /// One statement, which PostgreSQL runs as one transaction, so a batch is one round
    /// trip rather than four (BEGIN, the records, the cursor, COMMIT).
    public func push(_ records: [OutboxRecord], station: String) async throws -> Int64 {
        guard let last = records.last?.seq else { return try await cursor() }
        let seqs = records.map(\.seq)
        let kinds = records.map(\.kind)
        let keys = records.map(\.key)
        let bodies = records.map(\.body)
        let times = records.map { $0.queuedAt.formatted(.iso8601) }
        let count = records.count
        try await connection.query(
            """
            WITH pushed AS (
                INSERT INTO station_record (station_id, seq, kind, key, body, queued_at)
                SELECT \(station), r.seq, r.kind, r.key, r.body::jsonb, r.queued_at::timestamptz
                FROM unnest(\(seqs)::bigint[], \(kinds)::text[], \(keys)::text[], \(bodies)::text[], \(times)::text[])
                    AS r(seq, kind, key, body, queued_at)
                ON CONFLICT (station_id, seq) DO NOTHING
            )
            INSERT INTO station_push (station_id, seq, records) VALUES (\(station), \(last), \(count))
            ON CONFLICT (station_id, seq) DO NOTHING
            """, logger: logger)
        return last
    }
}

extension District {
    /// BEGIN, `work`, COMMIT. A failure is not rolled back here: `District.with` closes the
    /// connection after any error, and the server rolls back what it had. postgres-nio's own
    /// `withTransaction` sends ROLLBACK first, and waits for ever for its answer when the
    /// server has gone in the middle (tested: PostgreSQL stopped inside a transaction).
    func transaction(_ work: (PostgresConnection) async throws -> Void) async throws {
        try await connection.query("BEGIN", logger: logger)
        try await work(connection)
        try await connection.query("COMMIT", logger: logger)
    }

    /// A transaction that waits inside for `seconds`, for a test that stops the server meanwhile.
    public func waitInTransaction(seconds: Int) async throws {
        try await transaction { connection in
            let rows = try await connection.query("SELECT pg_sleep(\(seconds))", logger: logger)
            for try await _ in rows {}
        }
    }
}
