import Foundation
import Hummingbird
import YizhanCore
import YizhanStore
import YizhanWire

extension RouteTable {
    /// The duty rota, and the log of changes made on the admin socket.
    func addRotaRoutes() {
        let environment = self.environment
        let store = environment.store
        add(.get, "/v1/rota") { request, _ in
            let today = environment.calendar.localDay(of: environment.clock.now().wall)
            let from = try request.day("from") ?? today
            let to = try request.day("to") ?? from.adding(days: 6)
            guard from <= to, from.through(to).count <= 366 else {
                throw APIError(.invalidQuery, "from must come before to, at most a year apart")
            }
            return environment.json(Page(items: try store.rota(from: from, to: to), next: nil))
        }
        add(.get, "/v1/rota/:date") { _, context in
            let day = try context.parameters.day("date")
            return environment.json(try store.rota(from: day, to: day).first ?? RotaDay(day: day.description, volunteers: []))
        }
        add(.put, "/v1/rota/:date") { request, context in
            let day = try context.parameters.day("date")
            let body = try await request.decode(RotaBody.self)
            let now = environment.clock.now()
            let rules = await environment.station.currentRules
            return environment.json(
                try store.setRota(
                    day, volunteers: body.volunteers, maximum: rules.patrol.dailyMaxVolunteers,
                    today: environment.calendar.localDay(of: now.wall),
                    by: context.actor, at: now))
        }
        add(.get, "/v1/changes") { request, _ in
            environment.json(try store.changes(before: try pageBefore(request), limit: try pageLimit(request)))
        }
    }
}

extension Parameters {
    /// A day in the path, `yyyy-MM-dd`, checked strictly.
    func day(_ name: String) throws -> LocalDay {
        guard let text = get(name), let day = LocalDay(text) else {
            throw APIError(.invalidField, "\(get(name) ?? "") is not a day, yyyy-MM-dd")
        }
        return day
    }
}
