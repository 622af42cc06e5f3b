import Foundation
import StationTestSupport
import Testing
import YizhanCore
import YizhanStore
import YizhanTestSupport
import YizhanWire

/// The patrol flows of SPEC 3.2 as the district runs them, through the station's scan path
/// on real SQLite: the group weekly patrol, patrols side by side, campaigns, the rota.
@Suite struct PatrolFlowTests {
    static let weeklyCheckpoints = ["extinguisher-1", "water-dispenser", "medicine-kit"]

    @Test func theLeadersGroupPatrolPaysEveryoneStillInIt() async throws {
        let station = try StationHarness(at: "2026-11-28 09:00")
        let (leader, leaderBadge) = try station.volunteer("组长", role: .leader)
        let (first, firstBadge) = try station.volunteer("队员甲")
        let (second, secondBadge) = try station.volunteer("队员乙")
        let (leaver, leaverBadge) = try station.volunteer("队员丙")
        #expect(await station.scan(leaderBadge).reason == .patrolStarted)
        #expect(await station.scan(firstBadge).reason == .patrolJoined)
        #expect(await station.scan(secondBadge).reason == .patrolJoined)
        #expect(await station.scan(leaverBadge).reason == .patrolJoined)
        // Anyone's checkpoint counts for the group, whoever scanned a badge last.
        for checkpoint in Self.weeklyCheckpoints {
            #expect(await station.scan("YZ:C:\(checkpoint)", after: 60).reason == .checkpointRecorded)
        }
        #expect(await station.scan(leaverBadge, after: 60).reason == .leftGroup)
        let closed = await station.scan(leaderBadge, after: 300)
        #expect(closed.reason == .patrolCompleted && closed.outcome == .accepted)
        #expect(try station.balance(leader.id) == 3)
        #expect(try station.balance(first.id) == 3)
        #expect(try station.balance(second.id) == 3)
        #expect(try station.balance(leaver.id) == 0)

        let patrols = try station.store.patrols().items
        #expect(patrols.allSatisfy { $0.kind == .weeklyFull } && patrols.count == 4)
        #expect(patrols.filter { $0.state == .completed }.map(\.volunteerID).sorted() == [leader.id, first.id, second.id])
        let left = try #require(patrols.first { $0.volunteerID == leaver.id })
        #expect(left.state == .incomplete && left.noAwardReason == .leftGroup)
        let ledger = try station.store.ledger(volunteerID: first.id).items
        #expect(ledger.map(\.delta) == [3], "paid once")

        let slips = try station.store.printJobs().items.filter { $0.slip == .patrol }
        #expect(slips.count == 2, "one slip for the one who left, one for the group")
    }

    @Test func theLeadersBadgeInTheGroupDoesNotCloseItWhileAnotherPatrolIsCurrent() async throws {
        let station = try StationHarness(at: "2026-11-28 09:00")
        let (_, leaderBadge) = try station.volunteer("组长", role: .leader)
        let (_, memberBadge) = try station.volunteer("队员")
        await station.scan(leaderBadge)
        await station.scan(memberBadge)
        station.clock.advance(by: .seconds(11 * 60))
        // The slot is over: a newcomer now... joins, since the group is still open.
        let (_, lateBadge) = try station.volunteer("后来者")
        #expect(await station.scan(lateBadge).reason == .patrolJoined)
        #expect(await station.scan(leaderBadge).reason == .patrolIncomplete, "the group is current: the leader's badge closes it")
        #expect(try station.store.openPatrols().isEmpty, "closing the group closes its members")
    }

    @Test func theGroupPatrolExpiresWithEveryoneInIt() async throws {
        let station = try StationHarness(at: "2026-11-28 09:00")
        let (_, leaderBadge) = try station.volunteer("组长", role: .leader)
        let (_, memberBadge) = try station.volunteer("队员")
        await station.scan(leaderBadge)
        await station.scan(memberBadge, after: 600)  // joins ten minutes later: their own clock would run on
        station.clock.advance(by: .seconds(111 * 60))
        await station.station.expirePatrols()
        #expect(try station.store.patrols().items.map(\.state) == [.expired, .expired])
        #expect(await station.scan(memberBadge).reason == .patrolStarted, "the member is free again")
    }

