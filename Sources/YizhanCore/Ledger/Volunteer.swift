/// A volunteer's role: a team leader also leads the weekly full patrol.
public enum VolunteerRole: String, Sendable, Hashable, Codable, CaseIterable {
    case volunteer, leader
}

/// A registered volunteer with the cached balance and lifetime earned points.
public struct Volunteer: Sendable, Hashable, Codable {
    public var id: Int64
    public var name: String
    public var role: VolunteerRole
    public var phone: String?
    public var balance: Int
    public var earned: Int
    public var active: Bool
    /// The local account of a volunteer who is also a manager: the admin socket knows them
    /// by it, so they cannot confirm a hazard they reported.
    public var login: String?

    public init(
        id: Int64, name: String, role: VolunteerRole, phone: String? = nil, balance: Int = 0, earned: Int = 0, active: Bool = true,
        login: String? = nil
    ) {
        self.login = login
        self.id = id
        self.name = name
        self.role = role
        self.phone = phone
        self.balance = balance
        self.earned = earned
        self.active = active
    }
}

extension Rules {
    /// The tier reached with `earned` lifetime points, if any.
    public func tier(forEarned earned: Int) -> Tier? {
        tiers.last { $0.points <= earned }
    }

    /// The next tier above `earned`, if any.
    public func nextTier(afterEarned earned: Int) -> Tier? {
        tiers.first { $0.points > earned }
    }
}
