import Foundation
import PostgresNIO
import YizhanCore
import YizhanCredentials

extension District {
    /// Registers a volunteer for every station; returns the district's id.
    public func addVolunteer(name: String, role: VolunteerRole, phone: String?) async throws -> Int64 {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(name.count) else { throw DistrictError(.invalidSettings, "a name is 1 to 100 characters") }
        let rows = try await connection.query(
            "INSERT INTO volunteer (name, role, phone) VALUES (\(name), \(role.rawValue), \(phone)) RETURNING id", logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        throw DistrictError(.refused, "the district returned no id for the new volunteer")
    }

    /// A badge the district issued: a QR badge's `YZ:B:` code is returned once, never stored.
    public struct IssuedBadge: Sendable, Codable, Hashable {
        public var id: Int64
        public var volunteerId: Int64
        public var kind: String
        public var code: String?
    }

    /// Issues a QR badge (a fresh token) or registers a card UID for a district volunteer.
    /// Cards are kept by their unkeyed hash, the one form every station can match.
    public func issueBadge(volunteerID: Int64, cardUID: String?) async throws -> IssuedBadge {
        let kind: String
        let hash: String
        var code: String?
        if let cardUID {
            guard case .success(.card(let normalised)) = ScanCode.parse(cardUID) else {
                throw DistrictError(.invalidSettings, "a card uid is 4 to 32 digits or hex characters")
            }
            (kind, hash) = ("card", Credentials.unkeyedHash(cardUID: normalised))
        } else {
            let token = Credentials.newToken()
            (kind, hash, code) = ("qr", Credentials.hash(qrToken: token), "YZ:B:" + token)
        }
        let rows = try await connection.query(
            """
            INSERT INTO badge (volunteer_id, kind, credential_hash)
            SELECT id, \(kind), \(hash) FROM volunteer WHERE id = \(volunteerID) AND active
            ON CONFLICT (credential_hash) DO NOTHING RETURNING id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { return IssuedBadge(id: id, volunteerId: volunteerID, kind: kind, code: code) }
        throw DistrictError(
            .refused,
            kind == "card"
                ? "this card is already registered, or volunteer \(volunteerID) is not an active district volunteer"
                : "volunteer \(volunteerID) is not an active district volunteer")
    }

    /// Revokes a district badge; every station refuses it once it has pulled.
    public func revokeBadge(_ id: Int64) async throws {
        let rows = try await connection.query(
            "UPDATE badge SET revoked_at = now() WHERE id = \(id) AND revoked_at IS NULL RETURNING id", logger: logger)
        for try await _ in rows.decode(Int64.self) { return }
        throw DistrictError(.refused, "no unrevoked district badge \(id)")
    }

    /// Adds a district-wide campaign: `from` and `to` both `MM-DD` (every year) or both
    /// `yyyy-MM-dd` (once), checked as the stations check their own.
    public func addCampaign(name: String, from: String, to: String, checkpoints: [String]) async throws -> Int64 {
        do {
            _ = try Campaign.Period(from: from, to: to)
        } catch {
            throw DistrictError(.invalidSettings, "--\(error.key): \(error.message)")
        }
        let rows = try await connection.query(
            "INSERT INTO campaign (name, from_day, to_day, checkpoints) VALUES (\(name), \(from), \(to), \(checkpoints)) RETURNING id",
            logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        throw DistrictError(.refused, "the district returned no id for the new campaign")
    }

    /// The registry's changes after `revision`, read in one statement so they come from one
    /// snapshot: a badge never arrives without its volunteer. The caller has checked the
    /// schema (`requireSchema`) on this connection.
    public func registry(after revision: Int64) async throws -> DistrictRegistry {
        var registry = DistrictRegistry(revision: revision)
        for (table, revision, id, owner, text, first, second, flag, list) in try await rows(
            """
            SELECT 'volunteer', revision, id, id, name, role, '', active, '{}'::text[] FROM volunteer WHERE revision > \(revision)
            UNION ALL
            SELECT 'badge', revision, id, volunteer_id, credential_hash, kind, '', revoked_at IS NOT NULL, '{}'::text[]
                FROM badge WHERE revision > \(revision)
            UNION ALL
            SELECT 'campaign', revision, id, id, name, from_day, to_day, true, checkpoints FROM campaign WHERE revision > \(revision)
            ORDER BY 2
            """,
            decoding: (String, Int64, Int64, Int64, String, String, String, Bool, [String]).self)
        {
            registry.revision = max(registry.revision, revision)
            switch table {
            case "volunteer":
                registry.volunteers.append(.init(id: id, name: text, role: VolunteerRole(rawValue: first) ?? .volunteer, active: flag))
            case "badge":
                registry.badges.append(.init(id: id, volunteerID: owner, kind: first, credentialHash: text, revoked: flag))
            default:
                registry.campaigns.append(.init(id: id, name: text, from: first, to: second, checkpoints: list))
            }
        }
        return registry
    }

    /// Tells the district this station was here and how much it still has to push.
    public func reportContact(backlog: Int, oldestQueuedAt: Date?) async throws {
        let oldest = oldestQueuedAt?.formatted(.iso8601)
        try await connection.query("SELECT yizhan_station_contact(\(backlog)::integer, \(oldest)::timestamptz)", logger: logger)
    }
}
