import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization

/// One connection to the district's PostgreSQL, for one piece of work: a station's sync
/// round or a district office command. It is closed when the work ends, so a station holds
/// no connection between rounds.
public struct District: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    /// Connects, does `work`, and closes the connection whatever happens. The connection's
    /// I/O runs on `loop`; without one, on PostgresNIO's own threads, started when first used.
    public static func with<Result: Sendable>(
        _ settings: DistrictSettings, on loop: (any EventLoop)? = nil, logger: Logger, _ work: (District) async throws -> Result
    ) async throws -> Result {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                on: loop ?? PostgresConnection.defaultEventLoopGroup.any(), configuration: try settings.configuration(), id: 1,
                logger: logger)
        } catch {
            throw DistrictError.explaining(error, settings: settings)
        }
        let district = District(connection: connection, logger: logger)
        do {
            // Cancelling the work (a round that took too long) closes the connection, which
            // ends a query the district never answers.
            let result = try await withTaskCancellationHandler {
                try await work(district)
            } onCancel: {
                connection.close().whenComplete { _ in }
            }
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw DistrictError.explaining(error, settings: settings)
        }
    }

    /// The schema version the database is at; 0 before the first `migrate`.
    public func schemaVersion() async throws -> Int {
        let exists = try await connection.query("SELECT to_regclass('public.yizhan_schema') IS NOT NULL", logger: logger)
        for try await present in exists.decode(Bool.self) where !present { return 0 }
        let rows = try await connection.query("SELECT coalesce(max(version), 0) FROM yizhan_schema", logger: logger)
        for try await version in rows.decode(Int.self) { return version }
        return 0
    }

    /// Applies the migrations the database lacks, each in its own transaction; returns the
    /// versions applied (none when it was up to date).
    public func migrate() async throws -> [Int] {
        try await connection.query(PostgresQuery(unsafeSQL: DistrictSchema.roles), logger: logger)  // one DO block
        try await connection.query("CREATE TABLE IF NOT EXISTS yizhan_schema (version integer PRIMARY KEY)", logger: logger)
        let current = try await schemaVersion()
        guard current <= DistrictSchema.version else {
            throw DistrictError(
                .schemaTooNew, "the district's schema is at version \(current), newer than this build's \(DistrictSchema.version)")
        }
        var applied: [Int] = []
        for (index, sql) in DistrictSchema.migrations.enumerated() where index + 1 > current {
            let version = index + 1
            try await transaction { connection in
                for statement in DistrictSchema.statements(sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO yizhan_schema (version) VALUES (\(version))", logger: logger)
            }
            applied.append(version)
        }
        try await connection.query(PostgresQuery(unsafeSQL: DistrictSchema.stationPolicies), logger: logger)  // one DO block
        return applied
    }

    /// The rows of `query`, read whole.
    ///
    /// Every answer of more than a row is read so, or row by row with `eachRow`, never with
    /// `for try await` over the query's rows: PostgresNIO 1.33.2 stops the process (a
    /// precondition in its RowStreamStateMachine) when the connection ends while an async
    /// reader that fell behind holds back its demand, as a station's link or the office's
    /// network can at any moment (tested: a link cut in a pull and in an export). Rows taken
    /// on the connection's event loop are asked for again before the loop next reads, and
    /// that state is never reached.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        let answer: EventLoopFuture<PostgresQueryResult> = connection.query(query, logger: logger)
        return try await answer.get().rows
    }

    /// The rows of `query`, read whole and decoded as `columns`.
    func rows<each Column: PostgresDecodable>(_ query: PostgresQuery, decoding columns: (repeat each Column).Type) async throws -> [(
        repeat each Column
    )] {
        try await rows(query).map { try $0.decode(columns) }
    }

    /// Gives each row of `query` to `take` on the connection's event loop as it arrives,
    /// until `take` returns false (see `rows`).
    func eachRow(_ query: PostgresQuery, _ take: @escaping @Sendable (PostgresRow) throws -> Bool) async throws {
        // Stopping cancels the query, and the error the answer ends with may be its own
        // `queryCancelled` rather than the one thrown here: so the stop is noted apart.
        final class Stop: Sendable {
            let asked = Atomic(false)
        }
        let stop = Stop()
        do {
            _ = try await connection.query(query, logger: logger) { row in
                guard try take(row) else {
                    stop.asked.store(true, ordering: .sequentiallyConsistent)
                    throw CancellationError()
                }
            }.get()
        } catch {
            guard stop.asked.load(ordering: .sequentiallyConsistent) else { throw error }
        }
    }

    /// The first column of the first row of `sql`, for the district office's own questions
    /// of the server (its settings, its connections); nil when there is no row.
    public func scalar<Value: PostgresDecodable & Sendable>(_ sql: String, as type: Value.Type = Value.self) async throws -> Value {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        for try await value in rows.decode(Value.self) { return value }
        throw DistrictError(.refused, "the district answered nothing to \(sql)")
    }

    /// Checks that this build can push into and pull from the district's schema.
    public func requireSchema() async throws {
        let version = try await schemaVersion()
        if version == 0 { throw DistrictError(.schemaMissing, "the district database has no Yizhan schema: run yizhan-district migrate") }
        if version > DistrictSchema.version {
            throw DistrictError(
                .schemaTooNew,
                "the district's schema is at version \(version), newer than this station understands (\(DistrictSchema.version)): update the station"
            )
        }
    }
}

