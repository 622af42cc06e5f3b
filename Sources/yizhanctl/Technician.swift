import ArgumentParser
import Foundation
import YizhanClient
import YizhanCore
import YizhanSystem
import YizhanWire

struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the daemon's JSON log as readable lines.",
        discussion:
            "Reads --file, else $YIZHAN_LOG, else /var/log/yizhan/yizhand.log. --follow keeps printing new lines; --json prints them as stored."
    )
    @OptionGroup var options: GlobalOptions
    @Option(help: "The log file.", completion: .file()) var file: String?
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
        guard var handle = FileHandle(forReadingAtPath: path) else { throw ValidationError("cannot read \(path)") }
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        // Filtered first, then cut: the last 50 warnings, not the warnings among the last 50 lines.
        for line in text.split(separator: "\n").compactMap(formatted).suffix(lines) { show(line) }
        guard follow else { return }
        var partial = ""
        func take(_ data: Data) {
            partial += String(decoding: data, as: UTF8.self)
            while let end = partial.firstIndex(of: "\n") {
                if let line = formatted(partial[..<end]) { show(line) }
                partial = String(partial[partial.index(after: end)...])
            }
        }
        // Before another file, or the same one from its start: a line left unfinished is
        // shown as it is.
        func finish() {
            if !partial.isEmpty, let line = formatted(Substring(partial)) { show(line) }
            partial = ""
        }
        while true {
            let data = handle.readDataToEndOfFile()
            if !data.isEmpty {
                take(data)
                continue
            }
            switch Self.change(of: handle, at: path) {
            case nil:
                usleep(300_000)
            case .emptied:
                finish()
                try? handle.seek(toOffset: 0)
            case .replaced(let next):
                // The daemon rotated its log: what the old file took after the read above first.
                take(handle.readDataToEndOfFile())
                finish()
                try? handle.close()
                handle = next
            }
        }
    }

    /// Written at once, not when a buffer fills, so a pipe (`| grep`) sees each line as it
    /// is logged.
    private func show(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    enum FileChange {
        /// Shorter than what was read of it: emptied or cut, to be read again from its start.
        case emptied
        /// Another file at the path (the old one renamed at a rotation), opened at its start.
        case replaced(FileHandle)
    }

    /// How the file at `path` differs from the one `handle` reads; nil while it is the same.
    private static func change(of handle: FileHandle, at path: String) -> FileChange? {
        var reading = stat()
        var named = stat()
        guard fstat(handle.fileDescriptor, &reading) == 0, stat(path, &named) == 0 else { return nil }
        if reading.st_ino != named.st_ino || reading.st_dev != named.st_dev {
            return FileHandle(forReadingAtPath: path).map(FileChange.replaced)
        }
        let read = (try? handle.offset()).map { Int($0) } ?? 0
        return named.st_size < read ? .emptied : nil
    }

    /// A log line as printed, or nil when it is below the level asked for. A line that is not
    /// one of the daemon's (a JSON object of strings) is shown as it is.
    private func formatted(_ line: Substring) -> String? {
        guard let object = try? JSONDecoder().decode([String: String].self, from: Data(line.utf8)) else { return String(line) }
        let lineLevel = object["level"] ?? "info"
        guard (Level(rawValue: lineLevel) ?? .info) >= level else { return nil }
        guard !options.json else { return String(line) }
        let fixed: Set<String> = ["time", "level", "message", "label"]
        let fields = object.filter { !fixed.contains($0.key) }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return ([object["time"] ?? "", lineLevel.uppercased(), object["message"] ?? ""] + fields).joined(separator: " ")
    }
}

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow the daemon's event stream: scans, devices, print jobs, reloads, district sync rounds.",
        discussion: "With --after ID it first replays every event after ID that the daemon still holds.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Replay events after this id.") var after: Int64?

    func run() throws {
        let client = options.client
        do {
            let stream = try EventStream(client: client.api.http, after: after)
            while let event = try stream.next() {
                // Written unbuffered, so a pipe sees each event as it happens.
                let line =
                    client.json
                    ? "{\"id\":\(event.id),\"type\":\"\(event.type)\",\"data\":\(event.data)}" : "\(event.id)  \(event.type)  \(event.data)"
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            }
        } catch let failure as UnixHTTPClient.Failure {
            // The daemon not there, or gone without ending the stream (killed).
            throw client.failed(.unreachable(failure))
        }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export the ledger, patrols, hazards or volunteers as CSV for a spreadsheet.",
        discussion: "Rows carry volunteers' names beside their ids. The file is UTF-8 with a byte-order mark, as Excel wants.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Which table.") var table: ExportTable
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.", completion: .file()) var output: String?

    func run() throws {
        guard let output else {
            return try options.client.file(table.path) { FileHandle.standardOutput.write(Data($0)) }
        }
        // Named only once the daemon's last row is in: a stick that fills or a daemon that
        // stops leaves the last export of that name as it was.
        try sayingWhyAFileCannotBeWritten {
            let file = try PartFile(path: output)
            do {
                try options.client.file(table.path, into: file.write)
                try file.finish()
            } catch {
                file.abandon()
                throw error
            }
        }
    }
}

