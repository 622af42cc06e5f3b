import Foundation
import GRDB
import Testing
import YizhanCore
import YizhanTestSupport

@testable import YizhanStore

/// An upgrade of the package migrates the station's database: a copy first, the old
/// database untouched if a migration fails, and no start on a database from the future.
@Suite struct SchemaUpgradeTests {
    let directory: TemporaryDirectory
    let database: String
    var backups: String { directory.file("backup") }

    init() throws {
        directory = try TemporaryDirectory()
        database = directory.file("yizhan.sqlite")
    }

    /// A station database as an older yizhand left it: schema up to `schema`, one volunteer,
    /// in write-ahead-log mode, as the daemon keeps it.
    func makeOldDatabase(upTo schema: String, then: String = "", at path: String? = nil) throws {
        let old = try DatabasePool(path: path ?? database)
        try Schema.migrator.migrate(old, upTo: schema)
        try old.write { db in
            try db.execute(
                sql:
                    "INSERT INTO volunteer (name, role, balance, earned, created_at) VALUES ('老志愿者', 'leader', 8, 8, '2025-01-01T00:00:00.000Z')"
            )
            if !then.isEmpty { try db.execute(sql: then) }
        }
        try old.close()
    }

    /// Every table's schema and rows, as Python's sqlite3 module dumps them.
    func dump(_ path: String) throws -> String {
        let run = try Command.run(
            "/usr/bin/python3", ["-c", "import sqlite3, sys; print('\\n'.join(sqlite3.connect(sys.argv[1]).iterdump()))", path])
        #expect(run.status == 0, "\(run.errors)")
        return run.output
    }

    func copies() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: backups).sorted()
    }

    @Test func anUpgradeCopiesTheDatabaseFirst() throws {
        try makeOldDatabase(upTo: "v5-rota-and-actors")
        let before = try dump(database)
        let store = try Store(path: database)
        #expect(try store.appliedMigrations().last == Schema.migrator.migrations.last)
        #expect(try store.volunteer(1).balance == 8)
        let copy = try #require(try copies().first)
        #expect(try copies().count == 1)
        #expect(copy.hasSuffix("-v5-rota-and-actors.sqlite"), "\(copy)")
        #expect(try dump("\(backups)/\(copy)") == before, "the copy is the database as it was")
        // Opened again at the latest schema: nothing to migrate, no copy.
        _ = try Store(path: database)
        #expect(try copies().count == 1)
    }

    @Test func theLastThreeCopiesAreKeptAndOtherFilesLeftAlone() throws {
        try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)
        let present = [
            "20250101T000000Z-v1-station.sqlite", "20250201T000000Z-v2-idempotency.sqlite", "20250301T000000Z-v3-daemon-runs.sqlite",
            "mine.sqlite",
        ]
        for name in present {
            try Data("x".utf8).write(to: URL(fileURLWithPath: "\(backups)/\(name)"))
        }
        try makeOldDatabase(upTo: "v6-district-outbox")
        _ = try Store(path: database)
        let kept = try copies()
        #expect(kept.count == 4, "\(kept)")
        #expect(kept.contains("mine.sqlite") && kept.contains("20250201T000000Z-v2-idempotency.sqlite"), "\(kept)")
        #expect(!kept.contains("20250101T000000Z-v1-station.sqlite"), "the oldest copy goes")
        #expect(kept.contains { $0.hasSuffix("-v6-district-outbox.sqlite") }, "\(kept)")
    }

    @Test func aFailedUpgradeLeavesTheDatabaseAsItWasAndSaysWhatToDo() throws {
        // Two migrations to run; the first goes through, the second meets a table someone
        // made by hand. The copy puts back what the first had done.
        try makeOldDatabase(upTo: "v5-rota-and-actors", then: "CREATE TABLE district_campaign (note TEXT)")
        let before = try dump(database)
        let error = try #require(throws: YizhanError.self) { try Store(path: database) }
        #expect(error.code == .storeUnavailable)
        #expect(error.message.contains("from schema v5-rota-and-actors to \(Schema.migrator.migrations.last!) failed"), "\(error)")
        #expect(error.message.contains("table district_campaign already exists"), "\(error)")
        #expect(error.message.contains("the database is as it was"), "\(error)")
        #expect(error.message.contains("Install the previous package again"), "\(error)")
        #expect(try dump(database) == before)
        let copies = try copies()
        #expect(copies.count == 1, "\(copies)")
    }

    @Test func aDatabaseMigratedByANewerVersionIsRefusedUntouched() throws {
        _ = try Store(path: database)
        let newer = try DatabaseQueue(path: database)
        try newer.write { try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('v99-from-the-future')") }
        try newer.close()
        let before = try dump(database)
        let error = try #require(throws: YizhanError.self) { try Store(path: database) }
        #expect(error.message.contains("was migrated by a newer yizhand (schema v99-from-the-future)"), "\(error)")
        #expect(try dump(database) == before)
        #expect(!FileManager.default.fileExists(atPath: backups))
    }

    /// The package upgraded on a board whose disk has room, but not for the copy taken
    /// before the migrations (a disk with none left at all stops the start earlier, as a full
    /// disk): nothing written, and the error is a full disk's, which the daemon waits out (it
    /// used to stop for good, "free space and start again"). Once there is room the upgrade
    /// goes through.
    @Test(.enabled(if: SmallDisk.available, "needs root, to mount a tmpfs"))
    func anUpgradeWithoutRoomForItsCopyWaitsAsOnAFullDisk() throws {
        let disk = try SmallDisk(at: directory.file("disk"), megabytes: 8)
        defer { disk.unmount() }
        let database = disk.path + "/yizhan.sqlite"
        // 1.5 MB of a station's history; 256 KiB left free.
        try makeOldDatabase(
            upTo: "v5-rota-and-actors", then: "CREATE TABLE history (b BLOB); INSERT INTO history VALUES (zeroblob(1500000))", at: database)
        let before = try dump(database)
        #expect(try disk.fill(leaving: 256 * 1024) > 0)

        let error = try #require(throws: (any Error).self) { try Store(path: database) }
        #expect(Store.isDiskFull(error), "\(error)")
        #expect("\(error)".contains("needs"), "\(error)")
        #expect(!FileManager.default.fileExists(atPath: disk.path + "/backup/"), "nothing written")

        try disk.makeRoom()
        #expect(try dump(database) == before, "the database as it was")
        let store = try Store(path: database)
        #expect(try store.appliedMigrations().last == Schema.migrator.migrations.last)
        #expect(try store.volunteer(1).balance == 8)
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path + "/backup").count == 1)
    }
}
