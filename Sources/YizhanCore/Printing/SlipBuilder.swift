/// Builds the content of each slip from domain values. Wording is the station's, in Chinese.
public struct SlipBuilder: Sendable {
    public let rules: Rules

    public init(rules: Rules) {
        self.rules = rules
    }

    /// The slip printed when a patrol closes, completed or not.
    public func patrolFinished(_ patrol: OpenPatrol, _ closing: PatrolRulebook.Closing, volunteer: Volunteer, at now: Instant) -> Slip {
        var lines: [SlipLine] = [
            .field("志愿者", "\(volunteer.name)（\(volunteer.id)）"),
            .field("类型", patrol.kind.displayName),
            .field("开始", rules.calendar.slipTime(patrol.openedAt)),
            .field("用时", "\(Int(closing.duration.components.seconds / 60)) 分钟"),
            .field("点位", "\(patrol.checks.count) 个"),
            .rule,
        ]
        if closing.noAwardReason == .leftGroup {
            lines.append(.emphasis("已退出（不计分）"))
        } else if closing.state == .completed {
            lines.append(.emphasis(closing.points > 0 ? "+\(closing.points) 分" : "完成（不计分）"))
            if let reason = closing.noAwardReason { lines.append(.text(reason.slipText)) }
        } else {
            lines.append(.emphasis("未完成"))
            if closing.duration < rules.patrol.minimumDuration {
                lines.append(.text("巡查时间不足 \(Int(rules.patrol.minimumDuration.components.seconds / 60)) 分钟"))
            }
            for id in closing.missing {
                lines.append(.text("未检查：\(rules.checkpoint(id)?.name ?? id)"))
            }
        }
        return Slip(kind: .patrol, title: "巡查记录", lines: lines, issuedAt: now)
    }

    /// The one slip of a group patrol closed by its leader: the result, then each
    /// participant with what they earned.
    public func groupPatrolFinished(
        _ group: OpenPatrol, closings: [(OpenPatrol, PatrolRulebook.Closing)], at now: Instant
    ) -> Slip {
        guard let result = closings.first?.1 else { preconditionFailure("a group patrol has its leader") }
        var lines: [SlipLine] = [
            .field("类型", group.kind.displayName),
            .field("组长", "\(group.volunteerName)（\(group.volunteerID)）"),
            .field("开始", rules.calendar.slipTime(group.openedAt)),
            .field("用时", "\(Int(result.duration.components.seconds / 60)) 分钟"),
            .field("点位", "\(group.checks.count) 个"),
            .rule,
            .emphasis(result.state == .completed ? "完成" : "未完成"),
        ]
        for id in result.missing {
            lines.append(.text("未检查：\(rules.checkpoint(id)?.name ?? id)"))
        }
        lines.append(.rule)
        for (patrol, closing) in closings {
            let earned = closing.points > 0 ? "+\(closing.points) 分" : closing.noAwardReason?.slipText ?? "不计分"
            lines.append(.field("\(patrol.volunteerName)（\(patrol.volunteerID)）", earned))
        }
        return Slip(kind: .patrol, title: "集体巡查记录", lines: lines, issuedAt: now)
    }

    /// The slip the volunteer takes to the manager to collect the goods.
    public func redemption(code: String, item: CatalogItem, volunteer: Volunteer, at now: Instant) -> Slip {
        Slip(
            kind: .redemption, title: "积分兑换",
            lines: [
                .field("志愿者", "\(volunteer.name)（\(volunteer.id)）"),
                .field("物品", item.name),
                .field("扣除积分", "\(item.cost)"),
                .field("剩余积分", "\(volunteer.balance - item.cost)"),
                .field("兑换码", code),
                .rule,
                .text("凭此小票到负责人处领取"),
            ],
            qr: "YZ:R:\(code)", issuedAt: now
        )
    }

