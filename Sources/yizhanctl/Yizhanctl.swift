import ArgumentParser
import Foundation
import YizhanCore

/// The station manager's and technician's command line.
@main
struct Yizhanctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yizhanctl",
        abstract: "Manage a Yizhan station: volunteers, badges, patrols, hazards, goods and the daemon.",
        discussion: """
            Talks to yizhand's admin socket: --socket PATH, else $YIZHAN_SOCKET, else /run/yizhan/yizhand.sock.
            Prints tables for people; --json prints the daemon's JSON for scripts.
            """,
        version: Build.version,
        subcommands: [
            Status.self, Volunteer.self, Badge.self, Scan.self, Patrol.self, Hazard.self, Catalog.self, Redemption.self,
            Adjust.self, Rota.self, PrintJob.self, Printer.self, Print.self, Ledger.self, Backup.self, Report.self, Export.self,
            Changes.self, Events.self, Logs.self, GPIO.self,
        ])

    /// Accepts the global options before the command too (`yizhanctl --socket PATH status`)
    /// by moving them behind it, where each command declares them.
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var global: [String] = []
        while let first = arguments.first {
            if first == "--json" || first.hasPrefix("--socket=") {
                global.append(arguments.removeFirst())
            } else if first == "--socket", arguments.count >= 2 {
                global += arguments.prefix(2)
                arguments.removeFirst(2)
            } else {
                break
            }
        }
        main(arguments + global)
    }
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The admin socket.")
    var socket: String?

    @Flag(name: .long, help: "Print the daemon's JSON instead of a table.")
    var json = false

    var client: Client {
        let path = socket ?? ProcessInfo.processInfo.environment["YIZHAN_SOCKET"] ?? "/run/yizhan/yizhand.sock"
        return Client(socketPath: path, json: json)
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the daemon's devices, queue, clock and version.")
    @OptionGroup var options: GlobalOptions

    func run() throws {
        let client = options.client
        let status = try client.call("GET", "/v1/status")
        guard !client.json else { return client.printJSON(status) }
        let station = status["station"] as? [String: Any] ?? [:]
        let clock = status["clock"] as? [String: Any] ?? [:]
        print("station   \(station["name"] ?? "") (\(station["id"] ?? ""))")
        print("version   \(status["version"] ?? "")   uptime \(status["uptime_seconds"] ?? 0) s")
        print("clock     \(clock["now"] ?? "")\((clock["synchronised"] as? Bool) == true ? "" : "  (not synchronised)")")
        print(
            "store     \(status["store"] ?? "")   open patrols \(status["open_patrols"] ?? 0)   print queue \(status["print_queue"] ?? 0)")
        if let overdue = status["overdue_hazards"] as? Int, overdue > 0 {
            print("hazards   \(overdue) past their rectification deadline (yizhanctl report)")
        }
        if let district = status["district"] as? [String: Any] {
            let error = (district["last_error"] as? String).map { "   last error: \($0)" } ?? ""
            print(
                "district  backlog \(district["backlog"] ?? 0) (oldest \(district["oldest_queued_at"] ?? "-"))   last push \(district["last_push"] ?? "never")\(error)"
            )
        }
        if let reload = status["last_reload"] as? [String: Any] {
            let problems = (reload["problems"] as? [String] ?? []).joined(separator: "; ")
            let outcome = reload["applied"] as? Bool == true ? "applied" : "REFUSED, running on the previous config"
            print("reload    \(reload["at"] ?? "") \(outcome)\(problems.isEmpty ? "" : ": " + problems)")
        }
        print()
        Table(columns: ["kind", "id", "state", "detail"]).print(status["devices"] as? [[String: Any]] ?? [])
    }
}

struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send a scan as if it came from a scanner (for testing the kiosk).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The payload, e.g. YZ:C:extinguisher-1.") var code: String
    @Option(help: "The scanner id to record.") var scanner = "cli"

    func run() throws {
        let client = options.client
        let reply = try client.call("POST", "/v1/scans", ["code": code, "scanner": scanner])
        client.show(reply, fields: ["seq", "outcome", "reason", "message"])
    }
}

