import ArgumentParser
import Foundation
import YizhanCore
import YizhanDistrict
import YizhanSystem

extension LocalDay: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(argument)
    }
}

extension District.Export: ExpressibleByArgument {}

/// The days a report or an export covers, in the district's time zone.
struct RangeOptions: ParsableArguments {
    @Option(help: "First day, yyyy-MM-dd.") var from: LocalDay
    @Option(help: "Last day, yyyy-MM-dd (included).") var to: LocalDay
    @Option(help: "The zone days are counted in (default: this machine's, or $TZ).") var timeZone: String?

    func range() throws -> DistrictRange {
        let zone = try timeZone.map {
            guard let zone = TimeZone(identifier: $0) else { throw ValidationError("\($0) is not a time zone like Asia/Shanghai") }
            return zone
        }
        return try DistrictRange(from: from, to: to, calendar: StationCalendar(timeZone: zone ?? .current))
    }
}

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Patrols, hazards, points and goods per station and in total, counted as each station's own report counts them.")
    @OptionGroup var options: DistrictOptions
    @OptionGroup var range: RangeOptions
    @Option(help: "One station only.") var station: String?

    func run() async throws {
        let range = try range.range()
        let report = try await options.run { try await $0.report(range, station: station) }
        if options.json { return try options.print(json: report) }
        print("\(report.from) to \(report.to) (\(report.timeZone))")
        let header = [
            "station", "patrols", "daily", "key", "special", "weekly", "hazards", "confirmed", "rectified", "accepted", "hours to close",
            "earned", "redeemed", "goods", "active",
        ]
        let rows = report.stations.map { [$0.id] + cells($0.figures) } + [["total"] + cells(report.total)]
        options.print(table: [header] + rows)
    }

    private func cells(_ figures: DistrictReport.Figures) -> [String] {
        let patrols = figures.patrols
        let hazards = figures.hazards
        return [
            patrols.completed, patrols.daily, patrols.keyPeriod, patrols.special, patrols.weeklyFull, hazards.reported, hazards.confirmed,
            hazards.rectified, hazards.accepted,
        ].map(String.init) + [figures.averageHoursToClose.map { String(format: "%.1f", $0) } ?? "-"]
            + [figures.pointsEarned, figures.pointsRedeemed, figures.redemptions.collected, figures.activeVolunteers].map(String.init)
    }
}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Every station's ledger, patrols or hazards as CSV (UTF-8 with BOM, as Excel reads Chinese).")
    @OptionGroup var options: DistrictOptions
    @Argument(help: "ledger, patrols or hazards.") var table: District.Export
    @OptionGroup var range: RangeOptions
    @Option(name: .shortAndLong, help: "The CSV file to write.", completion: .file(extensions: ["csv"])) var output: String

    func run() async throws {
        let range = try range.range()
        let file: CSVFile
        do {
            file = try CSVFile(path: output)
            do {
                try await options.run { try await $0.export(table, range, take: file.append) }
                try file.finish()
            } catch {
                file.abandon()
                throw error
            }
        } catch let failure as PartFile.Failure {
            throw failed("\(failure)")
        }
        if options.json { return try options.print(json: ["rows": file.rows]) }
        print("\(file.rows) rows written to \(output)")
    }
}