    /// The slip that says why a redemption was refused.
    public func refusal(_ item: CatalogItem, volunteer: Volunteer, refusal: RedemptionRulebook.Refusal, at now: Instant) -> Slip {
        Slip(
            kind: .refusal, title: "兑换未成功",
            lines: [
                .field("志愿者", "\(volunteer.name)（\(volunteer.id)）"),
                .field("物品", "\(item.name)（\(item.cost) 分）"),
                .field("当前积分", "\(volunteer.balance)"),
                .emphasis(refusal.message),
            ],
            issuedAt: now
        )
    }

    /// Balance, lifetime earned points, this month's patrols and the tiers within reach.
    public func balance(_ volunteer: Volunteer, patrolsThisMonth: Int, redeemable: [CatalogItem], at now: Instant) -> Slip {
        var lines: [SlipLine] = [
            .field("志愿者", "\(volunteer.name)（\(volunteer.id)）"),
            .emphasis("积分 \(volunteer.balance)"),
            .field("累计获得", "\(volunteer.earned)"),
            .field("本月巡查", "\(patrolsThisMonth) 次"),
        ]
        if let tier = rules.tier(forEarned: volunteer.earned) {
            lines.append(.field("当前档位", tier.name))
        }
        if let next = rules.nextTier(afterEarned: volunteer.earned) {
            lines.append(.field("下一档位", "\(next.name)（还差 \(next.points - volunteer.earned) 分）"))
        }
        if !redeemable.isEmpty {
            lines.append(.rule)
            lines.append(.text("现在可兑换："))
            for item in redeemable {
                lines.append(.field(item.name, "\(item.cost) 分"))
            }
        }
        return Slip(kind: .balance, title: "积分查询", lines: lines, issuedAt: now)
    }

    /// A new QR badge for a volunteer to carry.
    public func badge(_ volunteer: Volunteer, payload: String, at now: Instant) -> Slip {
        Slip(
            kind: .badge, title: "志愿者胸卡",
            lines: [.emphasis(volunteer.name), .field("编号", "\(volunteer.id)"), .text("巡查开始和结束时扫描此码")],
            qr: payload, issuedAt: now
        )
    }

    /// The rectification notice for a confirmed hazard.
    public func hazardNotice(hazardID: Int64, checkpointID: String, description: String?, deadline: String?, at now: Instant) -> Slip {
        var lines: [SlipLine] = [
            .field("编号", "\(hazardID)"),
            .field("点位", rules.checkpoint(checkpointID)?.name ?? checkpointID),
        ]
        if let description, !description.isEmpty { lines.append(.text("情况：\(description)")) }
        if let deadline { lines.append(.field("整改期限", deadline)) }
        lines.append(.rule)
        lines.append(.text("整改完成后请告知负责人，次日复查"))
        return Slip(kind: .hazardNotice, title: "隐患整改通知", lines: lines, issuedAt: now)
    }

    /// A page that shows the printer works: Chinese text, the width, a QR code.
    public func testPage(at now: Instant) -> Slip {
        Slip(
            kind: .testPage, title: "打印测试",
            lines: [.text("中文打印正常：工会驿站"), .field("左", "右"), .rule, .text("扫描下方二维码应得到 YZ:K:CANCEL")],
            qr: "YZ:K:CANCEL", issuedAt: now
        )
    }

