import Foundation
import StationTestSupport
import Testing
import YizhanCore
import YizhanStore
import YizhanTestSupport
import YizhanWire

/// The rules of SPEC 3 and 4 through the station's one scan path on real SQLite.
@Suite struct StationScenarioTests {
    @Test func aCompletePatrolPostsItsPointsAndPrintsASlip() async throws {
        let station = try StationHarness()
        let (volunteer, badge) = try station.volunteer("张三")
        let finished = await station.dailyPatrol(badge)
        #expect(finished.outcome == .accepted)
        #expect(finished.reason == .patrolCompleted)
        #expect(try station.balance(volunteer.id) == 2)
        let ledger = try station.store.ledger(volunteerID: volunteer.id).items
        #expect(ledger.map(\.kind) == [.patrolAward])
        #expect(try station.store.printJobs().items.map(\.slip) == [.patrol])
        let patrol = try #require(try station.store.patrols().items.first)
        #expect(patrol.state == .completed && patrol.points == 2 && patrol.checkpoints == ["extinguisher-1", "water-dispenser"])
    }

    @Test func keyPeriodAndSpecialPatrolsPayMore() async throws {
        let lunch = try StationHarness(at: "2026-11-30 11:30")
        let (first, badge) = try lunch.volunteer("甲")
        await lunch.dailyPatrol(badge)
        #expect(try lunch.balance(first.id) == 3)

        let summer = try StationHarness(at: "2026-07-15 08:00")
        let (second, badge2) = try summer.volunteer("乙")
        await summer.scan("YZ:K:SPECIAL")
        await summer.scan(badge2)
        await summer.scan("YZ:C:extinguisher-1", after: 60)
        await summer.scan("YZ:C:water-dispenser", after: 60)
        let missing = await summer.scan(badge2, after: 300)
        #expect(missing.reason == .patrolIncomplete, "a special patrol also needs the campaign's checkpoint")
        await summer.scan("YZ:K:SPECIAL", after: 60)
        await summer.scan(badge2)
        await summer.scan("YZ:C:extinguisher-1", after: 60)
        await summer.scan("YZ:C:water-dispenser", after: 60)
        await summer.scan("YZ:C:heatstroke-kit", after: 60)
        #expect(await summer.scan(badge2, after: 300).reason == .patrolCompleted)
        #expect(try summer.balance(second.id) == 4)
    }

    @Test func oneAwardPerKindPerDayAndTheDailyCap() async throws {
        let station = try StationHarness()
        let (first, badge1) = try station.volunteer("甲")
        let (_, badge2) = try station.volunteer("乙")
        let (third, badge3) = try station.volunteer("丙")
        await station.dailyPatrol(badge1)
        let again = await station.scan(badge1)
        #expect(again.reason == .alreadyAwarded)
        await station.scan(badge1, after: 10)  // closes the second patrol, incomplete
        await station.dailyPatrol(badge2)
        let capped = await station.scan(badge3)
        #expect(capped.outcome == .attention)
        #expect(capped.reason == .dailyCapReached)
        await station.scan("YZ:C:extinguisher-1", after: 60)
        await station.scan("YZ:C:water-dispenser", after: 60)
        let finished = await station.scan(badge3, after: 300)
        #expect(finished.outcome == .attention)
        #expect(try station.balance(third.id) == 0)
        #expect(try station.balance(first.id) == 2)
    }

