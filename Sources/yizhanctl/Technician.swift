import ArgumentParser
import Foundation
import YizhanClient

struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the daemon's JSON log as readable lines.",
        discussion:
            "Reads --file, else $YIZHAN_LOG, else /var/log/yizhan/yizhand.log. --follow keeps printing new lines; --json prints them as stored."
    )
    @OptionGroup var options: GlobalOptions
    @Option(help: "The log file.") var file: String?
    @Option(help: "Show only this level and above: debug, info, notice, warning, error.") var level = "debug"
    @Option(help: "Show the last N lines first.") var lines = 50
    @Flag(help: "Keep printing lines as they are written.") var follow = false

    static let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    func run() throws {
        let path = file ?? ProcessInfo.processInfo.environment["YIZHAN_LOG"] ?? "/var/log/yizhan/yizhand.log"
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ValidationError("cannot read \(path)") }
        let minimum = Self.levels.firstIndex(of: level) ?? 0
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        for line in text.split(separator: "\n").suffix(lines) { show(line, minimum: minimum) }
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
                show(partial[..<end], minimum: minimum)
                partial = String(partial[partial.index(after: end)...])
            }
        }
    }

    private func show(_ line: Substring, minimum: Int) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
            print(line)
            return
        }
        let level = object["level"] as? String ?? "info"
        guard (Self.levels.firstIndex(of: level) ?? 0) >= minimum else { return }
        guard !options.json else { return print(line) }
        let fixed: Set<String> = ["time", "level", "message", "label"]
        let fields = object.keys.filter { !fixed.contains($0) }.sorted().map { "\($0)=\(object[$0]!)" }
        print(([object["time"] as? String ?? "", level.uppercased(), object["message"] as? String ?? ""] + fields).joined(separator: " "))
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
    static let configuration = CommandConfiguration(abstract: "Export the ledger, patrols or hazards as CSV for a spreadsheet.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "ledger, patrols or hazards.") var table: String
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?

    func run() throws {
        let client = options.client
        let response = try client.raw("GET", "/v1/export/\(table).csv")
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
    @Option(help: "First day.") var from: String?
    @Option(help: "Last day.") var to: String?

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
            print(lines.isEmpty ? "no lights are configured (gpio backend none)" : "walked: " + lines.joined(separator: ", "))
        }
    }
}
