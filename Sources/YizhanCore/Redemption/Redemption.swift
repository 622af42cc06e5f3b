/// Redemption states (SPEC 4): issued → collected | cancelled.
public enum RedemptionState: String, Sendable, Hashable, Codable, CaseIterable {
    case issued, collected, cancelled
}

/// The rules for redeeming points for goods at the kiosk.
public struct RedemptionRulebook: Sendable {
    public let rules: Rules

    public init(rules: Rules) {
        self.rules = rules
    }

    /// An item's live state.
    public struct ItemFacts: Sendable, Hashable {
        public var item: CatalogItem
        /// How many of this item the volunteer has redeemed this month, not counting cancelled ones.
        public var redeemedThisMonth: Int

        public init(item: CatalogItem, redeemedThisMonth: Int) {
            self.item = item
            self.redeemedThisMonth = redeemedThisMonth
        }
    }

    /// Why a redemption is refused.
    public enum Refusal: String, Sendable, Hashable, CaseIterable, Error {
        case insufficientPoints = "insufficient_points"
        case outOfStock = "out_of_stock"
        case monthlyLimit = "monthly_limit"
        case itemUnavailable = "item_unavailable"
        case volunteerInactive = "volunteer_inactive"

        /// What the refusal slip and the reply say.
        public var message: String {
            switch self {
            case .insufficientPoints: "积分不足"
            case .outOfStock: "库存不足"
            case .monthlyLimit: "已达本月兑换上限"
            case .itemUnavailable: "该物品暂停兑换"
            case .volunteerInactive: "志愿者已停用"
            }
        }
    }

    /// Checks every condition of SPEC 3.2 "Redeem"; the caller then debits, takes the stock
    /// and creates the redemption in the same transaction.
    public func check(volunteer: Volunteer, item: ItemFacts) -> Refusal? {
        if !volunteer.active { return .volunteerInactive }
        if !item.item.active { return .itemUnavailable }
        if item.item.stock <= 0 { return .outOfStock }
        if let limit = item.item.perVolunteerPerMonth, item.redeemedThisMonth >= limit { return .monthlyLimit }
        if volunteer.balance < item.item.cost { return .insufficientPoints }
        return nil
    }
}
