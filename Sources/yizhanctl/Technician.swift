import ArgumentParser
import Foundation
import YizhanClient
import YizhanCore

struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the daemon's JSON log as readable lines.",
        discussion:
            "Reads --file, else $YIZHAN_LOG, else /var/log/yizhan/yizhand.log. --follow keeps printing new lines; --json prints them as stored."
    )
    @OptionGroup var options: GlobalOptions
    @Option(help: "The log file.") var file: String?
    @Option(help: "Show only this level and above.") var level = Level.trace
    @Option(help: "Show the last N matching lines first.") var lines = 50
    @Flag(help: "Keep printing lines as they are written.") var follow = false

    /// swift-log's levels, lowest first.
    enum Level: String, CaseIterable, ExpressibleByArgument, Comparable {
        case trace, debug, info, notice, warning, error, critical

        static func < (lhs: Level, rhs: Level) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    func run() throws {
        let path = file ?? ProcessInfo.processInfo.environment["YIZHAN_LOG"] ?? "/var/log/yizhan/yizhand.log"
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ValidationError("cannot read \(path)") }
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        // Filtered first, then cut: the last 50 warnings, not the warnings among the last 50 lines.
        for line in text.split(separator: "\n").compactMap(formatted).suffix(lines) { print(line) }
        guard follow else { return }
        var partial = ""
        while true {
            let data = handle.readDataToEndOfFile()
            if data.isEmpty {
                usleep(300_000)
                continue
            }
            partial += String(decoding: data, as: UTF8.self)
            while let end = partial.firstIndex(of: "\n") {
                if let line = formatted(partial[..<end]) { print(line) }
                partial = String(partial[partial.index(after: end)...])
            }
        }
    }

    /// A log line as printed, or nil when it is below the level asked for. A line that is not
    /// JSON is shown as it is.
    private func formatted(_ line: Substring) -> String? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { return String(line) }
        let lineLevel = object["level"] as? String ?? "info"
        guard (Level(rawValue: lineLevel) ?? .info) >= level else { return nil }
        guard !options.json else { return String(line) }
        let fixed: Set<String> = ["time", "level", "message", "label"]
        let fields = object.keys.filter { !fixed.contains($0) }.sorted().map { "\($0)=\(object[$0]!)" }
        return ([object["time"] as? String ?? "", lineLevel.uppercased(), object["message"] as? String ?? ""] + fields).joined(
            separator: " ")
    }
}

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow the daemon's event stream: scans, devices, print jobs, reloads.",
        discussion: "With --after ID it first replays every event after ID that the daemon still holds.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Replay events after this id.") var after: Int64?

    func run() throws {
        let client = options.client
        let stream = try EventStream(client: client.http, after: after)
        while let event = try stream.next() {
            // Written unbuffered, so a pipe sees each event as it happens.
            let line =
                client.json
                ? "{\"id\":\(event.id),\"type\":\"\(event.type)\",\"data\":\(event.data)}" : "\(event.id)  \(event.type)  \(event.data)"
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export the ledger, patrols, hazards or volunteers as CSV for a spreadsheet.",
        discussion: "Rows carry volunteers' names beside their ids. The file is UTF-8 with a byte-order mark, as Excel wants.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Which table.") var table: Table

    enum Table: String, CaseIterable, ExpressibleByArgument {
        case ledger, patrols, hazards, volunteers
    }
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?

    func run() throws {
        let client = options.client
        let response = try client.raw("GET", "/v1/export/\(table.rawValue).csv")
        if let output {
            try response.body.write(to: URL(fileURLWithPath: output))
        } else {
            FileHandle.standardOutput.write(response.body)
        }
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Patrols run, problems put right, points and goods, for a range of days.",
        discussion: "Days are yyyy-MM-dd; by default from the first of this month to today.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "First day, yyyy-MM-dd.") var from: LocalDay?
    @Option(help: "Last day, yyyy-MM-dd.") var to: LocalDay?

    func run() throws {
        let client = options.client
        var query: [String] = []
        if let from { query.append("from=\(from)") }
        if let to { query.append("to=\(to)") }
        let summary = try client.call("GET", "/v1/reports/summary" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
        guard !client.json else { return client.printJSON(summary) }
        print("\(summary["from"] ?? "") … \(summary["to"] ?? "")")
        for section in ["patrols", "hazards", "redemptions"] {
            let values = summary[section] as? [String: Any] ?? [:]
            print(
                section.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + values.keys.sorted().map { "\($0) \(Table.text(values[$0]))" }.joined(separator: "  "))
        }
        print("points      earned \(Table.text(summary["points_earned"]))  redeemed \(Table.text(summary["points_redeemed"]))")
        print("volunteers  active \(Table.text(summary["active_volunteers"]))")
        print("duty        kept \(Table.text(summary["duty_kept"]))  missed \(Table.text(summary["duty_missed"]))")
        let uncovered = summary["uncovered_days"] as? [[String: Any]] ?? []
        print("no daily patrol on \(uncovered.count) day(s)" + (uncovered.isEmpty ? "" : ":"))
        for day in uncovered {
            let onDuty = (day["on_duty"] as? [[String: Any]] ?? []).map { "\($0["name"] ?? "")（\($0["id"] ?? "")）" }
            print("  \(day["day"] ?? "")" + (onDuty.isEmpty ? "  (no rota)" : "  on duty: " + onDuty.joined(separator: "、")))
        }
        let overdue = summary["overdue_hazards"] as? [[String: Any]] ?? []
        if !overdue.isEmpty {
            print("overdue hazards:")
            Table(columns: ["id", "checkpoint_id", "deadline"]).print(overdue)
        }
    }
}

struct Changes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Who changed what through the admin socket, newest first.",
        discussion: "The user is the local account that ran yizhanctl (or curl), as the kernel reports it to the daemon.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "How many.") var limit = 50

    func run() throws {
        let client = options.client
        client.list(try client.call("GET", "/v1/changes?limit=\(limit)"), columns: ["id", "at", "actor", "action", "subject"])
    }
}

struct GPIO: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gpio", abstract: "The lights and the buzzer.", subcommands: [Test.self])

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Turn each configured light and the buzzer on for a second, in turn, to check the wiring.")
        @OptionGroup var options: GlobalOptions

        func run() throws {
            let client = options.client
            let result = try client.call("POST", "/v1/gpio/test")
            guard !client.json else { return client.printJSON(result) }
            let lines = result["lines"] as? [String] ?? []
            let backend = result["backend"] as? String ?? "none"
            print(
                lines.isEmpty
                    ? "no lights are configured (gpio backend \(backend))" : "walked (\(backend)): " + lines.joined(separator: ", "))
        }
    }
}
