import Foundation
import Hummingbird
import YizhanCore
import YizhanStore
import YizhanWire

extension RouteTable {
    /// Catalogue changes, redemptions and print jobs.
    func addRedemptionAndPrintRoutes() {
        let environment = self.environment
        let store = environment.store
        add(.patch, "/v1/catalog/:id") { request, context in
            guard let id = context.parameters.get("id") else { throw APIError(.notFound, "no such item") }
            let body = try await request.decode(CatalogPatchBody.self)
            return environment.json(
                try store.updateCatalogItem(id, stock: body.stock, active: body.active, by: context.actor, at: environment.clock.now()))
        }
        add(.get, "/v1/redemptions") { request, _ in
            environment.json(
                try store.redemptions(
                    volunteerID: try request.query("volunteer_id", as: Int64.self),
                    state: try request.query("state", as: RedemptionState.self), before: try pageBefore(request),
                    limit: try pageLimit(request)))
        }
        add(.post, "/v1/redemptions/:code/collect") { _, context in
            guard let code = context.parameters.get("code") else { throw APIError(.notFound, "no such redemption") }
            return environment.json(try store.collectRedemption(code, by: context.actor, at: environment.clock.now()))
        }
        add(.post, "/v1/redemptions/:code/cancel") { request, context in
            guard let code = context.parameters.get("code") else { throw APIError(.notFound, "no such redemption") }
            let body = try await request.decode(NoteBody.self)
            return environment.json(try store.cancelRedemption(code, note: body.note, by: context.actor, at: environment.clock.now()))
        }
        add(.get, "/v1/print-jobs") { request, _ in
            environment.json(
                try store.printJobs(
                    state: try request.query("state", as: PrintJobState.self), before: try pageBefore(request),
                    limit: try pageLimit(request)))
        }
        add(.post, "/v1/print-jobs/:id/reprint") { _, context in
            let job = try store.reprint(try context.parameters.id("id", as: Int64.self), by: context.actor, at: environment.clock.now())
            environment.slipQueued()
            return environment.json(job, status: .created)
        }
        add(.get, "/v1/print-jobs/:id/escpos") { _, context in
            let slip = try store.printJobSlip(try context.parameters.id("id", as: Int64.self))
            return environment.json(try environment.encoded(slip))
        }
        add(.get, "/v1/printer/samples/:kind") { _, context in
            guard let kind = context.parameters.get("kind").flatMap(Slip.Kind.init(rawValue:)) else {
                let kinds = Slip.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                throw APIError(.notFound, "no such slip; slips are \(kinds)")
            }
            let slip = SlipBuilder(rules: await environment.station.currentRules).sample(kind, at: environment.clock.now())
            return environment.json(try environment.encoded(slip))
        }
        add(.post, "/v1/printer/test") { _, _ in
            let rules = await environment.station.currentRules
            let job = try store.enqueue(SlipBuilder(rules: rules).testPage(at: environment.clock.now()), at: environment.clock.now())
            environment.slipQueued()
            return environment.json(job, status: .created)
        }
    }

    /// Backup and ledger verification, for `yizhanctl backup` and `yizhanctl ledger verify`.
    func addMaintenanceRoutes() {
        let environment = self.environment
        let store = environment.store
        add(.post, "/v1/backup") { request, _ in
            let body = try await request.decode(BackupBody.self)
            guard body.path.hasPrefix("/") else { throw APIError(.invalidField, "path must be absolute") }
            try store.backup(to: body.path)
            return environment.json(BackupReply(path: body.path), status: .created)
        }
        add(.post, "/v1/gpio/test") { _, _ in
            let lines = await environment.gpioTest()
            return environment.json(GPIOTestReply(backend: await environment.status().lights.backend, lines: lines))
        }
        add(.post, "/v1/ledger/verify") { request, context in
            let body = try await request.decode(VerifyBody.self)
            let verification =
                body.repair == true ? try store.repairLedger(by: context.actor, at: environment.clock.now()) : try store.verifyLedger()
            return environment.json(verification)
        }
    }
}
