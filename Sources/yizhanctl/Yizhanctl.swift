import ArgumentParser
import Foundation
import YizhanCore
import YizhanWire

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

    /// Declared here as well as on each command, so that they are taken before the command
    /// too (`yizhanctl --socket PATH status`) and the help and the shell's Tab completion
    /// show them there: ArgumentParser gives what it parsed before the command to the
    /// command's group of the same name.
    @OptionGroup var options: GlobalOptions
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The admin socket.", completion: .file())
    var socket: String?

    @Flag(name: .long, help: "Print the daemon's JSON instead of a table.")
    var json = false

    var client: Client {
        Client(socketPath: socket ?? Self.defaultSocket, json: json)
    }

    static var defaultSocket: String {
        ProcessInfo.processInfo.environment["YIZHAN_SOCKET"] ?? "/run/yizhan/yizhand.sock"
    }
}

/// Which page of a list read newest first: a full page ends by naming where the next begins.
struct OlderPage: ParsableArguments {
    @Option(help: "Show those older than this, as the line under a full page says.") var before: Int64?
    @Option(help: "How many at most, 1 to 1000.") var limit = 100
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the daemon's devices, queue, clock and version.")
    @OptionGroup var options: GlobalOptions

    func run() throws {
        let client = options.client
        try client.present(API.status) { status in
            let times = client.api.times
            print("station   \(status.station.name) (\(status.station.id))")
            print("version   \(status.version)   uptime \(status.uptimeSeconds) s")
            print("clock     \(times.text(status.clock.now))\(status.clock.synchronised ? "" : "  (not synchronised)")")
            print("store     \(status.store)   open patrols \(status.openPatrols)   print queue \(status.printQueue)")
            if status.overdueHazards > 0 {
                print("hazards   \(status.overdueHazards) past their rectification deadline (yizhanctl report)")
            }
            if let district = status.district {
                let oldest = district.oldestQueuedAt.map(times.text) ?? "-"
                let error = district.lastError.map { "   last error: \($0)" } ?? ""
                print(
                    "district  backlog \(district.backlog) (oldest \(oldest))   last push \(district.lastPush.map(times.text) ?? "never")\(error)"
                )
            }
            if let reload = status.lastReload {
                let problems = reload.problems.joined(separator: "; ")
                let outcome = reload.applied ? "applied" : "REFUSED, running on the previous config"
                print("reload    \(times.text(reload.at)) \(outcome)\(problems.isEmpty ? "" : ": " + problems)")
            }
            print()
            Table([Column("kind", \.kind), Column("id", \.id), Column("state", \.state), Column("detail", \.detail)], times: times)
                .print(status.devices)
        }
    }
}

struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send a scan as if it came from a scanner (for testing the kiosk).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The payload, e.g. YZ:C:extinguisher-1.") var code: String
    @Option(help: "The scanner id to record.") var scanner = "cli"

    func run() throws {
        try options.client.show(
            API.scan(ScanBody(code: code, scanner: scanner)),
            [Column("seq", \.seq), Column("outcome", \.outcome), Column("reason", \.reason), Column("message", \.message)])
    }
}

struct Adjust: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add or take points by hand, with a note saying why.", discussion: "yizhanctl adjust 12 -50 --note 扣分 takes 50 points.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Volunteer id.") var volunteer: Int64
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
        try options.client.show(
            API.adjust(AdjustmentBody(volunteerID: volunteer, delta: delta, note: note)),
            [
                Column("id", \.id), Column("volunteer_id", \.volunteerID), Column("delta", \.delta), Column("kind", \.kind),
                Column("note", \.note), Column("actor", \.actor), Column("created_at", \.createdAt),
            ])
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
            try options.client.present(API.rota(from: from, to: to)) { rota in
                if rota.items.isEmpty { print("no rota in these days: anyone's daily patrol may earn") }
                for day in rota.items { print(Rota.line(day)) }
            }
        }
    }

    static func put(_ day: LocalDay, _ volunteers: [Int64], _ client: Client) throws {
        try client.present(API.setRota(day, RotaBody(volunteers: volunteers))) { print(line($0)) }
    }

    static func line(_ day: RotaDay) -> String {
        let names = day.volunteers.map { "\($0.name)（\($0.id)）" }
        let by = day.setBy.map { "   set by \($0)" } ?? ""
        return "\(day.day)  " + (names.isEmpty ? "no rota" : names.joined(separator: "、")) + by
    }
}

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a consistent copy of the database while the daemon runs.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Absolute path of the copy (written by the daemon, so its user must be able to write there).", completion: .file())
    var path: String

    func run() throws {
        try options.client.show(API.backup(BackupBody(path: path)), [Column("path", \.path)])
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
            let result = try client.present(API.verifyLedger(VerifyBody(repair: repair))) { result in
                print("\(result.volunteers) volunteers, \(result.entries) entries, \(result.mismatches.count) mismatches")
                Table(
                    [
                        Column("volunteer_id", \.volunteerID), Column("cached_balance", \.cachedBalance),
                        Column("ledger_balance", \.ledgerBalance), Column("cached_earned", \.cachedEarned),
                        Column("ledger_earned", \.ledgerEarned),
                    ], times: client.api.times
                ).print(result.mismatches)
            }
            if !result.isClean && !repair { throw ExitCode(1) }
        }
    }
}
