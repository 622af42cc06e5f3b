import Foundation
import Hummingbird
import YizhanCore
import YizhanStore
import YizhanWire

extension RouteTable {
    /// Volunteers, badges, ledgers and adjustments.
    func addVolunteerRoutes() {
        let environment = self.environment
        let store = environment.store
        add(.get, "/v1/volunteers") { request, _ in
            environment.json(try store.volunteers(after: try request.query("after", as: Int64.self) ?? 0, limit: try pageLimit(request)))
        }
        add(.post, "/v1/volunteers") { request, context in
            let body = try await request.decode(NewVolunteerBody.self)
            let volunteer = try store.registerVolunteer(
                name: body.name, role: body.role ?? .volunteer, phone: body.phone, by: context.actor, at: environment.clock.now())
            return environment.json(volunteer, status: .created)
        }
        add(.get, "/v1/volunteers/:id") { _, context in
            environment.json(try store.volunteer(try context.parameters.id("id", as: Int64.self)))
        }
        add(.patch, "/v1/volunteers/:id") { request, context in
            let id = try context.parameters.id("id", as: Int64.self)
            let body = try await request.decode(VolunteerPatchBody.self)
            return environment.json(
                try store.updateVolunteer(
                    id, name: body.name, role: body.role, phone: body.phone.map { $0 }, active: body.active,
                    login: body.login.map { $0.isEmpty ? nil : $0 }, by: context.actor, at: environment.clock.now()))
        }
        add(.get, "/v1/volunteers/:id/badges") { _, context in
            environment.json(Page(items: try store.badges(volunteerID: try context.parameters.id("id", as: Int64.self)), next: nil))
        }
        add(.post, "/v1/volunteers/:id/badges") { request, context in
            let id = try context.parameters.id("id", as: Int64.self)
            let body = try await request.decode(NewBadgeBody.self)
            switch (body.kind, body.uid) {
            case (.card, nil): throw APIError(.missingField, "a card badge needs its uid")
            case (.qr, .some): throw APIError(.invalidField, "a QR badge has no uid; its code is generated")
            default: break
            }
            let rules = await environment.station.currentRules
            let badge = try store.issueBadge(
                volunteerID: id, card: body.uid, print: body.print ?? false, slips: SlipBuilder(rules: rules), by: context.actor,
                at: environment.clock.now())
            if body.print == true { environment.slipQueued() }
            var reply = environment.json(badge, status: .created)
            var withoutCode = badge
            withoutCode.code = nil
            reply.replayBody = environment.json(withoutCode).body
            return reply
        }
        add(.delete, "/v1/badges/:id") { _, context in
            environment.json(
                try store.revokeBadge(try context.parameters.id("id", as: Int64.self), by: context.actor, at: environment.clock.now()))
        }
        add(.get, "/v1/volunteers/:id/ledger") { request, context in
            let id = try context.parameters.id("id", as: Int64.self)
            return environment.json(
                try store.ledger(
                    volunteerID: id, before: try pageBefore(request), limit: try pageLimit(request)))
        }
        add(.post, "/v1/adjustments") { request, context in
            let body = try await request.decode(AdjustmentBody.self)
            guard !body.note.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw APIError(.missingField, "an adjustment needs a note saying why")
            }
            return environment.json(
                try store.adjust(
                    volunteerID: body.volunteerID, delta: body.delta, note: body.note, idempotencyKey: request.headers[idempotencyKey],
                    by: context.actor, at: environment.clock.now()),
                status: .created)
        }
    }

}

/// `?limit=`, 1 to 1000, default 100.
func pageLimit(_ request: Request) throws -> Int {
    let limit = try request.query("limit", as: Int.self) ?? 100
    guard (1...1000).contains(limit) else { throw APIError(.invalidQuery, "limit must be 1 to 1000") }
    return limit
}

/// `?before=`, the `next` of the page before, for a list read newest first; the newest
/// without it.
func pageBefore(_ request: Request) throws -> Int64 {
    try request.query("before", as: Int64.self) ?? .max
}
