import Foundation
import Testing
import YizhanTestSupport

/// `yizhan-district export` on a district's month: 200,000 ledger entries from 50 stations,
/// put straight into the table the stations' pushes fill.
@Suite(.serialized, .enabled(if: PostgresCluster.available, "needs PostgreSQL's server (apt: postgresql)"))
struct DistrictExportTests {
    let office: DistrictOffice
    let csv: String

    init() throws {
        office = try DistrictOffice()
        csv = office.cluster.directory.file("ledger.csv")
        #expect(try office.run("migrate").status == 0)
        let filled = try office.cluster.sql(
            """
            INSERT INTO station_ledger_entry (station_id, seq, id, volunteer_id, delta, kind, source, actor, created_at)
            SELECT 'station-' || (i % 50), i, i, i % 300, 2, 'patrol_award', 'patrol ' || i, 'system',
                timestamptz '2026-11-01 08:00+08' + i * interval '10 seconds'
            FROM generate_series(1, 200000) i
            """)
        #expect(filled.status == 0, "\(filled.errors)")
    }

    /// Runs `yizhan-district export ledger` for the days given, through `url`, under
    /// Python, which waits for it alone and adds the peak resident memory the kernel
    /// counted for it (in kB) as the last line of its output.
    func export(from: String, to: String, url: String? = nil, into path: String? = nil) throws -> (Command, peak: Int) {
        let script = """
            import resource, subprocess, sys
            code = subprocess.run(sys.argv[1:]).returncode
            print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, flush=True)
            sys.exit(code)
            """
        let command = try Command.run(
            "/usr/bin/python3",
            [
                "-c", script, Command.product("yizhan-district"), "export", "ledger", "--from", from, "--to", to, "--time-zone",
                "Asia/Shanghai", "-o", path ?? csv, "--url", url ?? office.cluster.adminURL,
            ])
        return (command, Int(command.output.split(separator: "\n").last ?? "") ?? 0)
    }

    /// Every file in the export's folder but the cluster's own.
    var exportFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: office.cluster.directory.path)) ?? []).filter { $0.contains("ledger") }
    }

    @Test func aMonthIsWrittenAsItsRowsArriveNotHeldWhole() throws {
        let (day, small) = try export(from: "2026-11-01", to: "2026-11-01")
        #expect(day.status == 0, "\(day.errors)")
        let (month, whole) = try export(from: "2026-11-01", to: "2026-11-30")
        #expect(month.status == 0, "\(month.errors)")
        #expect(month.output.hasPrefix("200000 rows written to \(csv)"))

        // Each entry once, oldest first, after the byte-order mark and the header.
        let data = try #require(FileManager.default.contents(atPath: csv))
        let lines = String(decoding: data, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.first == "\u{FEFF}station_id,entry_id,volunteer_id,delta,kind,source,reverses_id,note,actor,created_at")
        // Typed apart from the #expect: written inside it, the line took 13 s to type-check.
        let entryIDs: [Substring] = lines.dropFirst().dropLast().map { $0.split(separator: ",")[1] }
        let numbered: [Substring] = (1...200_000).map { Substring(String($0)) }
        #expect(entryIDs == numbered)
        #expect(lines.last == "")

        // The whole month's peak over one day's: held whole it was 112 MB for 15 MB of CSV.
        print("export peak: a day \(small / 1024) MB, the month \(whole / 1024) MB, \(data.count / 1_048_576) MB written")
        #expect(whole - small < data.count / 1024, "grew by \(whole - small) kB for \(data.count / 1024) kB of CSV")
        #expect(exportFiles == ["ledger.csv"], "no part file left")
    }

    /// The district's connection dropped after 1 MB of the answer, then a disk that is full:
    /// each is said and exits 1, and the last whole export keeps its name.
    @Test func anExportCutShortLeavesTheLastWholeFileAndSaysWhy() throws {
        try Data("the last export\r\n".utf8).write(to: URL(fileURLWithPath: csv))
        let proxy = try CuttingProxy(to: office.cluster.port, cutAfter: 1 << 20)
        defer { proxy.close() }
        let (cut, _) = try export(from: "2026-11-01", to: "2026-11-30", url: "postgres://postgres@127.0.0.1:\(proxy.port)/yizhan")
        #expect(cut.status == 1)
        #expect(cut.errors.hasPrefix("yizhan-district: "), "\(cut.errors)")
        #expect(!cut.output.contains("rows written"))
        #expect(try String(contentsOfFile: csv, encoding: .utf8) == "the last export\r\n")
        #expect(exportFiles == ["ledger.csv"], "no part file left")

        let (full, _) = try export(from: "2026-11-01", to: "2026-11-01", into: "/dev/full")
        #expect(full.status == 1)
        #expect(full.errors == "yizhan-district: cannot write /dev/full: No space left on device\n")
    }
}
