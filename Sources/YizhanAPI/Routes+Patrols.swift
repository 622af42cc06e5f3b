import Foundation
import Hummingbird
import YizhanCore
import YizhanStore
import YizhanWire

extension RouteTable {
    /// The scan log, patrols and hazards.
    func addPatrolAndHazardRoutes() {
        let environment = self.environment
        let store = environment.store
        add(.get, "/v1/patrols") { request, _ in
            environment.json(
                try store.patrols(
                    volunteerID: try request.query("volunteer_id", as: Int64.self), state: try request.query("state", as: PatrolState.self),
                    before: try pageBefore(request), limit: try pageLimit(request)))
        }
        add(.post, "/v1/patrols/:id/void") { request, context in
            let id = try context.parameters.id("id", as: Int64.self)
            let body = try await request.decode(NoteBody.self)
            return environment.json(try store.voidPatrol(id, note: body.note, by: context.actor, at: environment.clock.now()))
        }
        add(.get, "/v1/scans") { request, _ in
            environment.json(try store.scans(before: try pageBefore(request), limit: try pageLimit(request)))
        }
        add(.get, "/v1/hazards") { request, _ in
            environment.json(
                try store.hazards(
                    state: try request.query("state", as: HazardState.self), before: try pageBefore(request),
                    limit: try pageLimit(request)))
        }
        add(.get, "/v1/hazards/:id") { _, context in
            environment.json(try store.hazard(try context.parameters.id("id", as: Int64.self)))
        }
        add(.patch, "/v1/hazards/:id") { request, context in
            let id = try context.parameters.id("id", as: Int64.self)
            let body = try await request.decode(HazardPatchBody.self)
            return environment.json(
                try store.describeHazard(id, description: body.description, by: context.actor, at: environment.clock.now()))
        }
        add(.post, "/v1/hazards/:id/transitions") { request, context in
            let id = try context.parameters.id("id", as: Int64.self)
            let body = try await request.decode(TransitionBody.self)
            let now = environment.clock.now()
            if let deadline = body.deadline, deadline < environment.calendar.localDay(of: now.wall) {
                throw APIError(.invalidField, "deadline \(deadline) has already passed")
            }
            let rules = await environment.station.currentRules
            let hazard = try store.transitionHazard(
                id, to: body.to, note: body.note, deadline: body.deadline, actorID: body.by, by: context.actor,
                rulebook: HazardRulebook(rules: rules), slips: SlipBuilder(rules: rules), at: now)
            if body.to == .rectifying { environment.slipQueued() }
            return environment.json(hazard)
        }
    }
}