/// Runs `write`; a file it cannot write is said, with exit 1 (the daemon's failures keep
/// their own statuses).
func sayingWhyAFileCannotBeWritten(_ write: () throws -> Void) throws {
    do {
        try write()
    } catch let failure as PartFile.Failure {
        FileHandle.standardError.write(Data("yizhanctl: \(failure)\n".utf8))
        throw ExitCode(1)
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
        try client.present(API.summary(from: from, to: to)) { summary in
            print("\(summary.from) … \(summary.to)")
            let patrols = summary.patrols
            Self.section(
                "patrols",
                [
                    ("completed", patrols.completed), ("daily", patrols.daily), ("expired", patrols.expired),
                    ("flagged_fast", patrols.flaggedFast), ("incomplete", patrols.incomplete), ("key_period", patrols.keyPeriod),
                    ("open", patrols.open), ("special", patrols.special), ("voided", patrols.voided), ("weekly_full", patrols.weeklyFull),
                ])
            let hazards = summary.hazards
            Self.section(
                "hazards",
                [
                    ("accepted", hazards.accepted), ("confirmed", hazards.confirmed), ("duplicate", hazards.duplicate),
                    ("rectified", hazards.rectified), ("rejected", hazards.rejected), ("reopened", hazards.reopened),
                    ("reported", hazards.reported),
                ])
            let redemptions = summary.redemptions
            Self.section(
                "redemptions",
                [("cancelled", redemptions.cancelled), ("collected", redemptions.collected), ("issued", redemptions.issued)])
            print("points      earned \(summary.pointsEarned)  redeemed \(summary.pointsRedeemed)")
            print("volunteers  active \(summary.activeVolunteers)")
            print("duty        kept \(summary.dutyKept)  missed \(summary.dutyMissed)")
            print("no daily patrol on \(summary.uncoveredDays.count) day(s)" + (summary.uncoveredDays.isEmpty ? "" : ":"))
            for day in summary.uncoveredDays {
                let onDuty = day.onDuty.map { "\($0.name)（\($0.id)）" }
                print("  \(day.day)" + (onDuty.isEmpty ? "  (no rota)" : "  on duty: " + onDuty.joined(separator: "、")))
            }
            if !summary.overdueHazards.isEmpty {
                print("overdue hazards:")
                Table(
                    [Column("id", \.id), Column("checkpoint_id", \.checkpointID), Column("deadline", \.deadline)], times: client.api.times
                )
                .print(summary.overdueHazards)
            }
        }
    }

    /// A section's figures on one line, by name.
    private static func section(_ name: String, _ figures: [(String, Int)]) {
        print(name.padding(toLength: 12, withPad: " ", startingAt: 0) + figures.map { "\($0) \($1)" }.joined(separator: "  "))
    }
}

struct Changes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Who changed what through the admin socket, newest first.",
        discussion: "The user is the local account that ran yizhanctl (or curl), as the kernel reports it to the daemon.")
    @OptionGroup var options: GlobalOptions
    @OptionGroup var page: OlderPage

    func run() throws {
        try options.client.list(
            API.changes(before: page.before, limit: page.limit),
            [Column("id", \.id), Column("at", \.at), Column("actor", \.actor), Column("action", \.action), Column("subject", \.subject)])
    }
}

struct GPIO: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gpio", abstract: "The lights and the buzzer.", subcommands: [Test.self])

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Turn each configured light and the buzzer on for a second, in turn, to check the wiring.")
        @OptionGroup var options: GlobalOptions

        func run() throws {
            try options.client.present(API.gpioTest) { result in
                print(
                    result.lines.isEmpty
                        ? "no lights are configured (gpio backend \(result.backend))"
                        : "walked (\(result.backend)): " + result.lines.joined(separator: ", "))
            }
        }
    }
}

extension ExportTable: ExpressibleByArgument {}
