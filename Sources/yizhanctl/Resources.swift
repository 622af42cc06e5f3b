import ArgumentParser
import Foundation
import YizhanCore

struct Volunteer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Register volunteers and look them up.", subcommands: [List.self, Add.self, Show.self, Update.self, LedgerEntries.self])

    static let fields = ["id", "name", "role", "phone", "balance", "earned", "active", "login"]

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List volunteers.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Show volunteers after this id.") var after = 0

        func run() throws {
            let client = options.client
            client.list(
                try client.call("GET", "/v1/volunteers?after=\(after)"), columns: ["id", "name", "role", "balance", "earned", "active"])
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a volunteer.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Name as printed on slips.") var name: String
        @Flag(help: "A team leader, who leads the weekly full patrol.") var leader = false
        @Option(help: "Phone number, for the manager only.") var phone: String?

        func run() throws {
            let client = options.client
            var body: [String: Any] = ["name": name, "role": leader ? "leader" : "volunteer"]
            if let phone { body["phone"] = phone }
            client.show(try client.call("POST", "/v1/volunteers", body), fields: Volunteer.fields)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one volunteer.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Volunteer id.") var id: Int

        func run() throws {
            let client = options.client
            client.show(try client.call("GET", "/v1/volunteers/\(id)"), fields: Volunteer.fields)
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
        @Argument(help: "Volunteer id.") var id: Int
        @Option(help: "New name.") var name: String?
        @Option(help: "Their role.") var role: VolunteerRole?
        @Option(help: "New phone number.") var phone: String?
        @Option(help: "Their local account, if they are also a manager.") var login: String?
        @Flag(inversion: .prefixedNo, help: "Whether their badges work.") var active: Bool?

        func run() throws {
            let client = options.client
            var body: [String: Any] = [:]
            if let name { body["name"] = name }
            if let role { body["role"] = role.rawValue }
            if let login { body["login"] = login }
            if let phone { body["phone"] = phone }
            if let active { body["active"] = active }
            client.show(try client.call("PATCH", "/v1/volunteers/\(id)", body), fields: Volunteer.fields)
        }
    }

    struct LedgerEntries: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ledger", abstract: "Show a volunteer's ledger, newest first.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Volunteer id.") var id: Int

        func run() throws {
            let client = options.client
            client.list(
                try client.call("GET", "/v1/volunteers/\(id)/ledger"),
                columns: ["id", "delta", "kind", "source", "note", "actor", "created_at"])
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
        @Argument(help: "Volunteer id.") var volunteer: Int
        @Option(help: "Register this card UID instead of making a QR badge.") var card: String?
        @Flag(help: "Print the new QR badge.") var print = false

        func run() throws {
            let client = options.client
            var body: [String: Any] = ["kind": card == nil ? "qr" : "card", "print": print]
            if let card { body["uid"] = card }
            client.show(
                try client.call("POST", "/v1/volunteers/\(volunteer)/badges", body), fields: ["id", "volunteer_id", "kind", "code"])
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a volunteer's badges and cards.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Volunteer id.") var volunteer: Int

        func run() throws {
            let client = options.client
            client.list(try client.call("GET", "/v1/volunteers/\(volunteer)/badges"), columns: ["id", "kind", "created_at", "revoked_at"])
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a lost badge or card from working.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Badge id.") var id: Int

        func run() throws {
            let client = options.client
            client.show(try client.call("DELETE", "/v1/badges/\(id)"), fields: ["id", "volunteer_id", "kind", "revoked_at"])
        }
    }
}

struct Patrol: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Look at patrols and void a wrong one.", subcommands: [List.self, Void.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List patrols, newest first.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only this volunteer's.") var volunteer: Int?
        @Option(help: "Only in this state.") var state: PatrolState?

        func run() throws {
            let client = options.client
            var query = ["limit=100"]
            if let volunteer { query.append("volunteer_id=\(volunteer)") }
            if let state { query.append("state=\(state.rawValue)") }
            client.list(
                try client.call("GET", "/v1/patrols?" + query.joined(separator: "&")),
                columns: ["id", "volunteer_id", "kind", "state", "opened_at", "points", "missing", "flagged_fast"])
        }
    }

    struct Void: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Void a patrol; its points are reversed.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Patrol id.") var id: Int
        @Option(help: "Why.") var note: String?

        func run() throws {
            let client = options.client
            var body: [String: Any] = [:]
            if let note { body["note"] = note }
            client.show(try client.call("POST", "/v1/patrols/\(id)/void", body), fields: ["id", "volunteer_id", "kind", "state", "points"])
        }
    }
}

