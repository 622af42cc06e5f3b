import ArgumentParser
import Foundation
import Logging
import YizhanCore
import YizhanDistrict

/// The district office's command line: the schema, the stations, the registry every
/// station pulls, and the district's figures.
@main
struct YizhanDistrictCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yizhan-district",
        abstract: "Run the district's PostgreSQL for Yizhan stations: schema, stations, volunteers, badges, campaigns, reports.",
        discussion: """
            Connects with --url, else $YIZHAN_DISTRICT_URL (postgres://user@host:5432/database); the password comes from \
            the URL, --password-file or $PGPASSWORD. Prints tables for people; --json prints JSON for scripts.
            """,
        version: Build.version,
        subcommands: [
            Migrate.self, Station.self, VolunteerCommand.self, BadgeCommand.self, CampaignCommand.self, Report.self, Export.self,
        ])

    /// Declared here as well as on each command, so that they are taken before the command
    /// too (`yizhan-district --url URL station list`) and the help and the shell's Tab
    /// completion show them there: ArgumentParser gives what it parsed before the command to
    /// the command's group of the same name.
    @OptionGroup var options: DistrictOptions
}

/// Says what went wrong on standard error; the command exits 1.
func failed(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("yizhan-district: \(message)\n".utf8))
    return ExitCode(1)
}

/// Options every command takes.
struct DistrictOptions: ParsableArguments {
    @Option(help: "The district database, postgres://user@host:5432/database.") var url: String?
    @Option(help: "A file holding the password.", completion: .file()) var passwordFile: String?
    @Flag(help: "Print JSON instead of a table.") var json = false

    func settings() throws -> DistrictSettings {
        let environment = ProcessInfo.processInfo.environment
        guard let url = url ?? environment["YIZHAN_DISTRICT_URL"] else {
            throw ValidationError("give --url or set YIZHAN_DISTRICT_URL")
        }
        let password = try passwordFile.map { try String(contentsOfFile: $0, encoding: .utf8).trimmingCharacters(in: .newlines) }
        return try DistrictSettings(url: url, password: password ?? environment["PGPASSWORD"])
    }

    /// Runs `work` on a connection; a district error is printed as itself and exits 1.
    func run<Result: Sendable>(_ work: (District) async throws -> Result) async throws -> Result {
        do {
            return try await District.with(try settings(), logger: Logger(label: "yizhan-district") { _ in SwiftLogNoOpLogHandler() }, work)
        } catch let error as DistrictError {
            throw failed("\(error)")
        }
    }

    func print(json object: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        Swift.print(String(decoding: try encoder.encode(object), as: UTF8.self))
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bring the district's schema, roles and policies up to this version (safe to run again).")
    @OptionGroup var options: DistrictOptions

    func run() async throws {
        let applied = try await options.run { try await $0.migrate() }
        if options.json { return try options.print(json: ["applied": applied, "version": [DistrictSchema.version]]) }
        print(
            applied.isEmpty
                ? "schema already at version \(DistrictSchema.version)" : "applied \(applied.map(String.init).joined(separator: ", "))")
    }
}

struct Station: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The district's stations.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a station and create its role.",
            discussion: """
                The role's password is written to --password-out, a new file (mode 0600), before the role is made, or printed \
                once.
                """)
        @OptionGroup var options: DistrictOptions
        @Argument(help: "The station's id, as in its [station] id.") var id: String
        @Option(help: "Write the new role's password here.", completion: .file()) var passwordOut: String?

        func run() async throws {
            var generator = SystemRandomNumberGenerator()
            let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
            let password = String((0..<24).map { _ in alphabet.randomElement(using: &generator)! })
            // The file first: a role whose password went nowhere could only be dropped by
            // hand. A file that is there already may hold another station's password, and is
            // left as it is.
            if let passwordOut {
                let descriptor = open(passwordOut, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                guard descriptor >= 0 else {
                    let reason =
                        errno == EEXIST ? "it is there already, and a password is never written over" : String(cString: strerror(errno))
                    throw failed("cannot write \(passwordOut): \(reason)")
                }
                do {
                    let file = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
                    try file.write(contentsOf: Data((password + "\n").utf8))
                    try file.close()
                } catch {
                    unlink(passwordOut)
                    throw failed("cannot write \(passwordOut): \(error.localizedDescription)")
                }
            }
            do {
                try await options.run { try await $0.addStation(id, password: password) }
            } catch {
                if let passwordOut { unlink(passwordOut) }
                throw error
            }
            let role = District.role(ofStation: id)
            if options.json { return try options.print(json: ["id": id, "role": role, "password": passwordOut == nil ? password : nil]) }
            print(
                "station \(id): role \(role)"
                    + (passwordOut == nil ? ", password \(password) (shown once)" : ", password in \(passwordOut!)"))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every station: how far it has pushed, when it was last heard from, its backlog; silent ones flagged.")
        @OptionGroup var options: DistrictOptions
        @Option(help: "Flag a station silent when not heard from for this many minutes.") var silentMinutes = 60

        func run() async throws {
            let stations = try await options.run { try await $0.stations(silentAfter: .seconds(silentMinutes * 60)) }
            if options.json { return try options.print(json: stations) }
            let time = { (date: Date?) in date.map { $0.formatted(.iso8601) } ?? "never" }
            options.print(
                table: [["id", "cursor", "last push", "last contact", "backlog", ""]]
                    + stations.map { station in
                        [
                            station.id, station.cursor.map(String.init) ?? "-", time(station.lastPush), time(station.contactedAt),
                            station.backlog.map(String.init) ?? "-", station.silent ? "SILENT" : "",
                        ]
                    })
        }
    }
}

extension DistrictOptions {
    /// Rows as left-aligned columns, the first row the header.
    func print(table rows: [[String]]) {
        let widths = rows.reduce(into: [Int]()) { widths, row in
            for (index, cell) in row.enumerated() {
                if index == widths.count { widths.append(0) }
                widths[index] = max(widths[index], cell.count)
            }
        }
        for row in rows {
            let line = row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
            Swift.print(line.trimmingCharacters(in: .whitespaces))
        }
    }
}
