import Testing
import YizhanCore
import YizhanTestSupport

@Suite struct HazardRulebookTests {
    let rulebook = HazardRulebook(rules: Fixtures.rules())

    @Test func confirmationPaysTheBonusAndTheNoticePrintsOnRectifying() throws {
        let clock = Fixtures.clock("2026-11-30 10:00")
        let reported = HazardRulebook.Facts(id: 1, state: .reported, reporterID: 5)
        let confirm = try rulebook.transition(reported, to: .confirmed, actorID: nil, at: clock.now())
        #expect(confirm.bonus == 2)
        #expect(!confirm.printsNotice)
        let rectify = try rulebook.transition(
            HazardRulebook.Facts(id: 1, state: .confirmed, reporterID: 5), to: .rectifying, actorID: nil, at: clock.now())
        #expect(rectify.printsNotice)
        #expect(rectify.bonus == nil)
        #expect(try rulebook.transition(reported, to: .rejected, actorID: nil, at: clock.now()).bonus == nil)
    }

    @Test func onlyThePathsOfTheSchemeAreAllowed() {
        let clock = Fixtures.clock("2026-11-30 10:00")
        for (from, to) in [
            (HazardState.reported, HazardState.rectified), (.rejected, .confirmed), (.accepted, .reopened), (.confirmed, .confirmed),
        ] {
            #expect(throws: YizhanError.self) {
                try rulebook.transition(HazardRulebook.Facts(id: 1, state: from, reporterID: 5), to: to, actorID: nil, at: clock.now())
            }
        }
    }

    @Test func aManagerCannotConfirmTheirOwnReport() {
        let clock = Fixtures.clock("2026-11-30 10:00")
        let own = HazardRulebook.Facts(id: 1, state: .reported, reporterID: 5)
        #expect(throws: YizhanError(.selfConfirmation, "the reporter cannot confirm their own hazard")) {
            try rulebook.transition(own, to: .confirmed, actorID: 5, at: clock.now())
        }
    }

    @Test func aManagerIsKnownByTheirLoginWithoutNamingThemselves() throws {
        let clock = Fixtures.clock("2026-11-30 10:00")
        let own = HazardRulebook.Facts(id: 1, state: .reported, reporterID: 5, reporterLogin: "wang")
        #expect(throws: YizhanError(.selfConfirmation, "the reporter cannot confirm their own hazard")) {
            try rulebook.transition(own, to: .confirmed, actorID: nil, actor: "wang", at: clock.now())
        }
        #expect(try rulebook.transition(own, to: .confirmed, actorID: nil, actor: "li", at: clock.now()).bonus == 2)
        let noLogin = HazardRulebook.Facts(id: 1, state: .reported, reporterID: 5)
        #expect(try rulebook.transition(noLogin, to: .confirmed, actorID: nil, actor: nil, at: clock.now()).bonus == 2)
    }

    @Test func aRefusedTransitionSaysWhereTheHazardCanGo() {
        let clock = Fixtures.clock("2026-11-30 10:00")
        #expect(
            throws: YizhanError(
                .invalidTransition, "a reported hazard cannot become rectified: it can become confirmed, duplicate, rejected")
        ) {
            try rulebook.transition(
                HazardRulebook.Facts(id: 1, state: .reported, reporterID: 5), to: .rectified, actorID: nil, at: clock.now())
        }
    }

    @Test func acceptanceWaitsForTheNextDay() throws {
        let clock = Fixtures.clock("2026-11-30 10:00")
        let rectified = HazardRulebook.Facts(id: 1, state: .rectified, reporterID: 5, rectifiedAt: clock.now())
        clock.advance(by: .seconds(3600))
        #expect(throws: YizhanError.self) { try rulebook.transition(rectified, to: .accepted, actorID: nil, at: clock.now()) }
        #expect(try rulebook.transition(rectified, to: .reopened, actorID: nil, at: clock.now()).to == .reopened)
        clock.advance(by: .seconds(86400))
        #expect(try rulebook.transition(rectified, to: .accepted, actorID: nil, at: clock.now()).to == .accepted)
    }
}

@Suite struct RedemptionRulebookTests {
    let rulebook = RedemptionRulebook(rules: Fixtures.rules())
    let towel = CatalogItem(id: "towel", name: "毛巾", cost: 20, stock: 3, perVolunteerPerMonth: 2)

    @Test func refusesForBalanceStockLimitAndInactive() {
        let rich = Volunteer(id: 1, name: "甲", role: .volunteer, balance: 50, earned: 50)
        #expect(rulebook.check(volunteer: rich, item: .init(item: towel, redeemedThisMonth: 0)) == nil)
        #expect(
            rulebook.check(
                volunteer: Volunteer(id: 2, name: "乙", role: .volunteer, balance: 19), item: .init(item: towel, redeemedThisMonth: 0))
                == .insufficientPoints)
        var empty = towel
        empty.stock = 0
        #expect(rulebook.check(volunteer: rich, item: .init(item: empty, redeemedThisMonth: 0)) == .outOfStock)
        #expect(rulebook.check(volunteer: rich, item: .init(item: towel, redeemedThisMonth: 2)) == .monthlyLimit)
        var retired = towel
        retired.active = false
        #expect(rulebook.check(volunteer: rich, item: .init(item: retired, redeemedThisMonth: 0)) == .itemUnavailable)
        var inactive = rich
        inactive.active = false
        #expect(rulebook.check(volunteer: inactive, item: .init(item: towel, redeemedThisMonth: 0)) == .volunteerInactive)
    }

    @Test func tiersUseLifetimeEarnedPoints() {
        let rules = Fixtures.rules()
        #expect(rules.tier(forEarned: 19) == nil)
        #expect(rules.tier(forEarned: 20)?.name == "铜牌")
        #expect(rules.tier(forEarned: 149)?.name == "银牌")
        #expect(rules.nextTier(afterEarned: 70)?.name == "金牌")
        #expect(rules.nextTier(afterEarned: 150) == nil)
    }

    @Test func printJobsInterruptedWhilePrintingBecomeUncertain() {
        #expect(PrintJobState.printing.afterRestart == .uncertain)
        #expect(PrintJobState.queued.afterRestart == .queued)
        #expect(!PrintJobState.queued.canBeReprinted)
        #expect(PrintJobState.uncertain.canBeReprinted)
    }
}
