import Foundation
import GRDB
import YizhanCore

/// Brings a station's database to this build's schema, the way a board is upgraded: a
/// copy first, into `backup/` beside the database (the last three kept), then the
/// migrations; if one fails, the copy is put back and the daemon is told what to do.
enum SchemaUpgrade {
    /// How many copies taken before migrations are kept.
    static let keptCopies = 3
    /// Room asked for beyond the copy's size: SQLite's pages and the file system's own.
    static let copyMargin = 1 << 20

    static func run(_ pool: DatabasePool, path: String, now: Date) throws {
        let migrator = Schema.migrator
        let known = migrator.migrations
        let applied = try pool.read { try migrator.appliedIdentifiers($0) }
        if let unknown = applied.subtracting(known).sorted().last {
            throw YizhanError(
                .storeUnavailable,
                "\(path) was migrated by a newer yizhand (schema \(unknown)) than this one (\(known.last ?? "none")): "
                    + "install that version again, or restore the copy in \(backupDirectory(of: path)) taken before it migrated")
        }
        guard applied.count < known.count else { return }
        // A new database has nothing to lose.
        guard let from = known.last(where: applied.contains) else { return try migrator.migrate(pool) }

        let copy = try takeCopy(of: pool, path: path, schema: from, now: now)
        do {
            try migrator.migrate(pool)
        } catch {
            // Each migration commits on its own; the copy undoes those that went through.
            let restored = Result {
                let queue = try DatabaseQueue(path: copy, configuration: readOnly)
                try queue.backup(to: pool)
                try queue.close()
            }
            let state =
                if case .failure(let restoreError) = restored {
                    "putting the copy back failed too (\(restoreError)): stop the daemon, copy \(copy) over \(path) and start it again"
                } else {
                    "the database is as it was (schema \(from)); a copy is in \(copy)"
                }
            throw YizhanError(
                .storeUnavailable,
                "the upgrade of \(path) from schema \(from) to \(known.last ?? "") failed: \(error). \(state). "
                    + "Install the previous package again (README, \"Going back to the previous version\") and report this message")
        }
    }

    static func backupDirectory(of path: String) -> String {
        (path as NSString).deletingLastPathComponent + "/backup"
    }

    /// Copies the database to `backup/<UTC time>-<schema>.sqlite` and lets the oldest such
    /// copies go beyond the last three; other files there are not touched. Without room for
    /// the copy nothing is written (`NoRoomForUpgradeCopy`): the daemon waits for room, as on
    /// a full disk, rather than filling the disk at each try.
    static func takeCopy(of pool: DatabasePool, path: String, schema: String, now: Date) throws -> String {
        let directory = backupDirectory(of: path)
        let stamp = now.formatted(.iso8601.dateSeparator(.omitted).timeSeparator(.omitted))
        let copy = "\(directory)/\(stamp)-\(schema).sqlite"
        // The copy is about the database and its write-ahead log, folded together.
        let needed = [path, path + "-wal"].reduce(0) { sum, file in
            sum + ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int ?? 0)
        }
        func shortOfRoom() -> NoRoomForUpgradeCopy? {
            let state = (path as NSString).deletingLastPathComponent
            guard let free = (try? FileManager.default.attributesOfFileSystem(forPath: state))?[.systemFreeSize] as? Int,
                free < needed + copyMargin
            else { return nil }
            return NoRoomForUpgradeCopy(path: path, needed: needed + copyMargin, free: free)
        }
        if let short = shortOfRoom() { throw short }
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
            try Store.copy(pool, to: copy)
        } catch {
            // Short of room that the count did not show (blocks kept for root, say): the
            // part written was removed, and the room is counted again.
            if let short = shortOfRoom() { throw short }
            throw YizhanError(
                .storeUnavailable,
                "\(path) needs an upgrade (schema \(schema)) and no copy could be taken first: \(error); "
                    + "nothing was changed: free space in \(directory) and start again")
        }
        let ours = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.range(of: #"^[0-9]{8}T[0-9]{6}Z-.+\.sqlite$"#, options: .regularExpression) != nil }
            .sorted()
        for old in ours.dropLast(keptCopies) {
            try? FileManager.default.removeItem(atPath: "\(directory)/\(old)")
        }
        return copy
    }

    private static var readOnly: Configuration {
        var configuration = Configuration()
        configuration.readonly = true
        return configuration
    }
}

/// An upgrade of the database that has no room for the copy it takes first: nothing was
/// written, and the upgrade goes through once there is room (`Store.isDiskFull`).
public struct NoRoomForUpgradeCopy: Error, CustomStringConvertible {
    let path: String
    let needed: Int
    let free: Int

    public var description: String {
        func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_048_576) }
        return "the upgrade of \(path) needs \(megabytes(needed)) free for its copy, and \(megabytes(free)) are"
    }
}
