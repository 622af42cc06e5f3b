import ArgumentParser
import Foundation
import YizhanCore
import YizhanWire

struct Volunteer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Register volunteers and look them up.", subcommands: [List.self, Add.self, Show.self, Update.self, LedgerEntries.self])

    static var fields: [Column<YizhanCore.Volunteer>] {
        [
            Column("id", \.id), Column("name", \.name), Column("role", \.role), Column("phone", \.phone), Column("balance", \.balance),
            Column("earned", \.earned), Column("active", \.active), Column("login", \.login),
        ]
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List volunteers.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Show volunteers after this id.") var after: Int64 = 0
        @Option(help: "How many at most, 1 to 1000.") var limit = 100

        func run() throws {
            try options.client.list(
                API.volunteers(after: after, limit: limit),
                [
                    Column("id", \.id), Column("name", \.name), Column("role", \.role), Column("balance", \.balance),
                    Column("earned", \.earned),
                    Column("active", \.active),
                ], cursor: "--after")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a volunteer.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Name as printed on slips.") var name: String
        @Flag(help: "A team leader, who leads the weekly full patrol.") var leader = false
        @Option(help: "Phone number, for the manager only.") var phone: String?

        func run() throws {
            let body = NewVolunteerBody(name: name, role: leader ? .leader : .volunteer, phone: phone)
            try options.client.show(API.registerVolunteer(body), Volunteer.fields)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one volunteer.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Volunteer id.") var id: Int64

        func run() throws {
            try options.client.show(API.volunteer(id), Volunteer.fields)
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a volunteer's name, role, phone, login or whether they are active.",
            discussion: """
                --login names the local account of a volunteer who is also a manager: the daemon then knows them on the \
                admin socket, and refuses to let them confirm a hazard they reported. --login "" removes it.
                """)
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Volunteer id.") var id: Int64
        @Option(help: "New name.") var name: String?
        @Option(help: "Their role.") var role: VolunteerRole?
        @Option(help: "New phone number.") var phone: String?
        @Option(help: "Their local account, if they are also a manager.") var login: String?
        @Flag(inversion: .prefixedNo, help: "Whether their badges work.") var active: Bool?

        func run() throws {
            let body = VolunteerPatchBody(name: name, role: role, phone: phone, active: active, login: login)
            try options.client.show(API.updateVolunteer(id, body), Volunteer.fields)
        }
    }

    struct LedgerEntries: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ledger", abstract: "Show a volunteer's ledger, newest first.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Volunteer id.") var id: Int64
        @OptionGroup var page: OlderPage

        func run() throws {
            try options.client.list(
                API.ledger(volunteer: id, before: page.before, limit: page.limit),
                [
                    Column("id", \.id), Column("delta", \.delta), Column("kind", \.kind), Column("source", \.source),
                    Column("note", \.note),
                    Column("actor", \.actor), Column("created_at", \.createdAt),
                ])
        }
    }
}

struct Badge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Issue and revoke QR badges and RFID cards.", subcommands: [Issue.self, List.self, Revoke.self])

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a QR badge (its code is shown once) or register an RFID card.",
            discussion: "Without --card a new QR badge is made; --print prints it on the station printer.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Volunteer id.") var volunteer: Int64
        @Option(help: "Register this card UID instead of making a QR badge.") var card: String?
        @Flag(help: "Print the new QR badge.") var print = false

        func run() throws {
            let body = NewBadgeBody(kind: card == nil ? .qr : .card, uid: card, print: print)
            try options.client.show(
                API.issueBadge(volunteer: volunteer, body),
                [Column("id", \.id), Column("volunteer_id", \.volunteerID), Column("kind", \.kind), Column("code", \.code)])
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a volunteer's badges and cards.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Volunteer id.") var volunteer: Int64

        func run() throws {
            try options.client.list(
                API.badges(volunteer: volunteer),
                [Column("id", \.id), Column("kind", \.kind), Column("created_at", \.createdAt), Column("revoked_at", \.revokedAt)])
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a lost badge or card from working.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Badge id.") var id: Int64

        func run() throws {
            try options.client.show(
                API.revokeBadge(id),
                [Column("id", \.id), Column("volunteer_id", \.volunteerID), Column("kind", \.kind), Column("revoked_at", \.revokedAt)])
        }
    }
}

struct Patrol: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Look at patrols and void a wrong one.", subcommands: [List.self, Void.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List patrols, newest first.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only this volunteer's.") var volunteer: Int64?
        @Option(help: "Only in this state.") var state: PatrolState?
        @OptionGroup var page: OlderPage

        func run() throws {
            try options.client.list(
                API.patrols(volunteer: volunteer, state: state, before: page.before, limit: page.limit),
                [
                    Column("id", \.id), Column("volunteer_id", \.volunteerID), Column("kind", \.kind), Column("state", \.state),
                    Column("opened_at", \.openedAt), Column("points", \.points), Column("missing", \.missing),
                    Column("flagged_fast", \.flaggedFast),
                ])
        }
    }

    struct Void: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Void a patrol; its points are reversed.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Patrol id.") var id: Int64
        @Option(help: "Why.") var note: String?

        func run() throws {
            try options.client.show(
                API.voidPatrol(id, NoteBody(note: note)),
                [
                    Column("id", \.id), Column("volunteer_id", \.volunteerID), Column("kind", \.kind), Column("state", \.state),
                    Column("points", \.points),
                ])
        }
    }
}

