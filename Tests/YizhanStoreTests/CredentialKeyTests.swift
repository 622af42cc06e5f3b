import Foundation
import GRDB
import StationTestSupport
import Testing
import YizhanCore
import YizhanCredentials
import YizhanTestSupport

@testable import YizhanStore

#if canImport(Glibc)
    import Glibc
#endif

/// Card UIDs are 4 to 7 bytes: stored under the station's own key, a copy of the database
/// does not give them away to a machine that tries every UID.
@Suite struct CredentialKeyTests {
    let uid = "04A1B2C3"

    func cardHash(_ harness: StationHarness) throws -> String? {
        try harness.store.pool.read { try String.fetchOne($0, sql: "SELECT credential_hash FROM badge WHERE kind = 'card'") }
    }

    @Test func aCardIsStoredUnderTheStationsKeyAndStillScans() async throws {
        let harness = try StationHarness()
        let volunteer = try harness.store.registerVolunteer(name: "甲", role: .volunteer, phone: nil, at: harness.clock.now())
        _ = try harness.store.issueBadge(
            volunteerID: volunteer.id, card: uid, print: false, slips: SlipBuilder(rules: harness.rules), at: harness.clock.now())
        let stored = try #require(try cardHash(harness))
        #expect(stored.hasPrefix("k1:") && !stored.contains(Credentials.unkeyedHash(cardUID: uid)))
        #expect(await harness.scan(uid).reason == .patrolStarted)

        var info = stat()
        #expect(stat(harness.directory.file("credential.key"), &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600 && info.st_size == 32)
        // Under another key (another station, a lost key file) the same card is not found.
        let other = CredentialKey(key: .init(size: .bits256))
        #expect(other.hash(cardUID: uid) != stored)
    }

    @Test func aCardFromBeforeTheKeyIsFoundOnceAndReHashed() async throws {
        let harness = try StationHarness()
        let volunteer = try harness.store.registerVolunteer(name: "乙", role: .volunteer, phone: nil, at: harness.clock.now())
        try await harness.store.pool.write { db in
            try db.execute(
                sql: "INSERT INTO badge (volunteer_id, kind, credential_hash, created_at) VALUES (?, 'card', ?, '2026-01-01T00:00:00Z')",
                arguments: [volunteer.id, Credentials.unkeyedHash(cardUID: uid)])
        }
        #expect(throws: YizhanError.self, "the old registration still counts") {
            try harness.store.issueBadge(
                volunteerID: volunteer.id, card: uid, print: false, slips: SlipBuilder(rules: harness.rules), at: harness.clock.now())
        }
        #expect(await harness.scan(uid).reason == .patrolStarted)
        #expect(try cardHash(harness) == harness.store.credentials.hash(cardUID: uid))
    }

    @Test func aDatabaseWithKeyedCardsRefusesToOpenWithoutItsKey() throws {
        let harness = try StationHarness()
        let volunteer = try harness.store.registerVolunteer(name: "丙", role: .volunteer, phone: nil, at: harness.clock.now())
        _ = try harness.store.issueBadge(
            volunteerID: volunteer.id, card: uid, print: false, slips: SlipBuilder(rules: harness.rules), at: harness.clock.now())
        try FileManager.default.removeItem(atPath: harness.directory.file("credential.key"))
        #expect {
            _ = try Store(stateDirectory: harness.directory.path)
        } throws: { error in
            "\(error)".contains("credential.key is missing and cards were registered under it")
        }
        #expect(!FileManager.default.fileExists(atPath: harness.directory.file("credential.key")), "no new key made in its place")
    }
}
