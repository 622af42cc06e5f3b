/// The kiosk's scan rules (SPEC 3.2): one function from a scan, the session, the facts
/// and the time to a reply, the effects to commit and the next session.
public struct Kiosk: Sendable {
    public let rules: Rules
    let patrols: PatrolRulebook
    let redemptions: RedemptionRulebook

    public init(rules: Rules) {
        self.rules = rules
        self.patrols = PatrolRulebook(rules: rules)
        self.redemptions = RedemptionRulebook(rules: rules)
    }

    /// Decides what `code` from `scanner` does.
    public func decide(_ code: ScanCode, scanner: String, session: KioskSession, facts: ScanFacts, at now: Instant) -> ScanDecision {
        var session = session
        let pending = session.pending(on: scanner, at: now, rules: rules)
        session.pending[scanner] = nil

        switch code {
        case .badge, .card:
            guard let volunteer = facts.volunteer else {
                let reason: ScanReason = if case .card = code { .unknownCard } else { .unknownBadge }
                return ScanDecision(reply: ScanReply(.error, reason, "未登记的胸卡"), session: session)
            }
            guard volunteer.active else {
                return ScanDecision(reply: ScanReply(.error, .volunteerInactive, "志愿者已停用"), session: session)
            }
            switch pending {
            case .item(let itemID, _): return redeem(itemID, by: volunteer, facts: facts, session: session, at: now)
            case .command(.balance, _): return balance(of: volunteer, facts: facts, session: session, at: now)
            case .command(.special, _): return badge(of: volunteer, special: true, facts: facts, session: session, at: now)
            default: return badge(of: volunteer, special: false, facts: facts, session: session, at: now)
            }

        case .checkpoint(let id):
            let reportsHazard = if case .command(.hazard, _) = pending { true } else { false }
            return check(id, reportsHazard: reportsHazard, facts: facts, session: session, at: now)

        case .item(let id):
            guard let item = facts.item?.item, item.id == id else {
                return ScanDecision(reply: ScanReply(.error, .unknownItem, "无此物品"), session: session)
            }
            session.pending[scanner] = .item(id: id, since: now)
            return ScanDecision(reply: ScanReply(.attention, .itemSelected, "已选择 \(item.name)（\(item.cost) 分），请刷胸卡"), session: session)

        case .redemption(let code):
            return collect(code, facts: facts, session: session)

        case .command(.cancel):
            return ScanDecision(reply: ScanReply(.accepted, .selectionCancelled, "已取消"), session: session)

        case .command(.special):
            let campaigns = rules.activeCampaigns(at: now.wall).map(\.name)
            guard !campaigns.isEmpty else {
                return ScanDecision(reply: ScanReply(.error, .noCampaign, "当前没有专项巡查活动"), session: session)
            }
            session.pending[scanner] = .command(.special, since: now)
            let message = "请刷胸卡开始专项巡查（\(campaigns.joined(separator: "、"))）"
            return ScanDecision(reply: ScanReply(.attention, .commandArmed, message), session: session)

        case .command(let card):
            session.pending[scanner] = .command(card, since: now)
            let message = card == .hazard ? "请扫描发现隐患的点位" : "请刷胸卡查询积分"
            return ScanDecision(reply: ScanReply(.attention, .commandArmed, message), session: session)
        }
    }