struct Hazard: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow hazard reports from report to acceptance.", subcommands: [List.self, Describe.self, Move.self])

    static let fields = ["id", "checkpoint_id", "reporter_id", "state", "description", "deadline", "reported_at", "updated_at"]

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List hazards, newest first.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only in this state.") var state: HazardState?

        func run() throws {
            let client = options.client
            client.list(
                try client.call("GET", "/v1/hazards" + (state.map { "?state=\($0.rawValue)" } ?? "")),
                columns: ["id", "checkpoint_id", "reporter_id", "state", "deadline", "reported_at"])
        }
    }

    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record what the volunteer saw.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Hazard id.") var id: Int
        @Argument(help: "Description.") var text: String

        func run() throws {
            let client = options.client
            client.show(try client.call("PATCH", "/v1/hazards/\(id)", ["description": text]), fields: Hazard.fields)
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
        @Argument(help: "Hazard id.") var id: Int
        @Argument(help: "The new state.") var to: HazardState
        @Option(help: "A note for the record.") var note: String?
        @Option(help: "Rectification deadline, yyyy-MM-dd.") var deadline: LocalDay?
        @Option(help: "Your own volunteer id, if you also patrol (see volunteer update --login).") var by: Int?

        func run() throws {
            let client = options.client
            var body: [String: Any] = ["to": to.rawValue]
            if let note { body["note"] = note }
            if let deadline { body["deadline"] = deadline.description }
            if let by { body["by"] = by }
            client.show(try client.call("POST", "/v1/hazards/\(id)/transitions", body), fields: Hazard.fields)
        }
    }
}

struct Catalog: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The goods catalogue and its stock.", subcommands: [List.self, Set.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List items with cost and stock.")
        @OptionGroup var options: GlobalOptions

        func run() throws {
            let client = options.client
            client.list(
                try client.call("GET", "/v1/catalog"), columns: ["id", "name", "cost", "stock", "per_volunteer_per_month", "active"])
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restock an item or take it off the sheet.", discussion: "Name, cost and limits come from the config file.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Item id.") var id: String
        @Option(help: "The stock on the shelf now.") var stock: Int?
        @Flag(inversion: .prefixedNo, help: "Whether it can be redeemed.") var active: Bool?

        func run() throws {
            let client = options.client
            var body: [String: Any] = [:]
            if let stock { body["stock"] = stock }
            if let active { body["active"] = active }
            client.show(try client.call("PATCH", "/v1/catalog/\(id)", body), fields: ["id", "name", "cost", "stock", "active"])
        }
    }
}

struct Redemption: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Redemptions: hand out goods, or cancel and give the points back.", subcommands: [List.self, Collect.self, Cancel.self])

    static let fields = ["code", "item_id", "volunteer_id", "cost", "state", "created_at", "collected_at", "cancelled_at"]

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List redemptions, newest first.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only in this state.") var state: RedemptionState?

        func run() throws {
            let client = options.client
            client.list(
                try client.call("GET", "/v1/redemptions" + (state.map { "?state=\($0.rawValue)" } ?? "")),
                columns: ["code", "item_id", "volunteer_id", "cost", "state", "created_at"])
        }
    }

    struct Collect: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark goods handed out (as scanning the slip does).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The code on the slip.") var code: String

        func run() throws {
            let client = options.client
            client.show(try client.call("POST", "/v1/redemptions/\(code)/collect", [:]), fields: Redemption.fields)
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel an uncollected redemption: points and stock come back.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The code on the slip.") var code: String
        @Option(help: "Why.") var note: String?

        func run() throws {
            let client = options.client
            var body: [String: Any] = [:]
            if let note { body["note"] = note }
            client.show(try client.call("POST", "/v1/redemptions/\(code)/cancel", body), fields: Redemption.fields)
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

        func run() throws {
            let client = options.client
            client.list(
                try client.call("GET", "/v1/print-jobs" + (state.map { "?state=\($0.rawValue)" } ?? "")),
                columns: ["id", "slip", "state", "reprint_of", "error", "created_at"])
        }
    }

    struct Reprint: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a job again; the slip says 补打 (REPRINT).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Print job id.") var id: Int

        func run() throws {
            let client = options.client
            client.show(try client.call("POST", "/v1/print-jobs/\(id)/reprint", [:]), fields: ["id", "slip", "state", "reprint_of"])
        }
    }
}

struct Printer: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The receipt printer.", subcommands: [Test.self])

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a test page: Chinese text, the width, a QR code.")
        @OptionGroup var options: GlobalOptions

        func run() throws {
            let client = options.client
            client.show(try client.call("POST", "/v1/printer/test", [:]), fields: ["id", "slip", "state"])
        }
    }
}