    @Test func twoVolunteersPatrollingAtOnceAlternateAndBothComplete() async throws {
        let station = try StationHarness(at: "2026-11-30 09:00")
        let (first, firstBadge) = try station.volunteer("甲")
        let (second, secondBadge) = try station.volunteer("乙")
        #expect(await station.scan(firstBadge).reason == .patrolStarted)
        #expect(await station.scan(secondBadge).reason == .patrolStarted)
        #expect(await station.scan("YZ:C:extinguisher-1", after: 60).reason == .checkpointRecorded)  // 乙's
        #expect(await station.scan(firstBadge, after: 30).reason == .patrolResumed, "甲 takes the kiosk back instead of closing")
        #expect(await station.scan("YZ:C:extinguisher-1", after: 30).reason == .checkpointRecorded)
        #expect(await station.scan("YZ:C:water-dispenser", after: 60).reason == .checkpointRecorded)
        #expect(await station.scan(secondBadge, after: 60).reason == .patrolResumed)
        #expect(await station.scan("YZ:C:water-dispenser", after: 60).reason == .checkpointRecorded)
        // Ten quiet minutes: neither is current, and a checkpoint cannot be placed...
        station.clock.advance(by: .seconds(11 * 60))
        #expect(await station.scan("YZ:C:water-dispenser").reason == .ambiguousPatrol)
        // ...until a badge makes its patrol current again, without closing it.
        #expect(await station.scan(secondBadge).reason == .patrolResumed)
        #expect(await station.scan(secondBadge, after: 5).reason == .patrolCompleted)
        #expect(await station.scan(firstBadge, after: 5).reason == .patrolCompleted, "the only one open closes at once")
        #expect(try station.balance(first.id) == 2)
        #expect(try station.balance(second.id) == 2)
        let patrols = try station.store.patrols().items
        #expect(patrols.map(\.checkpoints) == [["extinguisher-1", "water-dispenser"], ["extinguisher-1", "water-dispenser"]])
    }

    @Test func aCampaignDayRunsDailyKeyPeriodAndSpecialPatrolsEachAtItsRate() async throws {
        let station = try StationHarness(at: "2026-07-15 09:00")
        let (first, firstBadge) = try station.volunteer("甲")
        let (second, secondBadge) = try station.volunteer("乙")
        let (third, thirdBadge) = try station.volunteer("丙")

        #expect(await station.scan(firstBadge).message.contains("日常巡查"))
        await station.scan("YZ:C:extinguisher-1", after: 60)
        await station.scan("YZ:C:water-dispenser", after: 60)
        await station.scan(firstBadge, after: 300)
        #expect(try station.balance(first.id) == 2, "daily")

        #expect(await station.scan("YZ:K:SPECIAL", after: 60).reason == .commandArmed)
        #expect(await station.scan(firstBadge).message.contains("专项巡查"))
        for checkpoint in ["extinguisher-1", "water-dispenser", "heatstroke-kit"] {
            await station.scan("YZ:C:\(checkpoint)", after: 60)
        }
        await station.scan(firstBadge, after: 300)
        #expect(try station.balance(first.id) == 6, "daily 2 + special 4")

        station.advance(to: "2026-07-15 11:30")
        await station.dailyPatrol(firstBadge)
        #expect(try station.balance(first.id) == 9, "+ key period 3")

        // The daily cap still holds on a campaign day: 乙 takes the second place, 丙 none.
        station.advance(to: "2026-07-15 15:00")
        await station.dailyPatrol(secondBadge)
        #expect(await station.scan(thirdBadge).reason == .dailyCapReached)
        await station.scan("YZ:C:extinguisher-1", after: 60)
        await station.scan("YZ:C:water-dispenser", after: 60)
        await station.scan(thirdBadge, after: 300)
        #expect(try station.balance(second.id) == 2)
        #expect(try station.balance(third.id) == 0)

        let kinds = try station.store.patrols(state: .completed).items.map(\.kind)
        #expect(kinds.sorted { $0.rawValue < $1.rawValue } == [.daily, .daily, .daily, .keyPeriod, .special])
    }