    /// A badge scan with no selection pending: opens, resumes, leaves or closes a patrol.
    func badge(of volunteer: Volunteer, special: Bool, facts: ScanFacts, session: KioskSession, at now: Instant) -> ScanDecision {
        var session = session
        let action = patrols.badge(
            volunteerID: volunteer.id, leader: volunteer.role == .leader, special: special, openPatrols: facts.openPatrols,
            lastBadge: session.lastBadge, tally: facts.tally, at: now)
        let opens = if case .open = action { true } else { false }
        if special && !opens {
            return ScanDecision(reply: ScanReply(.attention, .patrolAlreadyOpen, "已有进行中的巡查，请先刷胸卡结束"), session: session)
        }
        let slips = SlipBuilder(rules: rules)
        switch action {
        case .open(let opening):
            return open(opening, by: volunteer, session: session)

        case .resume(let unit):
            session.lastBadge = BadgeMark(patrolID: unit.id, volunteerID: volunteer.id, at: now)
            return ScanDecision(reply: ScanReply(.accepted, .patrolResumed, "继续巡查：\(unit.kind.displayName)"), session: session)

        case .leave(let member):
            let closing = patrols.leaving(member, at: now)
            let slip = slips.patrolFinished(member, closing, volunteer: volunteer, at: now)
            return ScanDecision(
                reply: ScanReply(.attention, .leftGroup, "已退出\(member.kind.displayName)，本次不计分"),
                effects: [.closePatrol(volunteerID: volunteer.id, closing), .print(slip)], session: session)

        case .close(let patrol, let members):
            if session.lastBadge?.patrolID == patrol.id { session.lastBadge = nil }
            guard patrol.leadsGroup else {
                let closing = patrols.closing(patrol, at: now, tally: facts.tally)
                let slip = slips.patrolFinished(patrol, closing, volunteer: volunteer, at: now)
                return ScanDecision(
                    reply: finished(closing), effects: [.closePatrol(volunteerID: volunteer.id, closing), .print(slip)], session: session)
            }
            let closings = patrols.closingGroup(patrol, members: members, at: now, tally: facts.tally)
            let participants = [patrol] + members
            let effects = zip(participants, closings).map { ScanEffect.closePatrol(volunteerID: $0.volunteerID, $1) }
            let slip = slips.groupPatrolFinished(patrol, closings: Array(zip(participants, closings)), at: now)
            return ScanDecision(
                reply: finished(closings[0], participants: participants.count), effects: effects + [.print(slip)], session: session)
        }
    }

    private func open(_ opening: PatrolRulebook.Opening, by volunteer: Volunteer, session: KioskSession) -> ScanDecision {
        let effects: [ScanEffect] = [.openPatrol(volunteerID: volunteer.id, opening)]
        let reply: ScanReply
        switch opening.noAwardReason {
        case .dailyCapReached:
            reply = ScanReply(.attention, .dailyCapReached, "今日日常巡查名额已满，本次巡查不计分")
        case .notOnDuty:
            reply = ScanReply(.attention, .notOnDuty, "今日不是您的值班日，日常巡查不计分")
        case .alreadyAwarded:
            reply = ScanReply(.attention, .alreadyAwarded, "今日此类巡查已计分，本次不计分")
        case nil, .leftGroup:
            reply =
                opening.joinedPatrolID == nil
                ? ScanReply(.accepted, .patrolStarted, "\(opening.kind.displayName)开始")
                : ScanReply(.accepted, .patrolJoined, "已加入\(opening.kind.displayName)")
        }
        return ScanDecision(reply: reply, effects: effects, session: session)
    }

    private func finished(_ closing: PatrolRulebook.Closing, participants: Int = 1) -> ScanReply {
        guard closing.state == .completed else { return ScanReply(.attention, .patrolIncomplete, "巡查未完成，不计分") }
        if participants > 1 {
            return ScanReply(.accepted, .patrolCompleted, "集体巡查完成，\(participants) 人参加")
        }
        let message = closing.points > 0 ? "巡查完成，获得 \(closing.points) 分" : "巡查完成，本次不计分"
        return ScanReply(
            closing.points > 0 ? .accepted : .attention, closing.noAwardReason.map(ScanReason.init) ?? .patrolCompleted, message)
    }

