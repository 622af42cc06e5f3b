import Foundation
import GRDB
import Testing
import YizhanCore
import YizhanTestSupport

@testable import YizhanStore

@Suite struct StoreTests {
    let directory: TemporaryDirectory
    let store: Store
    let clock = Fixtures.clock("2026-11-30 09:00")

    init() throws {
        directory = try TemporaryDirectory()
        store = try Store(stateDirectory: directory.path)
    }

    @Test func theDatabaseIsWALWithFullSynchronisation() throws {
        let (mode, synchronous) = try store.pool.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode")!, try Int.fetchOne(db, sql: "PRAGMA synchronous")!)
        }
        #expect(mode == "wal")
        #expect(synchronous == 2, "2 is FULL")
    }

    /// The WAL index lives in the daemon's memory, not in a `-shm` file mapped shared (which
    /// kills the process with `SIGBUS` once the file cannot be written), so the database is
    /// the daemon's alone while it runs: another process is told it is locked. A path with
    /// the characters a URI gives a meaning to is still the file it names.
    @Test func theDatabaseIsHeldByThisProcessWithNoSharedMemoryFile() throws {
        let directory = self.directory.file("a #1 ?%20")
        let store = try Store(stateDirectory: directory)
        _ = try store.registerVolunteer(name: "甲", role: .volunteer, phone: nil, at: clock.now())
        #expect(try store.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM volunteer") } == 1)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(files.contains("yizhan.sqlite") && files.contains("yizhan.sqlite-wal"), "\(files)")
        #expect(!files.contains("yizhan.sqlite-shm"), "\(files)")

        let other = try Command.run(
            "/usr/bin/python3",
            ["-c", "import sqlite3, sys; sqlite3.connect(sys.argv[1], timeout=0).execute('SELECT count(*) FROM volunteer')", store.path])
        #expect(other.status != 0 && other.errors.contains("database is locked"), "\(other.errors)")
    }

    @Test func doublePostingIsImpossibleEvenUnderConcurrentAttempts() async throws {
        let volunteer = try store.registerVolunteer(name: "甲", role: .volunteer, phone: nil, at: clock.now())
        let store = self.store
        let now = clock.now()
        let successes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<24 {
                group.addTask {
                    (try? store.post(volunteerID: volunteer.id, delta: 2, kind: .patrolAward, source: "patrol:1", at: now)) != nil
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(successes == 1)
        #expect(try store.volunteer(volunteer.id).balance == 2)
        #expect(try store.verifyLedger().isClean)
    }

    @Test func anAdjustmentRetriedWithItsKeyIsPostedOnce() throws {
        let volunteer = try store.registerVolunteer(name: "甲", role: .volunteer, phone: nil, at: clock.now())
        let first = try store.adjust(volunteerID: volunteer.id, delta: 5, note: "补录", idempotencyKey: "k1", at: clock.now())
        let retry = try store.adjust(volunteerID: volunteer.id, delta: 5, note: "补录", idempotencyKey: "k1", at: clock.now())
        #expect(retry == first, "the retry gets the first attempt's entry")
        _ = try store.adjust(volunteerID: volunteer.id, delta: 5, note: "补录", at: clock.now())
        _ = try store.adjust(volunteerID: volunteer.id, delta: 5, note: "补录", at: clock.now())
        #expect(try store.volunteer(volunteer.id).balance == 15, "without a key, each request is an adjustment")
        #expect(try store.verifyLedger().isClean)
    }

    @Test func verifyCatchesATamperedCachedBalanceAndRepairsIt() throws {
        let volunteer = try store.registerVolunteer(name: "甲", role: .volunteer, phone: nil, at: clock.now())
        _ = try store.post(volunteerID: volunteer.id, delta: 4, kind: .patrolAward, source: "patrol:9", at: clock.now())
        try store.pool.write { try $0.execute(sql: "UPDATE volunteer SET balance = 40 WHERE id = ?", arguments: [volunteer.id]) }
        let found = try store.verifyLedger()
        #expect(
            found.mismatches == [.init(volunteerID: volunteer.id, cachedBalance: 40, ledgerBalance: 4, cachedEarned: 4, ledgerEarned: 4)])
        #expect(try store.repairLedger(by: "technician", at: Fixtures.clock("2026-11-30 09:00").now()).repaired)
        #expect(try store.changes().items.first?.action == "ledger.repair")
        #expect(try store.verifyLedger().isClean)
        #expect(try store.volunteer(volunteer.id).balance == 4)
    }

    @Test func ledgerEntriesCannotBeChangedOrDeleted() throws {
        let volunteer = try store.registerVolunteer(name: "甲", role: .volunteer, phone: nil, at: clock.now())
        _ = try store.post(volunteerID: volunteer.id, delta: 4, kind: .patrolAward, source: "patrol:9", at: clock.now())
        #expect(throws: DatabaseError.self) { try store.pool.write { try $0.execute(sql: "UPDATE ledger_entry SET delta = 400") } }
        #expect(throws: DatabaseError.self) { try store.pool.write { try $0.execute(sql: "DELETE FROM ledger_entry") } }
    }

    @Test func idempotentRepliesAreLetGoAfterADay() throws {
        let fingerprint = IdempotentReply.fingerprint(method: "POST", path: "/x", body: Data())
        let reply = IdempotentReply(status: 201, body: Data("{}".utf8), fingerprint: fingerprint)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        try store.storeIdempotentReply(reply, key: "admin:old", at: start)
        try store.storeIdempotentReply(reply, key: "admin:new", at: start.addingTimeInterval(Store.idempotencyRetention - 60))
        #expect(try store.idempotentReplyCount() == 2)
        try store.storeIdempotentReply(reply, key: "admin:newer", at: start.addingTimeInterval(Store.idempotencyRetention + 60))
        #expect(try store.idempotentReply(key: "admin:old") == nil, "older than a day")
        #expect(try store.idempotentReply(key: "admin:new") != nil)
        #expect(try store.idempotentReplyCount() == 2)
    }

    @Test func idempotentRepliesBeyondTheCapacityAreLetGoOldestFirst() throws {
        let fingerprint = IdempotentReply.fingerprint(method: "POST", path: "/x", body: Data())
        let reply = IdempotentReply(status: 201, body: Data("{}".utf8), fingerprint: fingerprint)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<5 { try store.storeIdempotentReply(reply, key: "admin:\(index)", at: now, capacity: 3) }
        #expect(try store.idempotentReplyCount() == 3)
        #expect(try store.idempotentReply(key: "admin:1") == nil && store.idempotentReply(key: "admin:4") != nil)
    }

    @Test func migrationsRunOnAnOldDatabase() throws {
        let path = directory.file("old.sqlite")
        let old = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(old, upTo: "v1-station")
        try old.write { db in
            try db.execute(
                sql:
                    "INSERT INTO volunteer (name, role, balance, earned, created_at) VALUES ('老志愿者', 'leader', 0, 0, '2025-01-01T00:00:00.000Z')"
            )
        }
        try old.close()
        let upgraded = try Store(path: path)
        #expect(
            try upgraded.appliedMigrations() == [
                "v1-station", "v2-idempotency", "v3-daemon-runs", "v4-idempotency-fingerprints", "v5-rota-and-actors", "v6-district-outbox",
                "v7-district-registry",
            ])
        // The outbox's triggers are this build's, whatever version made the database.
        try upgraded.openOutbox(at: clock.now())
        _ = try upgraded.registerVolunteer(name: "新志愿者", role: .volunteer, phone: nil, at: clock.now())
        #expect(try upgraded.unsentRecords(limit: 10).last?.body.contains("\"district_id\":null") == true)
        #expect(try upgraded.recordRun(version: "test", at: clock.now()) == 1)
        #expect(try upgraded.volunteer(1).name == "老志愿者")
        let fingerprint = IdempotentReply.fingerprint(method: "POST", path: "/x", body: Data())
        try upgraded.storeIdempotentReply(
            IdempotentReply(status: 201, body: Data("{}".utf8), fingerprint: fingerprint), key: "k", at: Date())
        #expect(try upgraded.idempotentReply(key: "k")?.status == 201)
    }

    @Test func aBackupTakenWhileWritingIsConsistent() async throws {
        let volunteer = try store.registerVolunteer(name: "甲", role: .volunteer, phone: nil, at: clock.now())
        let store = self.store
        let now = clock.now()
        // The copy is taken once the writer has committed its first entries, while it goes on.
        let (started, begun) = AsyncStream.makeStream(of: Void.self)
        let writer = Task {
            for index in 0..<400 {
                _ = try store.post(volunteerID: volunteer.id, delta: 1, kind: .adjustment, source: "adjustment:\(index)", at: now)
                if index == 10 { begun.yield(()) }
            }
            begun.finish()
        }
        for await _ in started { break }
        let copy = directory.file("backup.sqlite")
        try store.backup(to: copy)
        try await writer.value
        let backup = try Store(path: copy)
        #expect(try backup.verifyLedger().isClean)
        let (entries, balance) = try await backup.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_entry")!, try Int.fetchOne(db, sql: "SELECT balance FROM volunteer")!)
        }
        #expect(entries >= 11 && entries == balance, "every entry in the copy is in its balance: \(entries), \(balance)")
        let integrity = try await backup.pool.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
        #expect(integrity == "ok")
        #expect(throws: YizhanError.self) { try store.backup(to: copy) }
    }

    @Test func badgeTokensAreStoredOnlyAsHashes() throws {
        let volunteer = try store.registerVolunteer(name: "甲", role: .volunteer, phone: nil, at: clock.now())
        let badge = try store.issueBadge(
            volunteerID: volunteer.id, card: nil, print: false, slips: SlipBuilder(rules: Fixtures.rules()), at: clock.now())
        let code = try #require(badge.code)
        #expect(code.hasPrefix("YZ:B:") && code.count >= 5 + 22)
        let token = String(code.dropFirst(5))
        let dump = try store.pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM badge").description }
        #expect(!dump.contains(token))
        #expect(try store.badges(volunteerID: volunteer.id).allSatisfy { $0.code == nil })
        _ = try store.issueBadge(
            volunteerID: volunteer.id, card: "04A1B2C3", print: false, slips: SlipBuilder(rules: Fixtures.rules()), at: clock.now())
        #expect(throws: YizhanError.self) {
            try store.issueBadge(
                volunteerID: volunteer.id, card: "04a1b2c3", print: false, slips: SlipBuilder(rules: Fixtures.rules()), at: clock.now())
        }
    }

    @Test func interruptedPrintJobsBecomeUncertainAndReprintsSayReprint() throws {
        _ = try store.enqueue(SlipBuilder(rules: Fixtures.rules()).testPage(at: clock.now()), at: clock.now())
        let job = try #require(try store.claimNextPrintJob(at: clock.now()))
        #expect(try store.markInterruptedPrintJobs(at: clock.now()) == 1)
        #expect(try store.claimNextPrintJob(at: clock.now()) == nil, "an uncertain job is never resent by itself")
        let reprint = try store.reprint(job.id, at: clock.now())
        #expect(reprint.reprintOf == job.id)
        #expect(try store.claimNextPrintJob(at: clock.now())?.slip.reprint == true)
    }
}
