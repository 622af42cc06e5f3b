import Testing
import YizhanCore
import YizhanTestSupport

@Suite struct KioskTests {
    let kiosk = Kiosk(rules: Fixtures.rules())
    let volunteer = Volunteer(id: 1, name: "张三", role: .volunteer, balance: 30, earned: 40)
    let badge = ScanCode.badge(token: "abcdefghijklmnopqrstuvwx")

    @Test func aBadgeOpensAPatrolAndTheSameBadgeClosesIt() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        let opened = kiosk.decide(badge, scanner: "front", session: KioskSession(), facts: ScanFacts(volunteer: volunteer), at: clock.now())
        #expect(opened.reply.reason == .patrolStarted)
        guard case .openPatrol(1, let opening) = opened.effects.first else {
            Issue.record("no patrol opened")
            return
        }
        clock.advance(by: .seconds(600))
        let patrol = OpenPatrol(
            id: 9, volunteerID: 1, kind: opening.kind, openedAt: Fixtures.clock("2026-11-30 09:00").now(), awardKey: opening.awardKey)
        let closed = kiosk.decide(
            badge, scanner: "front", session: opened.session, facts: ScanFacts(volunteer: volunteer, openPatrols: [patrol]), at: clock.now()
        )
        #expect(closed.reply.outcome == .attention)
        #expect(closed.reply.reason == .patrolIncomplete)
        #expect(closed.effects.contains { if case .print(let slip) = $0 { slip.kind == .patrol } else { false } })
    }

    @Test func anItemThenABadgeRedeemsAndTheSelectionTimesOut() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        let towel = RedemptionRulebook.ItemFacts(item: CatalogItem(id: "towel", name: "毛巾", cost: 20, stock: 3), redeemedThisMonth: 0)
        let selected = kiosk.decide(
            .item(id: "towel"), scanner: "front", session: KioskSession(), facts: ScanFacts(item: towel), at: clock.now())
        #expect(selected.reply.outcome == .attention)
        clock.advance(by: .seconds(10))
        let redeemed = kiosk.decide(
            badge, scanner: "front", session: selected.session,
            facts: ScanFacts(volunteer: volunteer, item: towel, freshRedemptionCode: "ABCDEFGHJK"),
            at: clock.now())
        #expect(redeemed.reply.reason == .redeemed)
        #expect(redeemed.effects.first == .redeem(code: "ABCDEFGHJK", itemID: "towel", volunteerID: 1, cost: 20))
        #expect(redeemed.effects.contains { if case .print(let slip) = $0 { slip.qr == "YZ:R:ABCDEFGHJK" } else { false } })

        clock.advance(by: .seconds(31))
        #expect(selected.session.pending(on: "front", at: clock.now(), rules: kiosk.rules) == nil)
        #expect(selected.session.pending(on: "side", at: clock.now(), rules: kiosk.rules) == nil, "selections belong to their scanner")
    }

    @Test func aRefusedRedemptionPrintsWhy() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        let expensive = RedemptionRulebook.ItemFacts(item: CatalogItem(id: "towel", name: "毛巾", cost: 50, stock: 3), redeemedThisMonth: 0)
        var session = KioskSession()
        session.pending["front"] = .item(id: "towel", since: clock.now())
        let refused = kiosk.decide(
            badge, scanner: "front", session: session, facts: ScanFacts(volunteer: volunteer, item: expensive), at: clock.now())
        #expect(refused.reply.outcome == .error)
        #expect(refused.reply.reason == .insufficientPoints)
        #expect(refused.effects.count == 1)
        guard case .print(let slip) = refused.effects.first else {
            Issue.record("no refusal slip")
            return
        }
        #expect(slip.kind == .refusal)
    }

    @Test func theBalanceCardPrintsABalanceSlipInsteadOfTogglingAPatrol() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        let armed = kiosk.decide(.command(.balance), scanner: "front", session: KioskSession(), facts: ScanFacts(), at: clock.now())
        let balance = kiosk.decide(
            badge, scanner: "front", session: armed.session, facts: ScanFacts(volunteer: volunteer, patrolsThisMonth: 4), at: clock.now())
        #expect(balance.reply.reason == .balancePrinted)
        guard case .print(let slip) = balance.effects.first, balance.effects.count == 1 else {
            Issue.record("expected only a balance slip")
            return
        }
        #expect(slip.lines.contains(.field("下一档位", "银牌（还差 20 分）")))
        #expect(slip.lines.contains(.field("本月巡查", "4 次")))
    }

    @Test func cancelDropsAPendingCommand() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        let armed = kiosk.decide(.command(.hazard), scanner: "front", session: KioskSession(), facts: ScanFacts(), at: clock.now())
        let cancelled = kiosk.decide(.command(.cancel), scanner: "front", session: armed.session, facts: ScanFacts(), at: clock.now())
        #expect(cancelled.session.pending.isEmpty)
        let patrol = OpenPatrol(id: 3, volunteerID: 1, kind: .daily, openedAt: clock.now(), awardKey: nil)
        let check = kiosk.decide(
            .checkpoint(id: "extinguisher-1"), scanner: "front", session: cancelled.session, facts: ScanFacts(openPatrols: [patrol]),
            at: clock.now())
        #expect(check.reply.reason == .checkpointRecorded)
        #expect(!check.effects.contains { if case .reportHazard = $0 { true } else { false } })
    }

    @Test func theSamePayloadFromTheSameScannerWithinThreeSecondsIsOneScan() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        var session = KioskSession()
        let reply = ScanReply(.accepted, .checkpointRecorded, "ok")
        session.remember("YZ:C:a", scanner: "front", at: clock.now(), reply: reply)
        clock.advance(by: .milliseconds(2900))
        #expect(session.debounced("YZ:C:a", scanner: "front", at: clock.now(), window: .seconds(3)) == reply)
        #expect(session.debounced("YZ:C:a", scanner: "side", at: clock.now(), window: .seconds(3)) == nil)
        #expect(session.debounced("YZ:C:b", scanner: "front", at: clock.now(), window: .seconds(3)) == nil)
        clock.advance(by: .milliseconds(200))
        #expect(session.debounced("YZ:C:a", scanner: "front", at: clock.now(), window: .seconds(3)) == nil)
    }

    @Test func unknownBadgesAndInactiveVolunteersAreErrors() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        #expect(
            kiosk.decide(.card(uid: "04A1"), scanner: "f", session: KioskSession(), facts: ScanFacts(), at: clock.now()).reply.reason
                == .unknownCard)
        var retired = volunteer
        retired.active = false
        let decision = kiosk.decide(badge, scanner: "f", session: KioskSession(), facts: ScanFacts(volunteer: retired), at: clock.now())
        #expect(decision.reply.reason == .volunteerInactive)
        #expect(decision.effects.isEmpty)
    }

    @Test func theSessionRemembersABoundedNumberOfScanners() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        let rules = Fixtures.rules()
        var session = KioskSession()
        for index in 0..<40_000 {
            let scanner = "kiosk:made-up-\(index)"
            session.pending[scanner] = .item(id: "towel", since: clock.now())
            session.remember("YZ:I:towel", scanner: scanner, at: clock.now(), reply: ScanReply(.attention, .itemSelected, ""))
            session.forgetStale(at: clock.now(), rules: rules)
            clock.advance(by: .milliseconds(1))
        }
        #expect(session.pending.count == KioskSession.maximumScanners && session.recent.count <= KioskSession.maximumScanners)
        #expect(session.pending["kiosk:made-up-39999"] != nil, "the newest are kept")
        clock.advance(by: .seconds(3600))
        session.forgetStale(at: clock.now(), rules: rules)
        #expect(session.pending.isEmpty && session.recent.isEmpty, "timed-out selections and debounce entries are forgotten")
    }
}

/// One vocabulary of reasons: each narrower reason (a rejected read, a refused redemption,
/// a patrol that earned nothing) is the scan reason of the same wire name.
@Suite struct ScanReasonTests {
    /// The cases of `spelling` that no scan reason spells (`ScanReason.init` would stop on them).
    func unspelled<Spelling: ScanReasonSpelling>(_ spelling: Spelling.Type) -> [String] {
        Spelling.allCases.map(\.rawValue).filter { ScanReason(rawValue: $0) == nil }
    }

    @Test func everyNarrowerReasonIsTheScanReasonOfTheSameName() {
        #expect(unspelled(ScanRejection.self) == [])
        #expect(unspelled(RedemptionRulebook.Refusal.self) == [])
        #expect(unspelled(PatrolRulebook.NoAwardReason.self) == [])
        #expect(ScanReason(RedemptionRulebook.Refusal.outOfStock) == .outOfStock)
        #expect(Set(ScanReason.allCases.map(\.rawValue)).count == ScanReason.allCases.count)
    }
}