    func check(_ checkpointID: String, reportsHazard: Bool, facts: ScanFacts, session: KioskSession, at now: Instant) -> ScanDecision {
        guard let checkpoint = rules.checkpoint(checkpointID) else {
            return ScanDecision(reply: ScanReply(.error, .unknownCheckpoint, "未登记的点位"), session: session)
        }
        let patrol: OpenPatrol
        switch patrols.routeCheckpoint(openPatrols: facts.openPatrols, lastBadge: session.lastBadge, at: now) {
        case .noOpenPatrol:
            return ScanDecision(reply: ScanReply(.error, .noOpenPatrol, "请先刷胸卡开始巡查"), session: session)
        case .ambiguous:
            return ScanDecision(reply: ScanReply(.error, .ambiguousPatrol, "多人同时巡查，无法确定归属，请联系负责人"), session: session)
        case .patrol(let routed):
            patrol = routed
        }
        let covered = patrol.checks.contains { $0.checkpointID == checkpointID }
        var effects: [ScanEffect] = covered ? [] : [.recordCheck(patrolID: patrol.id, checkpointID: checkpointID)]
        if reportsHazard {
            // In a group patrol the hazard is the latest badge's, not always the leader's.
            let reporter = session.lastBadge.flatMap { $0.patrolID == patrol.id ? $0.volunteerID : nil } ?? patrol.volunteerID
            effects.append(.reportHazard(checkpointID: checkpointID, reporterID: reporter, patrolID: patrol.id))
            return ScanDecision(
                reply: ScanReply(.accepted, .hazardReported, "已上报隐患：\(checkpoint.name)"), effects: effects, session: session)
        }
        if covered {
            return ScanDecision(reply: ScanReply(.attention, .checkpointDuplicate, "\(checkpoint.name) 已检查过"), session: session)
        }
        return ScanDecision(
            reply: ScanReply(.accepted, .checkpointRecorded, "已检查：\(checkpoint.name)"), effects: effects, session: session)
    }

    func redeem(_ itemID: String, by volunteer: Volunteer, facts: ScanFacts, session: KioskSession, at now: Instant) -> ScanDecision {
        let builder = SlipBuilder(rules: rules)
        guard let item = facts.item, item.item.id == itemID else {
            return ScanDecision(reply: ScanReply(.error, .unknownItem, "无此物品"), session: session)
        }
        if let refusal = redemptions.check(volunteer: volunteer, item: item) {
            let effects: [ScanEffect] =
                rules.redemption.printRefusals ? [.print(builder.refusal(item.item, volunteer: volunteer, refusal: refusal, at: now))] : []
            return ScanDecision(reply: ScanReply(.error, ScanReason(refusal), refusal.message), effects: effects, session: session)
        }
        let code = facts.freshRedemptionCode
        precondition(!code.isEmpty, "the store supplies a redemption code with every item fact")
        let slip = builder.redemption(code: code, item: item.item, volunteer: volunteer, at: now)
        return ScanDecision(
            reply: ScanReply(.accepted, .redeemed, "兑换成功：\(item.item.name)，凭小票领取"),
            effects: [.redeem(code: code, itemID: itemID, volunteerID: volunteer.id, cost: item.item.cost), .print(slip)],
            session: session
        )
    }

    func balance(of volunteer: Volunteer, facts: ScanFacts, session: KioskSession, at now: Instant) -> ScanDecision {
        let slip = SlipBuilder(rules: rules).balance(
            volunteer, patrolsThisMonth: facts.patrolsThisMonth, redeemable: facts.redeemableItems, at: now)
        return ScanDecision(
            reply: ScanReply(.accepted, .balancePrinted, "当前积分 \(volunteer.balance)"), effects: [.print(slip)], session: session
        )
    }

    func collect(_ code: String, facts: ScanFacts, session: KioskSession) -> ScanDecision {
        guard let redemption = facts.redemption, redemption.code == code else {
            return ScanDecision(reply: ScanReply(.error, .unknownRedemption, "无效的兑换小票"), session: session)
        }
        switch redemption.state {
        case .issued:
            return ScanDecision(
                reply: ScanReply(.accepted, .collected, "已领取：\(redemption.itemName)"), effects: [.collect(code: code)], session: session
            )
        case .collected:
            return ScanDecision(reply: ScanReply(.error, .alreadyCollected, "此小票已领取过"), session: session)
        case .cancelled:
            return ScanDecision(reply: ScanReply(.error, .redemptionCancelled, "此兑换已取消"), session: session)
        }
    }
}
