import Foundation
import StationTestSupport
import Testing
import YizhanCore
import YizhanCredentials
import YizhanStore
import YizhanTestSupport

/// What a station does with the district's registry when it pulls it.
@Suite struct RegistryTests {
    @Test func districtVolunteersAndBadgesArriveOnceAndARevocationFollows() async throws {
        let station = try StationHarness()
        let token = Credentials.newToken()
        var registry = DistrictRegistry(revision: 7)
        registry.volunteers = [.init(id: 40, name: "周九", role: .leader, active: true)]
        registry.badges = [
            .init(id: 90, volunteerID: 40, kind: "qr", credentialHash: Credentials.hash(qrToken: token), revoked: false),
            .init(id: 91, volunteerID: 40, kind: "card", credentialHash: Credentials.unkeyedHash(cardUID: "04A1B2C3"), revoked: false),
        ]
        let pulled = try station.store.apply(registry, at: station.clock.now())
        #expect(pulled.volunteers == 1 && pulled.badges == 2 && pulled.refusedBadges.isEmpty)
        #expect(try station.store.registryRevision() == 7)
        #expect(try station.store.changes().items.first?.actor == "district")

        // The card (found by its unkeyed hash) opens the patrol, the QR badge of the same
        // volunteer closes it.
        #expect(await station.scan("04a1b2c3").reason == .patrolStarted)
        await station.scan("YZ:C:extinguisher-1", after: 60)
        await station.scan("YZ:C:water-dispenser", after: 60)
        #expect(await station.scan("YZ:B:" + token, after: 240).reason == .patrolCompleted)

        // The same pull again changes nothing; a rename and a revocation do.
        _ = try station.store.apply(registry, at: station.clock.now())
        var later = DistrictRegistry(revision: 9)
        later.volunteers = [.init(id: 40, name: "周九（组长）", role: .leader, active: true)]
        later.badges = [.init(id: 90, volunteerID: 40, kind: "qr", credentialHash: Credentials.hash(qrToken: token), revoked: true)]
        let revoked = try station.store.apply(later, at: station.clock.now())
        #expect(revoked.revoked == 1 && revoked.badges == 0)
        #expect(await station.scan("YZ:B:" + token, after: 60).reason == .unknownBadge)
        let people = try station.store.volunteers().items.filter { $0.name.hasPrefix("周九") }
        #expect(people.map(\.name) == ["周九（组长）"], "one station volunteer for the district's one")
    }

    @Test func aCredentialTheStationAlreadyHoldsIsNotTakenTwice() throws {
        let station = try StationHarness()
        _ = try station.volunteer("本站志愿者")
        let held = try station.store.unsentRecords(limit: 1)  // nothing: the outbox is closed
        #expect(held.isEmpty)
        let token = Credentials.newToken()
        var registry = DistrictRegistry(revision: 1)
        registry.volunteers = [
            .init(id: 1, name: "甲", role: .volunteer, active: true), .init(id: 2, name: "乙", role: .volunteer, active: true),
        ]
        let hash = Credentials.hash(qrToken: token)
        registry.badges = [
            .init(id: 1, volunteerID: 1, kind: "qr", credentialHash: hash, revoked: false),
            .init(id: 2, volunteerID: 2, kind: "qr", credentialHash: hash, revoked: false),
        ]
        let pulled = try station.store.apply(registry, at: station.clock.now())
        #expect(pulled.badges == 1 && pulled.refusedBadges == [2])
    }

    @Test func aDistrictCampaignRunsBesideTheConfiguredOnesWithTheCheckpointsThisStationHas() async throws {
        let station = try StationHarness(at: "2026-12-20 09:00")
        var registry = DistrictRegistry(revision: 3)
        registry.campaigns = [.init(id: 5, name: "冬季供暖", from: "12-15", to: "02-28", checkpoints: ["heatstroke-kit", "boiler-room"])]
        _ = try station.store.apply(registry, at: station.clock.now())
        let campaigns = try station.store.districtCampaigns()
        #expect(campaigns.map(\.name) == ["冬季供暖"])

        let (_, badge) = try station.volunteer("李四")
        #expect(await station.scan("YZ:K:SPECIAL").reason == .noCampaign, "not yet pulled into the rules")
        await station.station.useDistrictCampaigns(campaigns)
        let rules = await station.station.currentRules
        #expect(rules.campaigns.last?.checkpoints == ["heatstroke-kit"], "a checkpoint this station lacks is not required here")
        #expect(await station.scan("YZ:K:SPECIAL").reason == .commandArmed)
        #expect(await station.scan(badge).reason == .patrolStarted)
    }
}