    @Test func theSpecialCardOutsideACampaignIsRefusedAndChangesNothing() async throws {
        let station = try StationHarness(at: "2026-11-30 09:00")
        let (_, badge) = try station.volunteer("甲")
        let refused = await station.scan("YZ:K:SPECIAL")
        #expect(refused.outcome == .error && refused.reason == .noCampaign)
        #expect(await station.scan(badge).message.contains("日常巡查"), "the badge after it opens an ordinary patrol")
    }

    @Test func aDatedCampaignRunsOnItsDaysOnly() async throws {
        var rules = Fixtures.rules()
        rules.campaigns = [
            Campaign(name: "春节", period: .dated(from: LocalDay("2027-01-28")!, to: LocalDay("2027-02-04")!), checkpoints: [])
        ]
        let station = try StationHarness(at: "2027-01-30 09:00", rules: rules)
        let (_, badge) = try station.volunteer("甲")
        #expect(await station.scan("YZ:K:SPECIAL").reason == .commandArmed)
        #expect(await station.scan(badge).message.contains("专项巡查"))
        let nextYear = try StationHarness(at: "2028-01-30 09:00", rules: rules)
        #expect(await nextYear.scan("YZ:K:SPECIAL").reason == .noCampaign)
    }

    @Test func onARotaDayAnOffDutyVolunteersDailyPatrolEarnsNothingAndTheReportSaysSo() async throws {
        let station = try StationHarness(at: "2026-11-30 09:00")
        let (onDuty, onDutyBadge) = try station.volunteer("值班员")
        let (offDuty, offDutyBadge) = try station.volunteer("非值班")
        let (absent, _) = try station.volunteer("缺勤")
        let today = try #require(LocalDay("2026-11-30"))
        let tomorrow = today.next
        _ = try station.store.setRota(today, volunteers: [onDuty.id], maximum: 2, today: today, by: "manager", at: station.clock.now())
        _ = try station.store.setRota(tomorrow, volunteers: [absent.id], maximum: 2, today: today, by: "manager", at: station.clock.now())

        let started = await station.scan(offDutyBadge)
        #expect(started.reason == .notOnDuty && started.outcome == .attention)
        await station.scan("YZ:C:extinguisher-1", after: 60)
        await station.scan("YZ:C:water-dispenser", after: 60)
        #expect(await station.scan(offDutyBadge, after: 300).reason == .notOnDuty)
        await station.dailyPatrol(onDutyBadge)
        #expect(try station.balance(offDuty.id) == 0)
        #expect(try station.balance(onDuty.id) == 2)

        // Two days later: today was kept, tomorrow was missed and had no daily patrol at all.
        let later = try #require(LocalDay("2026-12-02"))
        let report = try station.store.summary(from: today, to: later, today: later, calendar: station.rules.calendar)
        #expect(report.uncoveredDays.map(\.day) == ["2026-12-01", "2026-12-02"])
        #expect(report.uncoveredDays.first?.onDuty.map(\.name) == ["缺勤"])
        #expect(report.dutyKept == 1 && report.dutyMissed == 1)
        #expect(report.rota.map(\.day) == ["2026-11-30", "2026-12-01"])
    }