    /// The station's figures for a day (summary button) or a range of days.
    /// With the rota's duty and the hazards past their deadline.
    public func summary(_ summary: StationSummary, at now: Instant) -> Slip {
        var lines: [SlipLine] = [
            .field("日期", summary.from == summary.to ? summary.from : "\(summary.from) 至 \(summary.to)"),
            .field("完成巡查", "\(summary.patrols.completed) 次"),
            .field("未完成", "\(summary.patrols.incomplete + summary.patrols.expired) 次"),
            .field("上报隐患", "\(summary.hazards.reported) 个"),
            .field("整改验收", "\(summary.hazards.accepted) 个"),
            .field("发放积分", "\(summary.pointsEarned)"),
            .field("兑换", "\(summary.redemptions.issued) 件"),
        ]
        if !summary.rota.isEmpty {
            lines.append(.rule)
            lines.append(.text("值班："))
            for day in summary.rota {
                let names = day.onDuty.map { "\($0.name)\($0.kept ? "（已巡查）" : "")" }.joined(separator: "、")
                lines.append(summary.from == summary.to ? .text(names) : .field(day.day, names))
            }
        }
        let uncovered = summary.uncoveredDays.map(\.day)
        if summary.from != summary.to, !uncovered.isEmpty {
            lines.append(.text("无日常巡查：\(uncovered.joined(separator: "、"))"))
        }
        if !summary.overdueHazards.isEmpty {
            lines.append(.rule)
            lines.append(.emphasis("逾期未整改 \(summary.overdueHazards.count) 个"))
            for hazard in summary.overdueHazards {
                lines.append(
                    .field("\(hazard.id) \(rules.checkpoint(hazard.checkpointID)?.name ?? hazard.checkpointID)", "期限 \(hazard.deadline)"))
            }
        }
        return Slip(kind: .summary, title: summary.from == summary.to ? "今日汇总" : "汇总", lines: lines, issuedAt: now)
    }

    /// A slip of `kind` filled with made-up but typical content, for previewing layouts.
    public func sample(_ kind: Slip.Kind, at now: Instant) -> Slip {
        let volunteer = Volunteer(id: 1024, name: "王秀英", role: .volunteer, balance: 36, earned: 58)
        let item = rules.catalog.first ?? CatalogItem(id: "towel", name: "毛巾", cost: 10, stock: 20)
        switch kind {
        case .patrol:
            let patrol = OpenPatrol(id: 7, volunteerID: volunteer.id, kind: .daily, openedAt: now, awardKey: nil)
            let closing = PatrolRulebook.Closing(
                patrolID: 7, state: .completed, points: rules.points.daily, missing: [], duration: .seconds(25 * 60),
                flaggedFast: false, awardKey: nil, noAwardReason: nil)
            return patrolFinished(patrol, closing, volunteer: volunteer, at: now)
        case .redemption: return redemption(code: "K7Q2M9", item: item, volunteer: volunteer, at: now)
        case .refusal: return refusal(item, volunteer: volunteer, refusal: .insufficientPoints, at: now)
        case .balance:
            return balance(volunteer, patrolsThisMonth: 9, redeemable: rules.catalog.filter { $0.cost <= volunteer.balance }, at: now)
        case .badge: return badge(volunteer, payload: "YZ:B:sAmPLE0nly-n0t-a-Badge0", at: now)
        case .hazardNotice:
            return hazardNotice(
                hazardID: 31, checkpointID: rules.checkpoints.first?.id ?? "door", description: "饮水机插座外壳破损，有漏电风险",
                deadline: "2026-12-01", at: now)
        case .summary:
            var figures = StationSummary(from: rules.calendar.day(of: now.wall), to: rules.calendar.day(of: now.wall))
            figures.patrols.completed = 12
            figures.hazards.reported = 2
            figures.pointsEarned = 30
            figures.rota = [
                StationSummary.DutyDay(
                    day: figures.from,
                    onDuty: [.init(id: 1024, name: volunteer.name, kept: true), .init(id: 1025, name: "李建国", kept: false)])
            ]
            figures.overdueHazards = [OverdueHazard(id: 31, checkpointID: rules.checkpoints.first?.id ?? "door", deadline: "2026-11-28")]
            return summary(figures, at: now)
        case .testPage: return testPage(at: now)
        }
    }
}

extension PatrolRulebook.NoAwardReason {
    /// Why no points, as a slip says it.
    var slipText: String {
        switch self {
        case .alreadyAwarded: "今日此类巡查已计分"
        case .dailyCapReached: "今日日常巡查名额已满"
        case .notOnDuty: "今日非值班，日常巡查不计分"
        case .leftGroup: "中途退出，不计分"
        }
    }
}
