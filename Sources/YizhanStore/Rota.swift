import Foundation
import GRDB
import YizhanCore
import YizhanWire

extension Store {
    /// Sets who is on daily duty on `day`; an empty list clears the day. The rota of a past
    /// day is kept as it was: awards were posted by it and reports read it.
    public func setRota(_ day: LocalDay, volunteers: [Int64], maximum: Int, today: LocalDay, by actor: String?, at now: Instant) throws
        -> RotaDay
    {
        guard day >= today else { throw YizhanError(.invalidRequest, "\(day) has passed: a past day's rota is kept as it was") }
        guard Set(volunteers).count == volunteers.count else { throw YizhanError(.invalidRequest, "a volunteer is named twice") }
        guard volunteers.count <= maximum else {
            throw YizhanError(.invalidRequest, "at most \(maximum) volunteers a day (patrol.daily_max_volunteers)")
        }
        return try pool.write { db in
            for id in volunteers where !(try Volunteers.find(db, id: id).active) {
                throw YizhanError(.invalidRequest, "volunteer \(id) is not active")
            }
            try db.execute(sql: "DELETE FROM rota WHERE day = ?", arguments: [day.description])
            for id in volunteers {
                try db.execute(
                    sql: "INSERT INTO rota (day, volunteer_id, set_by, set_at) VALUES (?, ?, ?, ?)",
                    arguments: [day.description, id, actor, Timestamp.text(now.wall)])
            }
            let names = volunteers.map(String.init).joined(separator: ",")
            try Changes.record(db, actor: actor, action: "rota.set", subject: "\(day) [\(names)]", at: now)
            return try Rota.days(db, from: day, to: day).first ?? RotaDay(day: day.description, volunteers: [])
        }
    }

    /// The days from `from` through `to` that have a rota, in order.
    public func rota(from: LocalDay, to: LocalDay) throws -> [RotaDay] {
        try pool.read { try Rota.days($0, from: from, to: to) }
    }
}

enum Rota {
    static func days(_ db: Database, from: LocalDay, to: LocalDay) throws -> [RotaDay] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT r.day, r.volunteer_id, r.set_by, r.set_at, v.name FROM rota r JOIN volunteer v ON v.id = r.volunteer_id
                WHERE r.day BETWEEN ? AND ? ORDER BY r.day, r.volunteer_id
                """,
            arguments: [from.description, to.description])
        var days: [RotaDay] = []
        for row in rows {
            let day: String = row["day"]
            let onDuty = RotaDay.OnDuty(id: row["volunteer_id"], name: row["name"])
            if days.last?.day == day {
                days[days.count - 1].volunteers.append(onDuty)
            } else {
                days.append(RotaDay(day: day, volunteers: [onDuty], setBy: row["set_by"], setAt: row.date("set_at")))
            }
        }
        return days
    }
}