extension District {
    /// A station's role name: `station_` and its id, lower case, `-` as `_`.
    public static func role(ofStation id: String) -> String {
        "station_" + id.lowercased().replacingOccurrences(of: "-", with: "_")
    }

    /// Registers a station and creates its login role with `password`.
    public func addStation(_ id: String, password: String) async throws {
        guard id.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F }), !id.isEmpty,
            id.utf8.count <= 50
        else {
            throw DistrictError(.invalidSettings, "a station id is 1 to 50 of a-z, 0-9, - and _")
        }
        let role = Self.role(ofStation: id)
        try await transaction { connection in
            // Identifiers cannot be bound: the role is built only from the checked id above.
            try await connection.query(
                PostgresQuery(
                    unsafeSQL:
                        "CREATE ROLE \(role) LOGIN IN ROLE yizhan_station PASSWORD '\(password.replacingOccurrences(of: "'", with: "''"))'"),
                logger: logger)
            try await connection.query("INSERT INTO station (id, role) VALUES (\(id), \(role))", logger: logger)
        }
    }

    /// A station as the district office sees it: how far it has pushed, when it was last
    /// heard from, and what it said it still had to push then.
    public struct StationRow: Sendable, Codable, Hashable {
        public var id: String
        public var cursor: Int64?
        public var lastPush: Date?
        public var contactedAt: Date?
        public var backlog: Int?
        public var oldestQueuedAt: Date?
        /// Not heard from within the silence limit the office asked about, or never.
        public var silent = false
    }

    /// Every station; those not heard from for `silentAfter` are flagged silent.
    public func stations(silentAfter: Duration = .seconds(3600)) async throws -> [StationRow] {
        var stations: [StationRow] = []
        for (id, cursor, lastPush, contactedAt, backlog, oldest, now) in try await rows(
            "SELECT id, cursor, last_push, contacted_at, backlog, oldest_queued_at, now() FROM district_stations ORDER BY id",
            decoding: (String, Int64?, Date?, Date?, Int?, Date?, Date).self)
        {
            let silent = contactedAt.map { now.timeIntervalSince($0) > Double(silentAfter.components.seconds) } ?? true
            stations.append(
                StationRow(
                    id: id, cursor: cursor, lastPush: lastPush, contactedAt: contactedAt, backlog: backlog, oldestQueuedAt: oldest,
                    silent: silent))
        }
        return stations
    }
}

extension DistrictError {
    /// A postgres-nio or NIOSSL error as a technician reads it.
    static func explaining(_ error: any Error, settings: DistrictSettings) -> DistrictError {
        if let error = error as? DistrictError { return error }
        let text = String(reflecting: error)
        if let transaction = error as? PostgresTransactionError,
            let inner = transaction.closureError ?? transaction.beginError ?? transaction.commitError
        {
            return explaining(inner, settings: settings)
        }
        if let psql = error as? PSQLError {
            if let server = psql.serverInfo {
                let code = server[.sqlState] ?? ""
                let message = server[.message] ?? "refused"
                if code == "28P01" || code == "28000" {
                    return DistrictError(.authentication, "the district refused \(settings.user)'s password (\(message))")
                }
                return DistrictError(.refused, "the district refused: \(message) (SQLSTATE \(code))")
            }
            if psql.code == .sslUnsupported {
                return DistrictError(.refused, "the district does not offer TLS, which tls = \"\(settings.tls.rawValue)\" requires")
            }
            if text.contains("NIOSSL") || text.contains("certificate") || text.contains("handshake") {
                return DistrictError(
                    .untrustedCertificate,
                    "the district's certificate is not trusted by \(settings.caFile ?? "the CA file"): \(psql.underlying.map { "\($0)" } ?? "\(psql.code)")"
                )
            }
            return DistrictError(
                .unreachable, "cannot reach \(settings.host):\(settings.port): \(psql.underlying.map { "\($0)" } ?? "\(psql.code)")")
        }
        if error is NIOSSLError || text.contains("NIOSSL") {
            return DistrictError(.untrustedCertificate, "the district's certificate is not trusted: \(error)")
        }
        return DistrictError(.unreachable, "cannot reach \(settings.host):\(settings.port): \(error)")
    }
}
