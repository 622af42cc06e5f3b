import Foundation
import GRDB
import YizhanCore
import YizhanCredentials
import YizhanWire

/// Volunteers and their badges.
enum Volunteers {
    static func volunteer(_ row: Row) -> Volunteer {
        Volunteer(
            id: row["id"], name: row["name"], role: VolunteerRole(rawValue: row["role"]) ?? .volunteer, phone: row["phone"],
            balance: row["balance"], earned: row["earned"], active: row["active"], login: row["login"])
    }

    static func find(_ db: Database, id: Int64) throws -> Volunteer {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM volunteer WHERE id = ?", arguments: [id]) else {
            throw YizhanError(.notFound, "no volunteer \(id)")
        }
        return volunteer(row)
    }

    static func badge(_ row: Row) -> BadgeRecord {
        BadgeRecord(
            id: row["id"], volunteerID: row["volunteer_id"], kind: BadgeKind(rawValue: row["kind"])!, code: nil,
            createdAt: row.date("created_at")!,
            revokedAt: row.date("revoked_at"))
    }
}

extension Store {
    /// Registers a volunteer; the name and phone are bounded and stripped of control
    /// characters before they are stored, so none reaches a slip.
    public func registerVolunteer(name: String, role: VolunteerRole, phone: String?, by actor: String? = nil, at now: Instant) throws
        -> Volunteer
    {
        let name = try Volunteer.validName(name)
        let phone = try phone.map(Volunteer.validPhone)
        return try pool.write { db in
            try db.execute(
                sql: "INSERT INTO volunteer (name, role, phone, created_at) VALUES (?, ?, ?, ?)",
                arguments: [name, role.rawValue, phone, Timestamp.text(now.wall)])
            let id = db.lastInsertedRowID
            try Changes.record(db, actor: actor, action: "volunteer.register", subject: "volunteer \(id)", at: now)
            return try Volunteers.find(db, id: id)
        }
    }

    /// One volunteer.
    public func volunteer(_ id: Int64) throws -> Volunteer {
        try pool.read { try Volunteers.find($0, id: id) }
    }

    /// Volunteers in id order, from `after`.
    public func volunteers(after: Int64 = 0, limit: Int = 100) throws -> Page<Volunteer> {
        try pool.read { db in
            try Page.read(
                db, sql: "SELECT * FROM volunteer WHERE id > ? ORDER BY id LIMIT ?", arguments: [after], limit: limit,
                item: Volunteers.volunteer)
        }
    }

    /// Changes a volunteer's name, role, phone, active flag or login (the local account of a
    /// volunteer who is also a manager).
    public func updateVolunteer(
        _ id: Int64, name: String?, role: VolunteerRole?, phone: String??, active: Bool?, login: String?? = nil, by actor: String? = nil,
        at now: Instant
    ) throws -> Volunteer {
        let login = try login.map { try $0.map(Volunteer.validLogin) }
        let name = try name.map(Volunteer.validName)
        let phone = try phone.map { try $0.map(Volunteer.validPhone) }
        return try pool.write { db in
            var volunteer = try Volunteers.find(db, id: id)
            if let name { volunteer.name = name }
            if let role { volunteer.role = role }
            if let phone { volunteer.phone = phone }
            if let active { volunteer.active = active }
            if let login { volunteer.login = login }
            try db.execute(
                sql: "UPDATE volunteer SET name = ?, role = ?, phone = ?, active = ?, login = ? WHERE id = ?",
                arguments: [volunteer.name, volunteer.role.rawValue, volunteer.phone, volunteer.active, volunteer.login, id])
            try Changes.record(db, actor: actor, action: "volunteer.update", subject: "volunteer \(id)", at: now)
            return volunteer
        }
    }

    /// Issues a QR badge (a fresh token, returned once in `code`) or registers an RFID card.
    /// A badge slip is queued when `print` is set.
    public func issueBadge(
        volunteerID: Int64, card uid: String?, print: Bool, slips: SlipBuilder, by actor: String? = nil, at now: Instant
    ) throws -> BadgeRecord {
        try pool.write { db in
            let volunteer = try Volunteers.find(db, id: volunteerID)
            let kind: BadgeKind
            let hash: String
            var code: String?
            if let uid {
                guard case .success(.card(let normalised)) = ScanCode.parse(uid) else {
                    throw YizhanError(.invalidRequest, "a card uid is 4 to 32 digits or hex characters")
                }
                kind = .card
                hash = credentials.hash(cardUID: normalised)
                let unkeyed = Credentials.unkeyedHash(cardUID: normalised)
                let registered = try Bool.fetchOne(
                    db, sql: "SELECT EXISTS (SELECT 1 FROM badge WHERE credential_hash = ? AND revoked_at IS NULL)", arguments: [unkeyed])
                if registered == true { throw YizhanError(.conflict, "this card is already registered") }
            } else {
                let token = Credentials.newToken()
                kind = .qr
                hash = Credentials.hash(qrToken: token)
                code = "YZ:B:" + token
            }
            do {
                try db.execute(
                    sql: "INSERT INTO badge (volunteer_id, kind, credential_hash, created_at) VALUES (?, ?, ?, ?)",
                    arguments: [volunteerID, kind.rawValue, hash, Timestamp.text(now.wall)])
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                throw YizhanError(.conflict, "this card is already registered")
            }
            let id = db.lastInsertedRowID
            try Changes.record(
                db, actor: actor, action: "badge.issue", subject: "badge \(id) (\(kind.rawValue)) for volunteer \(volunteerID)", at: now)
            if print, let code {
                try PrintJobs.enqueue(db, slip: slips.badge(volunteer, payload: code, at: now), at: now)
            }
            return BadgeRecord(id: id, volunteerID: volunteerID, kind: kind, code: code, createdAt: now.wall, revokedAt: nil)
        }
    }

    /// A volunteer's badges, live and revoked; never their codes.
    public func badges(volunteerID: Int64) throws -> [BadgeRecord] {
        try pool.read { db in
            _ = try Volunteers.find(db, id: volunteerID)
            return try Row.fetchAll(db, sql: "SELECT * FROM badge WHERE volunteer_id = ? ORDER BY id", arguments: [volunteerID])
                .map(Volunteers.badge)
        }
    }

    /// Revokes a badge: it stops working at once; the row stays for the record.
    public func revokeBadge(_ id: Int64, by actor: String? = nil, at now: Instant) throws -> BadgeRecord {
        try pool.write { db in
            try db.execute(
                sql: "UPDATE badge SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [Timestamp.text(now.wall), id])
            let revoked = db.changesCount == 1
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM badge WHERE id = ?", arguments: [id]) else {
                throw YizhanError(.notFound, "no badge \(id)")
            }
            if revoked { try Changes.record(db, actor: actor, action: "badge.revoke", subject: "badge \(id)", at: now) }
            return Volunteers.badge(row)
        }
    }
}
