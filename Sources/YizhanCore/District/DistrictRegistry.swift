import Foundation

/// What the district registers for every station and a station pulls (SPEC 9, "Pull"):
/// the changes after the revision the station last pulled, each row as it is now.
public struct DistrictRegistry: Sendable, Hashable {
    /// A volunteer registered at the district; phone numbers stay there.
    public struct Volunteer: Sendable, Hashable {
        public var id: Int64
        public var name: String
        public var role: VolunteerRole
        public var active: Bool

        public init(id: Int64, name: String, role: VolunteerRole, active: Bool) {
            self.id = id
            self.name = name
            self.role = role
            self.active = active
        }
    }

    /// A badge issued at the district: its hash only, and when it was revoked.
    public struct Badge: Sendable, Hashable {
        public var id: Int64
        public var volunteerID: Int64
        /// `qr` or `card`.
        public var kind: String
        public var credentialHash: String
        public var revoked: Bool

        public init(id: Int64, volunteerID: Int64, kind: String, credentialHash: String, revoked: Bool) {
            self.id = id
            self.volunteerID = volunteerID
            self.kind = kind
            self.credentialHash = credentialHash
            self.revoked = revoked
        }
    }

    /// A district-wide campaign, its period as written (`MM-DD` or `yyyy-MM-dd`).
    public struct Campaign: Sendable, Hashable {
        public var id: Int64
        public var name: String
        public var from: String
        public var to: String
        public var checkpoints: [String]

        public init(id: Int64, name: String, from: String, to: String, checkpoints: [String]) {
            self.id = id
            self.name = name
            self.from = from
            self.to = to
            self.checkpoints = checkpoints
        }
    }

    public var volunteers: [Volunteer] = []
    public var badges: [Badge] = []
    public var campaigns: [Campaign] = []
    /// The highest revision among these changes, or the one asked after when there are none.
    public var revision: Int64

    public init(revision: Int64) {
        self.revision = revision
    }

    public var isEmpty: Bool { volunteers.isEmpty && badges.isEmpty && campaigns.isEmpty }
}