    @Test func theRotaRefusesPastDaysTooManyVolunteersAndInactiveOnes() throws {
        let station = try StationHarness(at: "2026-11-30 09:00")
        let (first, _) = try station.volunteer("甲")
        let (second, _) = try station.volunteer("乙")
        let (third, _) = try station.volunteer("丙")
        let today = try #require(LocalDay("2026-11-30"))
        let now = station.clock.now()
        func set(_ day: LocalDay, _ ids: [Int64]) throws {
            _ = try station.store.setRota(day, volunteers: ids, maximum: 2, today: today, by: nil, at: now)
        }
        #expect(throws: YizhanError.self) { try set(try #require(LocalDay("2026-11-29")), [first.id]) }
        #expect(throws: YizhanError.self) { try set(today, [first.id, second.id, third.id]) }
        #expect(throws: YizhanError.self) { try set(today, [first.id, first.id]) }
        _ = try station.store.updateVolunteer(third.id, name: nil, role: nil, phone: nil, active: false, at: now)
        #expect(throws: YizhanError.self) { try set(today, [third.id]) }
        #expect(try station.store.rota(from: today, to: today).isEmpty, "nothing refused was kept")
        try set(today, [first.id, second.id])
        try set(today, [])
        #expect(try station.store.rota(from: today, to: today).isEmpty, "an empty list clears the day")
    }

    @Test func theBalanceSlipListsOnlyGoodsTheVolunteerCanTakeNow() async throws {
        let station = try StationHarness()
        let (volunteer, badge) = try station.volunteer("甲", points: 100)
        _ = try station.store.updateCatalogItem("soap", stock: 0, active: nil, at: station.clock.now())
        for _ in 0..<2 {
            await station.scan("YZ:I:towel", after: 5)
            #expect(await station.scan(badge).reason == .redeemed)
        }
        await station.scan("YZ:K:BALANCE", after: 5)
        #expect(await station.scan(badge).reason == .balancePrinted)
        let job = try #require(try station.store.printJobs().items.first { $0.slip == .balance })
        let slip = try station.store.printJobSlip(job.id)
        let text = slip.lines.map { "\($0)" }.joined(separator: "\n")
        #expect(!text.contains("毛巾"), "towels are past the monthly limit")
        #expect(!text.contains("肥皂"), "soap is out of stock")
        #expect(try station.balance(volunteer.id) == 60)
    }

    @Test func anOverdueHazardIsAnnouncedOnceAndAgainOnlyForANewDeadline() async throws {
        let station = try StationHarness(at: "2026-11-30 09:00")
        let (_, badge) = try station.volunteer("甲")
        await station.scan(badge)
        await station.scan("YZ:K:HAZARD")
        await station.scan("YZ:C:water-dispenser")
        let rulebook = HazardRulebook(rules: station.rules)
        let slips = SlipBuilder(rules: station.rules)
        func move(_ to: HazardState, deadline: String? = nil) throws {
            _ = try station.store.transitionHazard(
                1, to: to, note: nil, deadline: deadline.flatMap(LocalDay.init), actorID: nil, by: "manager", rulebook: rulebook,
                slips: slips, at: station.clock.now())
        }
        try move(.confirmed)
        try move(.rectifying, deadline: "2026-12-01")
        let today = try #require(LocalDay("2026-12-01"))
        #expect(try station.store.announceOverdueHazards(today: today, at: station.clock.now()).isEmpty, "due today is not overdue")
        let later = today.next
        #expect(try station.store.announceOverdueHazards(today: later, at: station.clock.now()).map(\.id) == [1])
        #expect(try station.store.announceOverdueHazards(today: later, at: station.clock.now()).isEmpty, "announced once")
        #expect(try station.store.overdueHazards(today: later).map(\.deadline) == ["2026-12-01"], "still overdue")
        try move(.rectified)
        try move(.reopened)
        try move(.rectifying, deadline: "2026-12-05")
        #expect(try station.store.overdueHazards(today: later).isEmpty)
        let afterNewDeadline = try #require(LocalDay("2026-12-06"))
        #expect(try station.store.announceOverdueHazards(today: afterNewDeadline, at: station.clock.now()).map(\.id) == [1])
        let actions = try station.store.changes().items.map(\.action)
        #expect(actions.prefix(3) == ["hazard.rectifying", "hazard.reopened", "hazard.rectified"])
        #expect(try station.store.changes().items.filter { $0.action.hasPrefix("hazard.") }.allSatisfy { $0.actor == "manager" })
    }
}
