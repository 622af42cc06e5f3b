import Foundation
import GRDB
import Synchronization
import YizhanCore
import YizhanSystem

/// Counts the writer's commits. It observes no row changes, so SQLite is asked for no
/// per-row callbacks; GRDB still tells it of each commit.
private final class CommitCounter: TransactionObserver, Sendable {
    let count = Atomic<UInt64>(0)

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { count.add(1, ordering: .releasing) }
    func databaseDidRollback(_ db: Database) {}
}

/// The station's SQLite database: WAL with `synchronous=FULL`, so that whatever a commit
/// returned for survives a power cut at any instant.
public final class Store: Sendable {
    /// The connection pool: one writer, concurrent readers for the API. GRDB stays inside
    /// this module: everything a transaction does is a function of the store, so "decide,
    /// apply and record in one transaction" is kept here, not by each caller.
    let pool: DatabasePool
    /// The path of the database file.
    public let path: String
    /// Hashes card UIDs and scan payloads; kept in `credential.key` beside the database.
    let credentials: CredentialKey
    private let commits = CommitCounter()
    /// `counts(today:)` as last read, and the generation it was read at.
    let keptCounts = Mutex<(generation: UInt64, today: LocalDay, counts: StoreCounts)?>(nil)

    /// Changes after every commit of a write. An answer built from reads made after it
    /// was taken is still true while it stays the same, so a reader can keep the answer.
    public var generation: UInt64 { commits.count.load(ordering: .acquiring) }

    /// Opens (creating if needed) the database at `path` and migrates it to the latest
    /// schema, with a copy taken first (`SchemaUpgrade`).
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        // A station's readers are the API's few clients: a small pool and a small page cache
        // a connection (1 MiB, not SQLite's 2 MiB) keep the daemon small on the board.
        configuration.maximumReaderCount = 2
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            try db.execute(sql: "PRAGMA cache_size = -1024")
            // Content rewritten or deleted (a printed badge's code) is zeroed on disk, not
            // left in a free page for a copy of the file to show.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        // SQLite takes an empty file for an empty database and would start a new ledger on
        // it; at a station that means the database was lost, which a technician must see.
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size == 0 {
            throw YizhanError(
                .storeUnavailable,
                "\(path) is empty (0 bytes), not a station database: restore a backup (yizhanctl backup) or move the file away to start a new one"
            )
        }
        do {
            pool = try DatabasePool(path: Self.heldByThisProcess(path), configuration: configuration)
            // GRDB sets NORMAL with WAL; an acknowledged scan must survive a power cut.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            try SchemaUpgrade.run(pool, path: path, now: Date())
            try pool.write(Outbox.installTriggers)
            pool.add(transactionObserver: commits, extent: .databaseLifetime)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            // Not the database's fault, and over once there is room (`Store.isDiskFull`).
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB {
            throw YizhanError(
                .storeUnavailable,
                "\(path) is damaged (\(error.message ?? error.description)): restore a backup (yizhanctl backup) before starting")
        } catch let error as DatabaseError {
            throw YizhanError(.storeUnavailable, "cannot open \(path): \(error.message ?? error.description)")
        }
        self.path = path
        let keyed = try pool.read {
            try Bool.fetchOne($0, sql: "SELECT EXISTS (SELECT 1 FROM badge WHERE credential_hash LIKE 'k1:%')") ?? false
        }
        credentials = try CredentialKey.load(
            path: (path as NSString).deletingLastPathComponent + "/credential.key", create: !keyed)
    }

    /// Whether `error` is SQLite's "database or disk is full", or an upgrade without room for
    /// its copy: the store refused a write for want of room, and the same write goes through
    /// once there is some.
    public static func isDiskFull(_ error: any Error) -> Bool {
        (error as? DatabaseError)?.resultCode == .SQLITE_FULL || error is NoRoomForUpgradeCopy
    }

    /// The database's URI for SQLite's `unix-excl` file system, which keeps the WAL index in
    /// this process's memory rather than in a `-shm` file mapped shared. Once the state
    /// directory turns read-only (an SD card remounted after errors), a store into such a
    /// mapping, which SQLite makes even to read, kills the process with `SIGBUS`, where a
    /// write to a file only fails and the station goes on refusing scans. It also holds
    /// the database to this process, as `yizhand.lock` already does to other daemons: a
    /// technician's `sqlite3` gets "database is locked" until the daemon stops.
    static func heldByThisProcess(_ path: String) -> String {
        var escaped = ""
        for character in path {
            switch character {
            case "%": escaped += "%25"
            case "?": escaped += "%3f"
            case "#": escaped += "%23"
            default: escaped.append(character)
            }
        }
        // An empty authority before an absolute path, so that one starting "//" is not read as a host.
        return (path.hasPrefix("/") ? "file://" : "file:") + escaped + "?vfs=unix-excl"
    }

    /// Opens the database in `stateDirectory`, creating the directory if needed.
    public convenience init(stateDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        try self.init(path: stateDirectory + "/yizhan.sqlite")
    }

