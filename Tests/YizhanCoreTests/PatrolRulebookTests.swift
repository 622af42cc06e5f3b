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

    @Test func campaignsAddSpecialPatrolsAndChangeNoOtherKind() {
        let lunch = Fixtures.clock("2026-07-15 12:00")
        #expect(open(1, at: lunch).kind == .keyPeriod, "a campaign day keeps its key periods")
        #expect(open(1, at: Fixtures.clock("2026-07-15 09:00")).kind == .daily, "and its daily patrols")
        let special = rulebook.opening(volunteerID: 1, leader: false, special: true, at: lunch.now(), openPatrols: [], tally: AwardTally())
        #expect(special.kind == .special && special.awardKey == "1/special/2026-07-15")
        #expect(rulebook.rules.requiredCheckpoints(for: .special, openedAt: Fixtures.date("2026-07-15 12:00")).contains("heatstroke-kit"))
        #expect(!rulebook.rules.requiredCheckpoints(for: .daily, openedAt: Fixtures.date("2026-07-15 12:00")).contains("heatstroke-kit"))
    }

    @Test func campaignsCanWrapTheYear() throws {
        let holidays = Campaign(name: "冬季取暖", from: MonthDay(month: 12, day: 20), to: MonthDay(month: 1, day: 10))
        #expect(holidays.covers(try #require(LocalDay("2027-01-05"))))
        #expect(holidays.covers(try #require(LocalDay("2026-12-31"))))
        #expect(!holidays.covers(try #require(LocalDay("2027-02-01"))))
    }

    @Test func datedCampaignsRunOnce() throws {
        let festival = Campaign(
            name: "春节", period: .dated(from: try #require(LocalDay("2027-01-28")), to: try #require(LocalDay("2027-02-04"))))
        #expect(festival.covers(try #require(LocalDay("2027-01-28"))))
        #expect(festival.covers(try #require(LocalDay("2027-02-04"))))
        #expect(!festival.covers(try #require(LocalDay("2028-01-30"))), "a dated campaign does not come back the next year")
        #expect(!festival.covers(try #require(LocalDay("2027-02-05"))))
    }

    @Test(arguments: ["2026-13-45", "2026-02-29", "2026-2-01", "26-02-01", "2026-02-01x", "２０２６-02-01", ""])
    func daysAreParsedStrictly(text: String) {
        #expect(LocalDay(text) == nil)
    }

    @Test func daysCountAcrossMonthsAndLeapYears() throws {
        #expect(LocalDay("2028-02-29")?.next.description == "2028-03-01")
        #expect(LocalDay("2026-12-31")?.next.description == "2027-01-01")
        let week = try #require(LocalDay("2026-11-28")).through(try #require(LocalDay("2026-12-04")))
        #expect(week.count == 7 && week.last?.description == "2026-12-04")
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
        let secondLeader = open(4, at: saturday, leader: true, patrols: [leaderPatrol])
        #expect(secondLeader.joinedPatrolID == 7, "a second leader joins the open group patrol rather than leading another")
    }

    @Test func aBadgeResumesLeavesOrClosesByWhoseIsCurrent() {
        let clock = Fixtures.clock("2026-11-28 09:30")
        let group = OpenPatrol(id: 7, volunteerID: 1, kind: .weeklyFull, openedAt: clock.now(), awardKey: "k1", leader: true)
        let member = OpenPatrol(id: 8, volunteerID: 2, kind: .weeklyFull, openedAt: clock.now(), awardKey: "k2", joinedPatrolID: 7)
        let daily = OpenPatrol(id: 9, volunteerID: 3, kind: .daily, openedAt: clock.now(), awardKey: "k3")
        let open = [group, member, daily]
        func badge(_ volunteer: Int64, mark: BadgeMark?) -> PatrolRulebook.BadgeAction {
            rulebook.badge(
                volunteerID: volunteer, leader: volunteer == 1, special: false, openPatrols: open, lastBadge: mark, tally: AwardTally(),
                at: clock.now())
        }
        let groupCurrent = BadgeMark(patrolID: 7, volunteerID: 2, at: clock.now())
        let dailyCurrent = BadgeMark(patrolID: 9, volunteerID: 3, at: clock.now())
        #expect(badge(1, mark: groupCurrent) == .close(group, members: [member]))
        #expect(badge(2, mark: groupCurrent) == .leave(member))
        #expect(badge(3, mark: groupCurrent) == .resume(daily))
        #expect(badge(1, mark: dailyCurrent) == .resume(group))
        #expect(badge(2, mark: dailyCurrent) == .resume(group), "a member makes the group current")
        #expect(badge(3, mark: dailyCurrent) == .close(daily, members: []))
        clock.advance(by: .seconds(11 * 60))
        #expect(badge(3, mark: dailyCurrent) == .resume(daily), "with two patrols open and none touched lately, nobody's closes")
        #expect(rulebook.routeCheckpoint(openPatrols: open, lastBadge: groupCurrent, at: clock.now()) == .ambiguous)
        #expect(rulebook.routeCheckpoint(openPatrols: [group, member], lastBadge: nil, at: clock.now()) == .patrol(group))
    }

    @Test func theGroupClosesTogetherAndPaysEachUnderTheirOwnKey() {
        let clock = Fixtures.clock("2026-11-28 09:30")
        let checks = ["extinguisher-1", "water-dispenser", "medicine-kit"].enumerated().map { index, id in
            PatrolCheck(checkpointID: id, at: clock.now().advanced(by: .seconds(60 * (index + 1))))
        }
        let group = OpenPatrol(
            id: 7, volunteerID: 1, kind: .weeklyFull, openedAt: clock.now(), awardKey: "1/weekly_full/2026-11-28", checks: checks,
            leader: true)
        let paid = OpenPatrol(
            id: 8, volunteerID: 2, kind: .weeklyFull, openedAt: clock.now(), awardKey: "2/weekly_full/2026-11-28", joinedPatrolID: 7)
        let unpaid = OpenPatrol(id: 9, volunteerID: 3, kind: .weeklyFull, openedAt: clock.now(), awardKey: nil, joinedPatrolID: 7)
        clock.advance(by: .seconds(600))
        let closings = rulebook.closingGroup(group, members: [paid, unpaid], at: clock.now(), tally: AwardTally())
        #expect(closings.map(\.patrolID) == [7, 8, 9])
        #expect(closings.map(\.state) == [.completed, .completed, .completed])
        #expect(closings.map(\.points) == [3, 3, 0])
        #expect(closings.map(\.awardKey) == ["1/weekly_full/2026-11-28", "2/weekly_full/2026-11-28", nil])

        let early = rulebook.closingGroup(group, members: [paid], at: clock.now().advanced(by: .seconds(-590)), tally: AwardTally())
        #expect(early.map(\.state) == [.incomplete, .incomplete] && early.map(\.points) == [0, 0])
    }

    @Test func onARotaDayOnlyTheVolunteersOnDutyEarnForDailyPatrols() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        let rota = AwardTally(onDuty: [1])
        #expect(open(1, at: clock, tally: rota).awardKey == "1/daily/2026-11-30")
        let offDuty = open(2, at: clock, tally: rota)
        #expect(offDuty.awardKey == nil && offDuty.noAwardReason == .notOnDuty)
        #expect(open(2, at: Fixtures.clock("2026-11-30 11:30"), tally: rota).awardKey != nil, "key-period patrols are open to all")
        #expect(open(2, at: clock).awardKey != nil, "a day without a rota pays whoever patrols")
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

    @Test func aStepOfTheWallClockNeitherEndsNorLengthensAPatrol() {
        let clock = Fixtures.clock("2026-11-30 23:50")
        let evening = OpenPatrol(id: 1, volunteerID: 1, kind: .daily, openedAt: clock.now(), awardKey: nil)
        clock.setWall(Fixtures.date("2026-12-01 09:00"))
        #expect(!rulebook.hasExpired(evening, at: clock.now()), "the step is not ten minutes")
        clock.setWall(Fixtures.date("2026-11-30 20:00"))
        clock.advance(by: .seconds(10 * 60))
        #expect(rulebook.hasExpired(evening, at: clock.now()), "its day ended ten minutes after it opened")

        // Booted with the clock where it stopped last night, synchronised a minute later.
        let board = Fixtures.clock("2026-11-30 23:50", synchronised: false)
        let morning = OpenPatrol(id: 2, volunteerID: 1, kind: .daily, openedAt: board.now(), awardKey: nil)
        board.advance(by: .seconds(60))
        board.setWall(Fixtures.date("2026-12-01 08:01"))
        #expect(rulebook.timeUntilNextExpiry(of: [morning], now: board.now()) == .seconds(119 * 60))
        board.advance(by: .seconds(119 * 60))
        #expect(rulebook.hasExpired(morning, at: board.now()))
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
        let mark = BadgeMark(patrolID: 2, volunteerID: 2, at: clock.now())
        #expect(rulebook.routeCheckpoint(openPatrols: [first, second], lastBadge: mark, at: clock.now()) == .patrol(second))
        clock.advance(by: .seconds(11 * 60))
        #expect(rulebook.routeCheckpoint(openPatrols: [first, second], lastBadge: mark, at: clock.now()) == .ambiguous)
    }
}