struct Adjust: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add or take points by hand, with a note saying why.", discussion: "yizhanctl adjust 12 -50 --note 扣分 takes 50 points.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Volunteer id.") var volunteer: Int
    // A negative number looks like an option to the parser: it is taken here as the one
    // argument left over, and checked in validate().
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Points to add; negative (e.g. -50) to take.", valueName: "delta"))
    var points: [String] = []
    @Option(help: "Why.") var note: String

    var delta: Int { Int(points[0])! }

    func validate() throws {
        guard points.count == 1, let delta = Int(points[0]), delta != 0 else {
            throw ValidationError("give one whole number of points, e.g. 20 or -50 (got \(points.joined(separator: " ")))")
        }
    }

    func run() throws {
        let client = options.client
        client.show(
            try client.call("POST", "/v1/adjustments", ["volunteer_id": volunteer, "delta": delta, "note": note]),
            fields: ["id", "volunteer_id", "delta", "kind", "note", "actor", "created_at"])
    }
}

struct Rota: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Who is on daily duty (排班).",
        discussion: """
            On a day with a rota, daily-patrol points go to the volunteers on duty; others may still patrol and are told \
            they earn nothing for it. Key-period, weekly and special patrols are open to all. A past day's rota is kept \
            as it was.
            """,
        subcommands: [Set.self, Clear.self, Show.self])

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put one or two volunteers on duty on a day (today or later).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The day, yyyy-MM-dd.") var day: LocalDay
        @Argument(help: "Volunteer ids.") var volunteers: [Int64]

        func run() throws {
            try Rota.put(day, volunteers, options.client)
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a day off the rota: anyone's daily patrol may earn again.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The day, yyyy-MM-dd.") var day: LocalDay

        func run() throws {
            try Rota.put(day, [], options.client)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the rota, by default for the coming week.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "First day, yyyy-MM-dd; default today.") var from: LocalDay?
        @Option(help: "Last day, yyyy-MM-dd; default six days after the first.") var to: LocalDay?

        func run() throws {
            let client = options.client
            let query = [from.map { "from=\($0)" }, to.map { "to=\($0)" }].compactMap { $0 }.joined(separator: "&")
            let rota = try client.call("GET", "/v1/rota" + (query.isEmpty ? "" : "?" + query))
            guard !client.json else { return client.printJSON(rota) }
            let days = rota["items"] as? [[String: Any]] ?? []
            if days.isEmpty { print("no rota in these days: anyone's daily patrol may earn") }
            for day in days { print(Rota.line(day)) }
        }
    }

    static func put(_ day: LocalDay, _ volunteers: [Int64], _ client: Client) throws {
        let reply = try client.call("PUT", "/v1/rota/\(day)", ["volunteers": volunteers])
        guard !client.json else { return client.printJSON(reply) }
        print(line(reply))
    }

    static func line(_ day: [String: Any]) -> String {
        let names = (day["volunteers"] as? [[String: Any]] ?? []).map { "\($0["name"] ?? "")（\($0["id"] ?? "")）" }
        let by = (day["set_by"] as? String).map { "   set by \($0)" } ?? ""
        return "\(day["day"] ?? "")  " + (names.isEmpty ? "no rota" : names.joined(separator: "、")) + by
    }
}

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a consistent copy of the database while the daemon runs.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Absolute path of the copy (written by the daemon, so its user must be able to write there).") var path: String

    func run() throws {
        let client = options.client
        client.show(try client.call("POST", "/v1/backup", ["path": path]), fields: ["path"])
    }
}

struct Ledger: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the ledger.", subcommands: [Verify.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild every balance from the ledger entries and compare it with the cached balance.",
            discussion: "Exits 1 when any balance disagrees. --repair rewrites the cached balances from the entries.")
        @OptionGroup var options: GlobalOptions
        @Flag(help: "Rewrite cached balances that disagree.") var repair = false

        func run() throws {
            let client = options.client
            let result = try client.call("POST", "/v1/ledger/verify", ["repair": repair])
            let mismatches = result["mismatches"] as? [[String: Any]] ?? []
            if client.json {
                client.printJSON(result)
            } else {
                print("\(result["volunteers"] ?? 0) volunteers, \(result["entries"] ?? 0) entries, \(mismatches.count) mismatches")
                Table(columns: ["volunteer_id", "cached_balance", "ledger_balance", "cached_earned", "ledger_earned"]).print(mismatches)
            }
            if !mismatches.isEmpty && !repair { throw ExitCode(1) }
        }
    }
}
