import Foundation
import GRDB
import Logging
import YizhanCore
import YizhanDaemon
import YizhanStation
import YizhanStore

/// `make bench`: figures for SPEC 8, each printed beside its baseline, measured in the same
/// run on the same disk. Not a test: nothing here fails on a slow machine.
@main
struct Bench {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        // `yizhan-bench load SOCKET PATH [CLIENTS [SECONDS [close]]]`: only the load, on a
        // daemon started by hand, for a profiler to watch.
        let arguments = CommandLine.arguments
        if arguments.count >= 4, arguments[1] == "load" {
            let result = HTTPLoad(
                socketPath: arguments[2], path: arguments[3], clients: arguments.count > 4 ? Int(arguments[4]) ?? 16 : 16,
                keepAlive: arguments.count <= 6 || arguments[6] != "close"
            ).run(for: .seconds(arguments.count > 5 ? Int(arguments[5]) ?? 5 : 5))
            print(loadRow(arguments[3], result))
            return
        }
        // `yizhan-bench serve SOCKET FILE…`: the API part's bare Hummingbird server.
        if arguments.count >= 3, arguments[1] == "serve" {
            try await BareHummingbird.serve(socket: arguments[2], files: Array(arguments.dropFirst(3)))
            return
        }
        let count = Int(environment["BENCH_SCANS"] ?? "") ?? 2000
        // BENCH_ONLY=idle,api runs just those parts.
        let only = environment["BENCH_ONLY"].map { Set($0.split(separator: ",").map(String.init)) }
        func part(_ name: String, _ run: () async throws -> Void) async rethrows {
            guard only?.contains(name) ?? true else { return }
            try await run()
            print()
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yizhan-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        var scans: Figures?
        try await part("scan") {
            let baseline = try bareInsert(path: directory + "/bare.sqlite", count: count)
            let figures = try await scanPath(directory: directory + "/station", count: count)
            print("scan → durable commit → outcome, \(count) scans each, same disk:")
            print(row("bare SQLite insert+commit (WAL, synchronous=FULL)", baseline))
            print(row("Station.scan (checkpoint scan, real path)", figures))
            print(String(format: "ratio p50 %.2f× (target ≤ 1.5×), p99 %.2f×", figures.p50 / baseline.p50, figures.p99 / baseline.p99))
            scans = figures
        }
        try await part("device") {
            var baseline = scans
            if baseline == nil { baseline = try await scanPath(directory: directory + "/station", count: count) }
            guard let baseline else { return }
            let device = try deviceToOutcome(scans: min(count, 1000))
            print("scanner → outcome through the built yizhand, \(min(count, 1000)) scans:")
            print(row("Station.scan in process (baseline)", baseline))
            print(row("pty serial scanner → /v1/events `scan` event", device))
            print(String(format: "ratio p50 %.2f×, p99 %.2f×", device.p50 / baseline.p50, device.p99 / baseline.p99))
        }
        try await part("decoding") { try decoding(scans: 20 * count) }
        try await part("encoding") { try encoding(rounds: 20) }
        try await part("idle") { try idle(seconds: Int(environment["BENCH_IDLE_SECONDS"] ?? "") ?? 30) }
        try await part("memory") { try memory(scans: Int(environment["BENCH_MEMORY_SCANS"] ?? "") ?? 100_000) }
        try await part("startup") { try startup(entries: Int(environment["BENCH_LEDGER_ENTRIES"] ?? "") ?? 1_000_000) }
        try await part("sustained") { try sustained(rate: 100, seconds: Int(environment["BENCH_SUSTAINED_SECONDS"] ?? "") ?? 60) }
        try await part("api") { try api(clients: 16, seconds: Int(environment["BENCH_API_SECONDS"] ?? "") ?? 5) }
        try await part("storm") { try storm(clients: 16, seconds: Int(environment["BENCH_STORM_SECONDS"] ?? "") ?? 20) }
        try await part("district-drain") {
            try await districtDrain(records: Int(environment["BENCH_DISTRICT_RECORDS"] ?? "") ?? 100_000, directory: directory)
        }
        try await part("district-stations") {
            try await districtStations(stations: Int(environment["BENCH_DISTRICT_STATIONS"] ?? "") ?? 1000, concurrent: 32)
        }
        try await part("district-report") {
            try await districtReport(stations: Int(environment["BENCH_DISTRICT_STATIONS"] ?? "") ?? 1000, days: 30)
        }
        try await part("district-latency") { try await districtLatency(scans: min(count, 1000)) }
    }

    struct Figures {
        var p50: Double
        var p99: Double
    }

    static func row(_ name: String, _ figures: Figures) -> String {
        "  " + padded(name) + String(format: " p50 %7.3f ms   p99 %7.3f ms", figures.p50 * 1000, figures.p99 * 1000)
    }

    static func padded(_ name: String) -> String {
        name.padding(toLength: 52, withPad: " ", startingAt: 0)
    }

    static func figures(_ samples: [Double]) -> Figures {
        let sorted = samples.sorted()
        return Figures(p50: sorted[sorted.count / 2], p99: sorted[min(sorted.count - 1, sorted.count * 99 / 100)])
    }

    /// The baseline: one row inserted and committed per iteration, with the same durability.
    static func bareInsert(path: String, count: Int) throws -> Figures {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "CREATE TABLE scan (seq INTEGER PRIMARY KEY, scanner TEXT, payload_hash TEXT, outcome TEXT, at TEXT)")
        }
        var samples: [Double] = []
        for index in 0..<count {
            let start = ContinuousClock.now
            try queue.write { db in
                try db.execute(
                    sql: "INSERT INTO scan (scanner, payload_hash, outcome, at) VALUES (?, ?, ?, ?)",
                    arguments: ["front", "\(index)", "accepted", Date().description])
            }
            samples.append(seconds(ContinuousClock.now - start))
        }
        return figures(samples)
    }

    /// The real path: debounce, parse, facts, rules, effects, scan log, commit.
    static func scanPath(directory: String, count: Int) async throws -> Figures {
        let store = try Store(stateDirectory: directory)
        var rules = Rules(checkpoints: [Checkpoint(id: "extinguisher-1", name: "灭火器")], calendar: StationCalendar(timeZone: .current))
        rules.kiosk.debounce = .zero
        // The daemon logs every scan; the bench measures the scan path, not the terminal.
        let station = Station(
            store: store, rules: rules, clock: SystemClock(), logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
        let volunteer = try store.registerVolunteer(name: "bench", role: .volunteer, phone: nil, at: SystemClock().now())
        let badge = try store.issueBadge(
            volunteerID: volunteer.id, card: nil, print: false, slips: SlipBuilder(rules: rules), at: SystemClock().now())
        _ = await station.scan(badge.code!, scanner: "front")
        var samples: [Double] = []
        for _ in 0..<count {
            let start = ContinuousClock.now
            _ = await station.scan("YZ:C:extinguisher-1", scanner: "front")
            samples.append(seconds(ContinuousClock.now - start))
        }
        return figures(samples)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