    /// Reads every page (SQLite's `quick_check`): a page damaged in the middle of the file
    /// shows only when read. About a second at a million ledger entries, so the daemon
    /// runs it after it is ready, with scans held until it passes (`Station.verifyStore`).
    public func verify() throws {
        let check: [String]
        do {
            check = try pool.read { try String.fetchAll($0, sql: "PRAGMA quick_check") }
        } catch let error as DatabaseError {
            // Damage bad enough stops the check itself.
            check = [error.message ?? error.description]
        }
        guard check == ["ok"] else {
            throw YizhanError(
                .storeUnavailable,
                "\(path) is damaged (quick_check: \(check.prefix(3).joined(separator: "; "))): restore a backup (yizhanctl backup)")
        }
    }

    /// Folds the write-ahead log into the database and empties it, at a clean stop: what
    /// was overwritten (a printed badge's code, a secure-deleted row) then lives on in no
    /// old frame of the log, whether or not the process gets to close its connections.
    public func checkpoint() throws {
        try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
    }

    /// The applied migrations, oldest first.
    public func appliedMigrations() throws -> [String] {
        try pool.read { try Schema.migrator.appliedIdentifiers($0) }.sorted()
    }

    /// Writes a consistent copy of the database to `destination` while the daemon keeps
    /// writing: SQLite's online backup copies one read snapshot of the WAL database.
    /// The copy is a new file: the path must name nothing yet, not even a symbolic link
    /// (which SQLite would follow to wherever it points).
    public func backup(to destination: String) throws {
        try Self.copy(pool, to: destination)
    }

    static func copy(_ pool: DatabasePool, to destination: String) throws {
        // O_EXCL with O_CREAT fails on anything already there, dangling links included.
        do {
            let created = try Kernel.open(
                destination, .writeOnly, options: [.create, .exclusiveCreate, .noFollow, .closeOnExec],
                permissions: [.ownerReadWrite, .groupRead])
            try? created.close()
        } catch {
            let reason = error == .fileExists ? "already exists" : "\(error)"
            throw YizhanError(.conflict, "cannot write a backup to \(destination): \(reason)")
        }
        do {
            let copy = try DatabaseQueue(path: destination)
            try pool.backup(to: copy)
            // One self-contained file, with no -wal or -shm beside it when it is opened.
            try copy.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = DELETE") }
            try copy.close()
        } catch let error as DatabaseError {
            try? FileManager.default.removeItem(atPath: destination)
            throw YizhanError(.storeUnavailable, "backup to \(destination) failed: \(error.message ?? error.description)")
        }
    }

    /// Loads the configured catalogue: new items are added with their configured stock;
    /// known items take the configured name, cost and limit but keep their live stock;
    /// items no longer configured stop being redeemable.
    public func syncCatalog(_ items: [CatalogItem]) throws {
        try pool.write { db in
            for item in items {
                try db.execute(
                    sql: """
                        INSERT INTO catalog_item (id, name, cost, stock, per_volunteer_per_month, active)
                        VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT (id) DO UPDATE SET name = excluded.name, cost = excluded.cost,
                            per_volunteer_per_month = excluded.per_volunteer_per_month, active = excluded.active
                        """,
                    arguments: [item.id, item.name, item.cost, item.stock, item.perVolunteerPerMonth, item.active])
            }
            let ids = items.map(\.id)
            let configured = ids.isEmpty ? "''" : ids.map { _ in "?" }.joined(separator: ", ")
            try db.execute(sql: "UPDATE catalog_item SET active = 0 WHERE id NOT IN (\(configured))", arguments: StatementArguments(ids))
        }
    }

    /// Records a start of the daemon and returns its run number.
    public func recordRun(version: String, at now: Instant) throws -> Int64 {
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO daemon_run (version, started_at) VALUES (?, ?)", arguments: [version, Timestamp.text(now.wall)])
            return db.lastInsertedRowID
        }
    }

    /// Jobs that were being sent when the daemon stopped may or may not be on paper: they
    /// become uncertain and wait for the manager (SPEC 4, print jobs).
    public func markInterruptedPrintJobs(at now: Instant) throws -> Int {
        try pool.write { db in
            try db.execute(
                sql:
                    "UPDATE print_job SET state = 'uncertain', error = 'interrupted while printing', updated_at = ? WHERE state = 'printing'",
                arguments: [Timestamp.text(now.wall)])
            return db.changesCount
        }
    }
}

/// Wall-clock times as stored: UTC RFC 3339 with milliseconds, which sort as text.
public enum Timestamp {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!)

    public static func text(_ date: Date) -> String {
        style.format(date)
    }

    public static func date(_ text: String) -> Date? {
        try? style.parse(text)
    }
}

extension Row {
    /// Reads a stored timestamp column.
    func date(_ column: String) -> Date? {
        (self[column] as String?).flatMap(Timestamp.date)
    }
}