struct Hazard: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow hazard reports from report to acceptance.", subcommands: [List.self, Describe.self, Move.self])

    static var fields: [Column<HazardRecord>] {
        [
            Column("id", \.id), Column("checkpoint_id", \.checkpointID), Column("reporter_id", \.reporterID), Column("state", \.state),
            Column("description", \.description), Column("deadline", \.deadline), Column("reported_at", \.reportedAt),
            Column("updated_at", \.updatedAt),
        ]
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List hazards, newest first.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only in this state.") var state: HazardState?
        @OptionGroup var page: OlderPage

        func run() throws {
            try options.client.list(
                API.hazards(state: state, before: page.before, limit: page.limit),
                [
                    Column("id", \.id), Column("checkpoint_id", \.checkpointID), Column("reporter_id", \.reporterID),
                    Column("state", \.state),
                    Column("deadline", \.deadline), Column("reported_at", \.reportedAt),
                ])
        }
    }

    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record what the volunteer saw.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Hazard id.") var id: Int64
        @Argument(help: "Description.") var text: String

        func run() throws {
            try options.client.show(API.describeHazard(id, HazardPatchBody(description: text)), Hazard.fields)
        }
    }

    struct Move: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a hazard to its next state.",
            discussion: """
                reported → confirmed (the reporter earns the bonus) | rejected | duplicate;
                confirmed → rectifying (prints the notice; give --deadline) → rectified → accepted (on a later day) | reopened.
                """)
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Hazard id.") var id: Int64
        @Argument(help: "The new state.") var to: HazardState
        @Option(help: "A note for the record.") var note: String?
        @Option(help: "Rectification deadline, yyyy-MM-dd.") var deadline: LocalDay?
        @Option(help: "Your own volunteer id, if you also patrol (see volunteer update --login).") var by: Int64?

        func run() throws {
            let body = TransitionBody(to: to, note: note, deadline: deadline, by: by)
            try options.client.show(API.moveHazard(id, body), Hazard.fields)
        }
    }
}

struct Catalog: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The goods catalogue and its stock.", subcommands: [List.self, Set.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List items with cost and stock.")
        @OptionGroup var options: GlobalOptions

        func run() throws {
            try options.client.list(
                API.catalog,
                [
                    Column("id", \.id), Column("name", \.name), Column("cost", \.cost), Column("stock", \.stock),
                    Column("per_volunteer_per_month", \.perVolunteerPerMonth), Column("active", \.active),
                ])
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restock an item or take it off the sheet.", discussion: "Name, cost and limits come from the config file.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Item id.", completion: DaemonCompletion.catalogItems) var id: String
        @Option(help: "The stock on the shelf now.") var stock: Int?
        @Flag(inversion: .prefixedNo, help: "Whether it can be redeemed.") var active: Bool?

        func run() throws {
            try options.client.show(
                API.updateCatalogItem(id, CatalogPatchBody(stock: stock, active: active)),
                [Column("id", \.id), Column("name", \.name), Column("cost", \.cost), Column("stock", \.stock), Column("active", \.active)])
        }
    }
}

struct Redemption: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Redemptions: hand out goods, or cancel and give the points back.", subcommands: [List.self, Collect.self, Cancel.self])

    static var fields: [Column<RedemptionRecord>] {
        [
            Column("code", \.code), Column("item_id", \.itemID), Column("volunteer_id", \.volunteerID), Column("cost", \.cost),
            Column("state", \.state), Column("created_at", \.createdAt), Column("collected_at", \.collectedAt),
            Column("cancelled_at", \.cancelledAt),
        ]
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List redemptions, newest first.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only in this state.") var state: RedemptionState?
        @OptionGroup var page: OlderPage

        func run() throws {
            try options.client.list(
                API.redemptions(state: state, before: page.before, limit: page.limit), Array(Redemption.fields.prefix(6)))
        }
    }

    struct Collect: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark goods handed out (as scanning the slip does).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The code on the slip.", completion: DaemonCompletion.uncollectedSlips) var code: String

        func run() throws {
            try options.client.show(API.collectRedemption(code), Redemption.fields)
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel an uncollected redemption: points and stock come back.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The code on the slip.", completion: DaemonCompletion.uncollectedSlips) var code: String
        @Option(help: "Why.") var note: String?

        func run() throws {
            try options.client.show(API.cancelRedemption(code, NoteBody(note: note)), Redemption.fields)
        }
    }
}

struct PrintJob: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "print-job", abstract: "The print queue.", subcommands: [List.self, Reprint.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List print jobs, newest first.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only in this state.") var state: PrintJobState?
        @OptionGroup var page: OlderPage

        func run() throws {
            try options.client.list(
                API.printJobs(state: state, before: page.before, limit: page.limit),
                [
                    Column("id", \.id), Column("slip", \.slip), Column("state", \.state), Column("reprint_of", \.reprintOf),
                    Column("error", \.error), Column("created_at", \.createdAt),
                ])
        }
    }

    struct Reprint: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a job again; the slip says 补打 (REPRINT).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Print job id.") var id: Int64

        func run() throws {
            try options.client.show(
                API.reprint(id), [Column("id", \.id), Column("slip", \.slip), Column("state", \.state), Column("reprint_of", \.reprintOf)])
        }
    }
}

struct Printer: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The receipt printer.", subcommands: [Test.self])

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a test page: Chinese text, the width, a QR code.")
        @OptionGroup var options: GlobalOptions

        func run() throws {
            try options.client.show(API.printTestPage, [Column("id", \.id), Column("slip", \.slip), Column("state", \.state)])
        }
    }
}