    @Test func aHazardConfirmedByTheManagerPaysTheBonusOnce() async throws {
        let station = try StationHarness()
        let (volunteer, badge) = try station.volunteer("张三")
        await station.scan(badge)
        await station.scan("YZ:K:HAZARD")
        let report = await station.scan("YZ:C:water-dispenser")
        #expect(report.reason == .hazardReported)
        let hazard = try #require(try station.store.hazards().items.first)
        #expect(hazard.state == .reported && hazard.reporterID == volunteer.id)
        let rulebook = HazardRulebook(rules: station.rules)
        let slips = SlipBuilder(rules: station.rules)
        _ = try station.store.transitionHazard(
            hazard.id, to: .confirmed, note: nil, deadline: nil, actorID: nil, rulebook: rulebook, slips: slips, at: station.clock.now())
        #expect(try station.balance(volunteer.id) == 2)
        #expect(throws: YizhanError.self) {
            try station.store.transitionHazard(
                hazard.id, to: .confirmed, note: nil, deadline: nil, actorID: nil, rulebook: rulebook, slips: slips, at: station.clock.now()
            )
        }
        #expect(throws: YizhanError.self) {
            try station.store.post(
                volunteerID: volunteer.id, delta: 2, kind: .hazardBonus, source: LedgerSource.hazard(hazard.id), at: station.clock.now())
        }
        #expect(try station.balance(volunteer.id) == 2)
        _ = try station.store.transitionHazard(
            hazard.id, to: .rectifying, note: nil, deadline: LocalDay("2026-12-02"), actorID: nil, rulebook: rulebook, slips: slips,
            at: station.clock.now())
        #expect(try station.store.printJobs().items.first?.slip == .hazardNotice)
    }

    @Test func openPatrolsExpireWithoutPointsOrSlip() async throws {
        let station = try StationHarness()
        let (volunteer, badge) = try station.volunteer("张三")
        await station.scan(badge)
        await station.scan("YZ:C:extinguisher-1")
        station.clock.advance(by: .seconds(121 * 60))
        await station.station.expirePatrols()
        let patrol = try #require(try station.store.patrols().items.first)
        #expect(patrol.state == .expired)
        #expect(try station.balance(volunteer.id) == 0)
        #expect(try station.store.printJobs().items.isEmpty)
        #expect(await station.scan(badge).reason == .patrolStarted, "the badge opens a new patrol")
    }

    @Test func theSameScanWithinThreeSecondsIsOneScan() async throws {
        let station = try StationHarness()
        let (_, badge) = try station.volunteer("张三")
        await station.scan(badge)
        let first = await station.scan(badge, after: 4)
        let second = await station.scan(badge, after: 1)
        #expect(first.reason == .patrolIncomplete)
        #expect(second.reason == .debounced)
        #expect(try station.store.printJobs().items.count == 1, "no second slip")
        #expect(try station.store.patrols().items.count == 1, "no second patrol")
        #expect(try station.store.scans().items.count == 3, "every scan is recorded")
    }

    @Test func redeemCollectAndCancel() async throws {
        let station = try StationHarness()
        let (volunteer, badge) = try station.volunteer("张三", points: 50)
        #expect(await station.scan("YZ:I:towel").outcome == .attention)
        let redeemed = await station.scan(badge)
        #expect(redeemed.reason == .redeemed)
        #expect(try station.balance(volunteer.id) == 30)
        #expect(try station.store.catalog().first { $0.id == "towel" }?.stock == 29)
        let redemption = try #require(try station.store.redemptions().items.first)
        #expect(await station.scan("YZ:R:\(redemption.code)").reason == .collected)
        #expect(await station.scan("YZ:R:\(redemption.code)").reason == .alreadyCollected)
        #expect(throws: YizhanError.self) { try station.store.cancelRedemption(redemption.code, note: nil, at: station.clock.now()) }

        await station.scan("YZ:I:towel")
        await station.scan(badge)
        let second = try #require(try station.store.redemptions(state: .issued).items.first)
        #expect(try station.balance(volunteer.id) == 10)
        _ = try station.store.cancelRedemption(second.code, note: "changed mind", at: station.clock.now())
        #expect(try station.balance(volunteer.id) == 30)
        #expect(try station.store.catalog().first { $0.id == "towel" }?.stock == 29)
        #expect(try station.store.ledger(volunteerID: volunteer.id).items.first?.kind == .reversal)
        #expect(try station.store.volunteer(volunteer.id).earned == 0, "redemptions and their reversals do not count as earned")
        #expect(try station.store.verifyLedger().isClean)
    }

    @Test func concurrentScannersKeepTheirOwnSelections() async throws {
        let station = try StationHarness()
        var badges: [String] = []
        for index in 0..<3 {
            badges.append(try station.volunteer("志愿者\(index)", points: 100).1)
        }
        let replies = await withTaskGroup(of: [ScanReason].self) { group in
            for (index, badge) in badges.enumerated() {
                group.addTask {
                    var reasons: [ScanReason] = []
                    for _ in 0..<5 {
                        _ = await station.station.scan("YZ:I:towel", scanner: "s\(index)")
                        reasons.append(await station.station.scan(badge, scanner: "s\(index)").reason)
                    }
                    return reasons
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(replies.filter { $0 == .redeemed }.count == 6, "two towels each, then the monthly limit")
        #expect(replies.filter { $0 == .monthlyLimit }.count == 9)
        #expect(try station.store.patrols().items.isEmpty, "no badge fell through to opening a patrol")
    }

    @Test func redemptionsAreRefusedForBalanceStockAndLimit() async throws {
        let station = try StationHarness()
        let (_, poor) = try station.volunteer("甲", points: 3)
        await station.scan("YZ:I:soap")
        #expect(await station.scan(poor).reason == .insufficientPoints)

        let (rich, richBadge) = try station.volunteer("乙", points: 100)
        await station.scan("YZ:I:soap")
        #expect(await station.scan(richBadge).reason == .redeemed)
        await station.scan("YZ:I:soap")
        #expect(await station.scan(richBadge).reason == .outOfStock)
        for _ in 0..<2 {
            await station.scan("YZ:I:towel")
            #expect(await station.scan(richBadge).reason == .redeemed)
        }
        await station.scan("YZ:I:towel")
        #expect(await station.scan(richBadge).reason == .monthlyLimit)
        #expect(try station.balance(rich.id) == 100 - 4 - 40)
        let refusals = try station.store.printJobs().items.filter { $0.slip == .refusal }
        #expect(refusals.count == 3)
    }

    @Test func balancesNeverGoNegativeAndVoidingReversesPoints() async throws {
        let station = try StationHarness()
        let (volunteer, badge) = try station.volunteer("张三")
        #expect(throws: YizhanError.self) {
            try station.store.adjust(volunteerID: volunteer.id, delta: -1, note: "x", at: station.clock.now())
        }
        await station.dailyPatrol(badge)
        let patrol = try #require(try station.store.patrols().items.first)
        _ = try station.store.voidPatrol(patrol.id, note: "too fast", at: station.clock.now())
        let after = try station.store.volunteer(volunteer.id)
        #expect(after.balance == 0 && after.earned == 0)
        let voided = try #require(try station.store.patrols().items.first)
        #expect(voided.state == .voided && voided.points == 0, "a voided patrol no longer shows the points it lost")
        #expect(throws: YizhanError.self) { try station.store.voidPatrol(patrol.id, note: nil, at: station.clock.now()) }
    }

    @Test func tiersOnTheBalanceSlipUseEarnedPoints() async throws {
        let station = try StationHarness()
        let (volunteer, badge) = try station.volunteer("张三")
        await station.dailyPatrol(badge)
        await station.scan("YZ:K:BALANCE")
        #expect(await station.scan(badge).reason == .balancePrinted)
        #expect(try station.store.patrols().items.count == 1, "the badge did not open a patrol")
        #expect(try station.store.volunteer(volunteer.id).earned == 2)
    }

    @Test func rejectedScansChangeNothingButAreRecorded() async throws {
        let station = try StationHarness()
        for payload in ["https://snack.example/qr", String(repeating: "9", count: 600), "YZ:C:not-a-checkpoint", "YZ:C:extinguisher-1"] {
            #expect(await station.scan(payload).outcome == .error)
        }
        #expect(await station.station.scan(bytes: [0xFF, 0x00, 0x41], scanner: "front").reason == .controlBytes)
        #expect(try station.store.scans().items.count == 5)
        #expect(try station.store.patrols().items.isEmpty)
    }

    @Test func scansRecordWhetherTheClockWasSynchronised() async throws {
        let station = try StationHarness()
        station.clock.setWall(Fixtures.date("2026-11-30 09:00"), synchronised: false)
        await station.scan("YZ:K:CANCEL")
        #expect(try station.store.scans().items.first?.clockSynced == false)
    }
}
