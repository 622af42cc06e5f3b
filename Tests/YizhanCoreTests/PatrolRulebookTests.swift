import Foundation
import Testing
import YizhanCore
import YizhanTestSupport

@Suite struct PatrolRulebookTests {
    let rulebook = PatrolRulebook(rules: Fixtures.rules())

    func open(_ volunteer: Int64, at clock: ManualClock, leader: Bool = false, patrols: [OpenPatrol] = [], tally: AwardTally = AwardTally())
        -> PatrolRulebook.Opening
    {
        rulebook.opening(volunteerID: volunteer, leader: leader, at: clock.now(), openPatrols: patrols, tally: tally)
    }

    @Test func kindFollowsTheTimeOfDay() {
        #expect(open(1, at: Fixtures.clock("2026-11-30 09:00")).kind == .daily)
        let lunch = open(1, at: Fixtures.clock("2026-11-30 11:15"))
        #expect(lunch.kind == .keyPeriod)
        #expect(lunch.awardKey == "1/key_period/2026-11-30/w0")
        #expect(open(1, at: Fixtures.clock("2026-11-30 18:00")).awardKey == "1/key_period/2026-11-30/w1")
        #expect(open(1, at: Fixtures.clock("2026-11-30 13:30")).kind == .daily, "the window's end is exclusive")
    }

    @Test func anActiveCampaignMakesEveryPatrolSpecial() {
        let opening = open(1, at: Fixtures.clock("2026-07-15 12:00"))
        #expect(opening.kind == .special)
        #expect(rulebook.rules.requiredCheckpoints(for: .special, openedAt: Fixtures.date("2026-07-15 12:00")).contains("heatstroke-kit"))
        #expect(!rulebook.rules.requiredCheckpoints(for: .daily, openedAt: Fixtures.date("2026-07-15 12:00")).contains("heatstroke-kit"))
    }

    @Test func campaignsCanWrapTheYear() {
        let holidays = Campaign(name: "春节", from: MonthDay(month: 12, day: 20), to: MonthDay(month: 1, day: 10))
        #expect(holidays.covers(MonthDay(month: 1, day: 5)))
        #expect(holidays.covers(MonthDay(month: 12, day: 31)))
        #expect(!holidays.covers(MonthDay(month: 2, day: 1)))
    }

    @Test func aLeaderInTheWeeklySlotOpensTheWeeklyPatrolAndOthersJoinIt() {
        let saturday = Fixtures.clock("2026-11-28 09:30")
        #expect(open(1, at: saturday, leader: false).kind == .daily)
        let leader = open(1, at: saturday, leader: true)
        #expect(leader.kind == .weeklyFull)
        let leaderPatrol = OpenPatrol(
            id: 7, volunteerID: 1, kind: .weeklyFull, openedAt: saturday.now(), awardKey: leader.awardKey, leader: true)
        saturday.advance(by: .seconds(5400))  // 11:00, past the slot: joiners still join the open patrol
        let joiner = open(2, at: saturday, patrols: [leaderPatrol])
        #expect(joiner.kind == .weeklyFull)
        #expect(joiner.joinedPatrolID == 7)
        #expect(open(3, at: Fixtures.clock("2026-11-30 09:30"), leader: true).kind == .daily, "Monday is not the weekly slot")
    }

    @Test func oneAwardPerKindPerDayAndTheDailyCap() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        let taken = open(1, at: clock, tally: AwardTally(takenKeys: ["1/daily/2026-11-30"]))
        #expect(taken.awardKey == nil)
        #expect(taken.noAwardReason == .alreadyAwarded)

