import Foundation
import GRDB
import YizhanCore

/// What one pull from the district changed at the station.
public struct RegistryPull: Sendable, Hashable {
    public var volunteers = 0
    public var badges = 0
    public var revoked = 0
    public var campaigns = 0
    /// District badges not taken because the station already holds the same credential.
    public var refusedBadges: [Int64] = []

    public var isEmpty: Bool { volunteers == 0 && badges == 0 && revoked == 0 && campaigns == 0 && refusedBadges.isEmpty }
}

extension Store {
    /// The district registry's revision this station has pulled through.
    public func registryRevision() throws -> Int64 {
        try pool.read { try Int64.fetchOne($0, sql: "SELECT revision FROM district_pull") ?? 0 }
    }

    /// Applies a pull in one transaction: district volunteers become station volunteers
    /// (marked by the district's id, with a balance of their own at this station), their
    /// badges are added or revoked, campaigns replaced; the revision moves on with them.
    /// The change log names the district as the actor.
    public func apply(_ registry: DistrictRegistry, at now: Instant) throws -> RegistryPull {
        try pool.write { db in
            var pull = RegistryPull()
            let time = Timestamp.text(now.wall)
            for volunteer in registry.volunteers {
                try db.execute(
                    sql: """
                        INSERT INTO volunteer (name, role, active, created_at, district_id) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (district_id) WHERE district_id IS NOT NULL
                        DO UPDATE SET name = excluded.name, role = excluded.role, active = excluded.active
                        """,
                    arguments: [volunteer.name, volunteer.role.rawValue, volunteer.active, time, volunteer.id])
                pull.volunteers += 1
            }
            for badge in registry.badges {
                if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM badge WHERE district_id = ?)", arguments: [badge.id]) == true {
                    guard badge.revoked else { continue }
                    try db.execute(
                        sql: "UPDATE badge SET revoked_at = ? WHERE district_id = ? AND revoked_at IS NULL", arguments: [time, badge.id])
                    pull.revoked += db.changesCount
                    continue
                }
                // A credential the station already holds live stays with its holder here.
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO badge (volunteer_id, kind, credential_hash, created_at, revoked_at, district_id)
                        SELECT id, ?, ?, ?, ?, ? FROM volunteer WHERE district_id = ?
                        """,
                    arguments: [badge.kind, badge.credentialHash, time, badge.revoked ? time : nil, badge.id, badge.volunteerID])
                if db.changesCount == 1 { pull.badges += 1 } else { pull.refusedBadges.append(badge.id) }
            }
            for campaign in registry.campaigns {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO district_campaign (id, name, from_day, to_day, checkpoints) VALUES (?, ?, ?, ?, ?)",
                    arguments: [campaign.id, campaign.name, campaign.from, campaign.to, campaign.checkpoints.joined(separator: ",")])
                pull.campaigns += 1
            }
            try db.execute(sql: "UPDATE district_pull SET revision = ?, pulled_at = ?", arguments: [registry.revision, time])
            if !pull.isEmpty {
                try Changes.record(
                    db, actor: "district", action: "district.pull",
                    subject:
                        "\(pull.volunteers) volunteers, \(pull.badges) badges, \(pull.revoked) revoked, \(pull.campaigns) campaigns (revision \(registry.revision))",
                    at: now)
            }
            return pull
        }
    }

    /// The district's campaigns pulled so far; a period no station could read is left out.
    public func districtCampaigns() throws -> [Campaign] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM district_campaign ORDER BY id").compactMap { row in
                guard let period = try? Campaign.Period(from: row["from_day"], to: row["to_day"]) else { return nil }
                let checkpoints = (row["checkpoints"] as String).split(separator: ",").map(String.init)
                return Campaign(name: row["name"], period: period, checkpoints: checkpoints)
            }
        }
    }
}