        let capped = open(3, at: clock, tally: AwardTally(dailyAwards: 1, openDailyClaims: 1))
        #expect(capped.kind == .daily)
        #expect(capped.noAwardReason == .dailyCapReached)
        #expect(open(3, at: clock, tally: AwardTally(dailyAwards: 1)).noAwardReason == nil)
        #expect(
            open(3, at: Fixtures.clock("2026-11-30 12:00"), tally: AwardTally(dailyAwards: 2)).noAwardReason == nil,
            "the cap is for daily patrols")
    }

    func patrol(kind: PatrolKind, openedAt clock: ManualClock, checks: [String], spacing: Duration = .seconds(60)) -> OpenPatrol {
        var at = clock.now()
        let checks = checks.map { id in
            at = at.advanced(by: spacing)
            return PatrolCheck(checkpointID: id, at: at)
        }
        return OpenPatrol(id: 1, volunteerID: 1, kind: kind, openedAt: clock.now(), awardKey: "1/\(kind.rawValue)/x", checks: checks)
    }

    @Test(arguments: [(PatrolKind.daily, 2), (.keyPeriod, 3), (.special, 4), (.weeklyFull, 3)])
    func completedPatrolsEarnTheirKindsPoints(kind: PatrolKind, points: Int) {
        let clock = Fixtures.clock("2026-11-30 09:00")
        let all = ["extinguisher-1", "water-dispenser", "medicine-kit", "heatstroke-kit"]
        let patrol = patrol(kind: kind, openedAt: clock, checks: all)
        clock.advance(by: .seconds(6 * 60))
        let closing = rulebook.closing(patrol, at: clock.now(), tally: AwardTally())
        #expect(closing.state == .completed)
        #expect(closing.points == points)
        #expect(closing.awardKey == patrol.awardKey)
    }

    @Test func tooShortOrMissingCheckpointsIsIncompleteWithNoPoints() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        let short = patrol(kind: .daily, openedAt: clock, checks: ["extinguisher-1", "water-dispenser"])
        clock.advance(by: .seconds(4 * 60))
        let early = rulebook.closing(short, at: clock.now(), tally: AwardTally())
        #expect(early.state == .incomplete)
        #expect(early.points == 0)
        #expect(early.missing.isEmpty)

        clock.advance(by: .seconds(10 * 60))
        let weekly = patrol(kind: .weeklyFull, openedAt: Fixtures.clock("2026-11-30 09:00"), checks: ["extinguisher-1"])
        let missing = rulebook.closing(weekly, at: clock.now(), tally: AwardTally())
        #expect(missing.state == .incomplete)
        #expect(missing.missing == ["water-dispenser", "medicine-kit"])
        #expect(missing.awardKey == nil)
    }

    @Test func theCapIsCheckedAgainAtTheFinish() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        let patrol = patrol(kind: .daily, openedAt: clock, checks: ["extinguisher-1", "water-dispenser"])
        clock.advance(by: .seconds(600))
        let closing = rulebook.closing(patrol, at: clock.now(), tally: AwardTally(dailyAwards: 2))
        #expect(closing.state == .completed)
        #expect(closing.points == 0)
        #expect(closing.noAwardReason == .dailyCapReached)
    }

    @Test func checkpointsScannedSecondsApartAreFlaggedFast() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        let fast = patrol(kind: .daily, openedAt: clock, checks: ["extinguisher-1", "water-dispenser"], spacing: .seconds(2))
        clock.advance(by: .seconds(600))
        #expect(rulebook.closing(fast, at: clock.now(), tally: AwardTally()).flaggedFast)
        let steady = patrol(kind: .daily, openedAt: clock, checks: ["extinguisher-1", "water-dispenser"], spacing: .seconds(30))
        #expect(!rulebook.isFast(steady.checks))
    }

    @Test func patrolsExpireAfterTheMaximumOrAtTheEndOfTheDay() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        let morning = OpenPatrol(id: 1, volunteerID: 1, kind: .daily, openedAt: clock.now(), awardKey: nil)
        clock.advance(by: .seconds(119 * 60))
        #expect(!rulebook.hasExpired(morning, at: clock.now()))
        #expect(rulebook.timeUntilNextExpiry(of: [morning], now: clock.now()) == .seconds(60))
        clock.advance(by: .seconds(60))
        #expect(rulebook.hasExpired(morning, at: clock.now()))

        let late = Fixtures.clock("2026-11-30 23:30")
        let evening = OpenPatrol(id: 2, volunteerID: 1, kind: .daily, openedAt: late.now(), awardKey: nil)
        #expect(rulebook.timeUntilNextExpiry(of: [evening], now: late.now()) == .seconds(30 * 60))
        late.advance(by: .seconds(30 * 60))
        #expect(rulebook.hasExpired(evening, at: late.now()))
    }

    @Test func durationsUseTheMonotonicClockEvenWhenTheWallClockJumps() {
        let clock = Fixtures.clock("2026-11-30 09:00", synchronised: false)
        let opened = clock.now()
        clock.advance(by: .seconds(600))
        clock.setWall(Fixtures.date("2026-11-30 08:00"))  // synchronisation steps the wall clock back
        #expect(clock.now().elapsed(since: opened) == .seconds(600))
        clock.reboot(wall: Fixtures.date("2026-11-30 09:20"))
        #expect(clock.now().elapsed(since: opened) == .seconds(20 * 60), "across a reboot only the wall clock links the two")
    }

    @Test func checkpointsGoToTheLatestBadgeWithinTenMinutes() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        let first = OpenPatrol(id: 1, volunteerID: 1, kind: .daily, openedAt: clock.now(), awardKey: nil)
        let second = OpenPatrol(id: 2, volunteerID: 2, kind: .daily, openedAt: clock.now(), awardKey: nil)
        #expect(rulebook.routeCheckpoint(openPatrols: [], lastBadge: nil, at: clock.now()) == .noOpenPatrol)
        #expect(rulebook.routeCheckpoint(openPatrols: [first], lastBadge: nil, at: clock.now()) == .patrol(first))
        let mark = BadgeMark(patrolID: 2, at: clock.now())
        #expect(rulebook.routeCheckpoint(openPatrols: [first, second], lastBadge: mark, at: clock.now()) == .patrol(second))
        clock.advance(by: .seconds(11 * 60))
        #expect(rulebook.routeCheckpoint(openPatrols: [first, second], lastBadge: mark, at: clock.now()) == .ambiguous)
    }
}
