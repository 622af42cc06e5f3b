import Foundation
import GRDB
import Synchronization
import YizhanClient
import YizhanTestSupport
import YizhanWire

#if canImport(Glibc)
    import Glibc
#endif

/// The built daemon as a whole: idle cost, memory over many scans, start-up on a big
/// ledger, a sustained scan rate, and status requests against nginx.
extension Bench {
    /// Context switches (each a wake-up of a sleeping thread) by thread, and CPU time, of a
    /// process.
    struct Activity {
        var switches: [String: UInt64]
        var cpu: Double

        init(pid: Int32) {
            switches = threadCounts(of: pid) { thread in
                let status = (try? String(contentsOfFile: thread + "/status", encoding: .utf8)) ?? ""
                return status.split(separator: "\n").filter {
                    $0.hasPrefix("voluntary_ctxt_switches") || $0.hasPrefix("nonvoluntary_ctxt_switches")
                }
                .compactMap { UInt64($0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) }.reduce(0, +)
            }
            // utime and stime, fields 14 and 15 of /proc/PID/stat, in clock ticks.
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
            let ticks = fields.count > 12 ? (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0) : 0
            cpu = ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
        }
    }

    /// How much the counts grew since `before`: a thread started since counts whole, and
    /// one that ended in between takes nothing away (its count ended with it).
    static func growth(from before: [String: UInt64], to after: [String: UInt64]) -> UInt64 {
        after.reduce(0) { sum, thread in sum + thread.value - min(thread.value, before[thread.key] ?? 0) }
    }

    /// A started daemon for one part, stopped and cleared away after it.
    static func withDaemon(
        program: String = "yizhand", environment: [String: String] = [:], extra: String = DaemonProcess.defaultRules,
        printer: String? = nil, _ body: (DaemonProcess) throws -> Void
    ) throws {
        let daemon = try DaemonProcess(extra: extra, printer: printer)
        daemon.program = program
        defer {
            daemon.stop()
            daemon.directory.remove()
        }
        try daemon.start(environment: environment)
        try body(daemon)
    }

    static func residentKilobytes(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// An idle daemon, without a watchdog (target: no wake-ups at all) and under a 10 s
    /// watchdog, which it answers every 5 s: the baseline is those 12 pings a minute.
    /// Wake-ups are the threads' context switches, so one ping that passes work from one
    /// thread to another counts more than once. Then with the simulated lights and the
    /// unit's 30 s watchdog (4 pings a minute; target: at most 10 wake-ups a minute), idle
    /// showing green steady (SPEC 3.3), alone, with a screen's event stream open, and with a
    /// USB printer, as a board has, watched for being plugged in or pulled out; and, for
    /// comparison, the green breathing it replaced.
    static func idle(seconds: Int) throws {
        print("idle daemon, \(seconds) s measured each:")
        print("  " + padded("watchdog pings, 10 s (baseline)") + String(format: " %8.1f wake-ups/min", 12.0))
        try withDaemon { daemon in try idle(daemon, seconds: seconds, label: "yizhand, no watchdog") }
        try withDaemon(environment: ["WATCHDOG_USEC": "10000000"]) { daemon in
            try idle(daemon, seconds: seconds, label: "yizhand, watchdog 10 s")
        }
        print("  " + padded("watchdog pings, 30 s (baseline)") + String(format: " %8.1f wake-ups/min", 4.0))
        let lights = DaemonProcess.defaultRules + "\n[gpio]\nbackend = \"sim\"\n"
        try withDaemon(environment: ["WATCHDOG_USEC": "30000000"], extra: lights) { daemon in
            try idle(daemon, seconds: seconds, label: "lights, green steady, watchdog 30 s")
        }
        // As at a station, whose screen follows the event stream all day.
        try withDaemon(environment: ["WATCHDOG_USEC": "30000000"], extra: lights) { daemon in
            let screen = try daemon.events()
            try withExtendedLifetime(screen) { try idle(daemon, seconds: seconds, label: "the same, a screen following events") }
        }
        let usbPrinter = "[printer]\ntransport = \"usb\"\nusb = \"0416:5011\"\n"
        try withDaemon(environment: ["WATCHDOG_USEC": "30000000"], extra: lights, printer: usbPrinter) { daemon in
            try idle(daemon, seconds: seconds, label: "the same, a USB printer watched")
        }
        let breathing = lights + "\n[signals]\nhealthy = [\"green:600\", \"off:2400\"]\n"
        try withDaemon(environment: ["WATCHDOG_USEC": "30000000"], extra: breathing) { daemon in
            try idle(daemon, seconds: seconds, label: "lights, green breathing, watchdog 30 s")
        }
    }

    static func idle(_ daemon: DaemonProcess, seconds: Int, label: String) throws {
        guard let pid = daemon.pid else { return }
        sleep(2)  // past start-up
        let before = Activity(pid: pid)
        sleep(UInt32(seconds))
        let after = Activity(pid: pid)
        let perMinute = 60 / Double(seconds)
        print(
            "  " + padded(label)
                + String(
                    format: " %8.1f wake-ups/min   %.1f ms CPU/min", Double(growth(from: before.switches, to: after.switches)) * perMinute,
                    (after.cpu - before.cpu) * perMinute * 1000))
    }

    /// Resident memory after 1,000 scans, after half of `scans` and after `scans` through the
    /// FIFO scanner: the second half shows whether what grew in the first was caches
    /// filling up (SQLite's pages, the event stream's held events) or a leak. First, where
    /// `make bench` left it, the same build linked in the linker's own order rather than
    /// with the code a station runs first (scripts/hot-code): what the layout saves.
    static func memory(scans: Int) throws {
        let linkerOrder = "yizhand-linker-order"
        if FileManager.default.fileExists(atPath: DaemonProcess.productsDirectory.appendingPathComponent(linkerOrder).path) {
            print("resident memory, the same build linked in the linker's own order (baseline for the code layout):")
            try withDaemon(program: linkerOrder) { daemon in try memory(daemon, scans: scans) }
        }
        print("resident memory (target: no growth, under 32 MB):")
        try withDaemon { daemon in try memory(daemon, scans: scans) }
    }

    static func memory(_ daemon: DaemonProcess, scans: Int) throws {
        guard let pid = daemon.pid else { return }
        let scanner = try BenchScanner(daemon)
        func resident(after total: Int) throws -> Int {
            while scanner.sent < total { scanner.scan() }
            try scanner.waitForRecorded(total, timeout: .seconds(600))
            return residentKilobytes(pid)
        }
        let early = try resident(after: 1000)
        // From here the kernel notes which resident pages the daemon touches again.
        try? "1".write(toFile: "/proc/\(pid)/clear_refs", atomically: false, encoding: .utf8)
        let half = try resident(after: scans / 2)
        let late = try resident(after: scans)
        func megabytes(_ kilobytes: Int) -> String { String(format: "%8.1f MB", Double(kilobytes) / 1024) }
        print("  " + padded("after 1,000 scans (baseline for growth)") + " " + megabytes(early))
        print("  " + padded("after \(scans / 2) scans") + " " + megabytes(half))
        print("  " + padded("after \(scans) scans") + " " + megabytes(late))
        print(
            String(
                format: "  growth %+.1f MB in the first half, %+.1f MB in the second (%.2f× the baseline at the end)",
                Double(half - early) / 1024, Double(late - half) / 1024, Double(late) / Double(max(early, 1))))
        print("  what is resident at the end, and what of it the scans after the first 1,000 touched:")
        for part in MemoryPart.measure(pid: pid, program: daemon.program) {
            print(
                "    " + part.name.padding(toLength: 50, withPad: " ", startingAt: 0) + megabytes(part.resident) + megabytes(part.touched))
        }
    }

    /// Resident memory by kind, from /proc/PID/smaps: `touched` is what was referenced since
    /// the last write to clear_refs.
    struct MemoryPart {
        var name: String
        var resident = 0
        var touched = 0

        static func measure(pid: Int32, program: String) -> [MemoryPart] {
            // Read to the end: the file's size is 0, and a single read returns only its start.
            let text = String(decoding: FileHandle(forReadingAtPath: "/proc/\(pid)/smaps")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
            var parts: [String: MemoryPart] = [:]
            var current = ""
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                if let range = fields.first, range.contains("-"), range.allSatisfy({ $0.isHexDigit || $0 == "-" }), fields.count >= 5 {
                    let path = fields.count > 5 ? String(fields[5]) : ""
                    let permissions = fields[1]
                    current =
                        if path.hasSuffix("/" + program) {
                            permissions.contains("x")
                                ? "yizhand: code and read-only data"
                                : permissions.contains("w") ? "yizhand: data (relocated)" : "yizhand: other read-only data"
                        } else if path.hasPrefix("/") {
                            "shared libraries (libc, SQLite, libstdc++, …)"
                        } else {
                            "heap, stacks, anonymous"
                        }
                } else if fields.count >= 2, let value = Int(fields[1]) {
                    if fields[0] == "Rss:" { parts[current, default: MemoryPart(name: current)].resident += value }
                    if fields[0] == "Referenced:" { parts[current, default: MemoryPart(name: current)].touched += value }
                }
            }
            return parts.values.sorted { $0.resident > $1.resident }
        }
    }

    /// Start to `READY=1` with `entries` ledger entries, against an empty station.
    static func startup(entries: Int) throws {
        func timeToReady(_ daemon: DaemonProcess) throws -> Double {
            var samples: [Double] = []
            for _ in 0..<3 {
                let start = ContinuousClock.now
                try daemon.start()
                samples.append(seconds(ContinuousClock.now - start))
                daemon.stop()
            }
            return samples.sorted()[1]
        }
        let empty = try DaemonProcess()
        let big = try DaemonProcess()
        defer {
            empty.directory.remove()
            big.directory.remove()
        }
        try empty.start()
        empty.stop()
        try big.start()
        big.stop()
        try fillLedger(path: big.directory.file("state/yizhan.sqlite"), entries: entries)
        let baseline = try timeToReady(empty)
        let loaded = try timeToReady(big)
        print("start to READY=1 (median of 3, target under 300 ms):")
        print("  " + padded("empty station (baseline)") + String(format: " %8.1f ms", baseline * 1000))
        print("  " + padded("\(entries) ledger entries") + String(format: " %8.1f ms", loaded * 1000))
    }

    /// Appends entries spread over 1,000 volunteers, with their cached balances right.
    static func fillLedger(path: String, entries: Int) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            for volunteer in 1...1000 {
                try db.execute(
                    sql:
                        "INSERT INTO volunteer (name, role, balance, earned, created_at) VALUES (?, 'volunteer', ?, ?, '2026-01-01T00:00:00Z')",
                    arguments: ["v\(volunteer)", entries / 1000 * 2, entries / 1000 * 2])
            }
            let insert = try db.makeStatement(
                sql:
                    "INSERT INTO ledger_entry (volunteer_id, delta, kind, source, created_at) VALUES (?, 2, 'patrol_award', ?, '2026-01-01T00:00:00Z')"
            )
            for index in 0..<(entries / 1000 * 1000) {
                try insert.execute(arguments: [index % 1000 + 1, "patrol:\(index)"])
            }
        }
    }

    /// 100 scans a second for `seconds` through the FIFO scanner: every one recorded.
    static func sustained(rate: Int, seconds: Int) throws {
        try withDaemon { daemon in try sustained(daemon, rate: rate, seconds: seconds) }
    }

    static func sustained(_ daemon: DaemonProcess, rate: Int, seconds: Int) throws {
        let scanner = try BenchScanner(daemon)
        let total = rate * seconds
        let start = ContinuousClock.now
        for index in 0..<total {
            scanner.scan()
            let due = start + .milliseconds(1000 * (index + 1) / rate)
            if due > .now { Thread.sleep(forTimeInterval: Bench.seconds(due - .now)) }
        }
        let recorded = try scanner.waitForRecorded(total, timeout: .seconds(60))
        print("\(rate) scans/s for \(seconds) s through the FIFO scanner:")
        print("  sent \(total), recorded \(recorded), lost \(total - recorded)")
    }

    /// The API's read routes over the admin socket against nginx serving each answer as a
    /// static file on a Unix socket, and against a bare Hummingbird route returning the
    /// same bytes: `clients` keep-alive connections, the same with a connection a request,
    /// and one client for how reads scale.
    static func api(clients: Int, seconds: Int) throws {
        try withDaemon(extra: DaemonProcess.defaultRules + benchCatalog) { daemon in
            let routes = ["/v1/health", "/v1/status", "/v1/catalog"]
            let bodies = try routes.map { try daemon.client.send("GET", $0).body }
            let nginx = try Nginx(serving: Dictionary(uniqueKeysWithValues: zip(routes.map(Self.fileName), bodies)))
            defer { nginx.stop() }
            let bare = try BareHummingbird.start(
                socket: nginx.directory.file("hummingbird.sock"), files: routes.map { nginx.directory.file(fileName($0)) })
            defer { bare.stop() }
            let duration = Duration.seconds(seconds)
            print(
                "API reads over a Unix socket, \(seconds) s each, against nginx serving each answer as a file (baseline)"
                    + " and a bare Hummingbird route returning it:")
            var status: (one: Double, many: Double) = (0, 0)
            for (route, body) in zip(routes, bodies) {
                for (label, keepAlive, count) in [
                    ("\(clients) keep-alive", true, clients), ("\(clients) a connection a request", false, clients),
                    ("1 keep-alive", true, 1),
                ] {
                    let baseline = HTTPLoad(socketPath: nginx.socket, path: "/" + fileName(route), clients: count, keepAlive: keepAlive)
                        .run(for: duration)
                    let framework = HTTPLoad(socketPath: bare.socket, path: "/" + fileName(route), clients: count, keepAlive: keepAlive)
                        .run(for: duration)
                    let ours = HTTPLoad(socketPath: daemon.adminSocket, path: route, clients: count, keepAlive: keepAlive).run(
                        for: duration)
                    print("  GET \(route) (\(body.count) bytes), \(label):")
                    print(loadRow("nginx", baseline))
                    print(loadRow("hummingbird", framework) + String(format: "  %.2f× nginx", framework.perSecond / baseline.perSecond))
                    print(
                        loadRow("yizhand", ours)
                            + String(
                                format: "  %.2f× nginx, %.2f× Hummingbird", ours.perSecond / baseline.perSecond,
                                ours.perSecond / framework.perSecond))
                    if route == "/v1/status" && keepAlive {
                        if count == 1 { status.one = ours.perSecond } else { status.many = ours.perSecond }
                    }
                }
            }
            print(
                String(
                    format: "  GET /v1/status, %d keep-alive clients against 1: %.2f× the throughput", clients, status.many / status.one))
        }
    }

    /// Scans at 100 a second while `clients` keep the status route busy (`scanStorm`).
    static func storm(clients: Int, seconds: Int) throws {
        try withDaemon { daemon in try scanStorm(daemon, clients: clients, seconds: seconds) }
    }

    static let benchCatalog = (1...12).map { "\n[[catalog]]\nid = \"item-\($0)\"\nname = \"商品\($0)\"\ncost = \($0 * 5)\nstock = 20\n" }
        .joined()

    static func fileName(_ route: String) -> String {
        route.split(separator: "/").last.map { $0 + ".json" } ?? "index.json"
    }

    static func loadRow(_ name: String, _ result: HTTPLoad.Result) -> String {
        "    " + name.padding(toLength: 12, withPad: " ", startingAt: 0)
            + String(
                format: " %8.0f requests/s   p50 %6.3f ms   p99 %6.3f ms%@", result.perSecond, result.latency(0.5) * 1000,
                result.latency(0.99) * 1000, result.failures > 0 ? "   \(result.failures) failed" as NSString : "" as NSString)
    }

    /// Scan latency (FIFO write to the `scan` event on the kiosk socket's event stream, as
    /// the station's screen follows it) at 100 scans a second: without other load (the
    /// baseline), while `clients` keep-alive clients ask for `GET /v1/status` on the admin
    /// socket as fast as they are answered (the manager's and the district's reads), and
    /// while they ask on the kiosk socket itself. Reads must not starve the scan path. The
    /// three alternate in rounds of two seconds, so that all meet the same disk: this VM's
    /// fsync times drift by more than the load changes them.
    static func scanStorm(_ daemon: DaemonProcess, clients: Int, seconds: Int) throws {
        var quiet = StormPhase()
        var adminLoaded = StormPhase()
        var kioskLoaded = StormPhase()
        for _ in 0..<max(1, seconds / 2) {
            try quiet.measure(daemon)
            try adminLoaded.measure(daemon, whileAsking: daemon.adminSocket, clients: clients)
            try kioskLoaded.measure(daemon, whileAsking: daemon.kioskSocket, clients: clients)
        }
        print(
            "scans at 100/s, FIFO write → `scan` event on the kiosk socket, \(quiet.latencies.count) each way in rounds of 200 (with"
                + " the daemon's count of commits over 5 ms; the kernel's of the time its threads outside the event loops, and the"
                + " bench's two that write and read the scans, waited on a run queue; and the time the hypervisor took from the two"
                + " CPUs; loaded, the status answers a second and their p99):")
        print(quiet.row("no other load (baseline)"))
        for (name, loaded) in [("admin", adminLoaded), ("kiosk", kioskLoaded)] {
            print(loaded.row("GET /v1/status, \(clients) clients, \(name) socket"))
            print(String(format: "    loaded p99 %.2f× the unloaded (target within 1.5×)", loaded.figures.p99 / quiet.figures.p99))
            let (delivered, quietDelivered) = (Bench.figures(loaded.delivered).p99, Bench.figures(quiet.delivered).p99)
            print(
                String(
                    format: "    less the bench's reader's own wait for a core once the event woke it: p99 %.3f ms against %.3f ms, %.2f×",
                    delivered * 1000, quietDelivered * 1000, delivered / quietDelivered))
        }
    }

    /// One side of the storm, over its rounds: each scan's latency, and what else happened
    /// while they were measured.
    struct StormPhase {
        var latencies: [Double] = []
        /// Each scan's latency less the time the bench's reader, woken by its event, then
        /// waited for a core: when the daemon had the event on the socket, near enough.
        var delivered: [Double] = []
        var slowCommits = 0
        /// Nanoseconds the daemon's threads outside the event loops waited for a core.
        var daemonWaited: UInt64 = 0
        /// Nanoseconds the bench's thread that writes the scans and its thread that reads the
        /// events waited for a core.
        var benchWaited: UInt64 = 0
        /// Nanoseconds the hypervisor ran something else while the VM's CPUs had work.
        var stolen: UInt64 = 0
        /// Each round's status answers a second, while the round was loaded.
        var perSecond: [Double] = []
        /// Each status answer's time, request written to answer read, while loaded: what
        /// the reads pay for the scans before them (`ScansFirst`).
        var answerLatencies: [Double] = []

        var figures: Figures { Bench.figures(latencies) }

        /// Sends a round of 200 scans and adds up what they took; with `clients` keep-alive
        /// clients asking `socket` for the status all the while, when given.
        mutating func measure(_ daemon: DaemonProcess, whileAsking socket: String? = nil, clients: Int = 0) throws {
            let load = DispatchGroup()
            let answered = Mutex<HTTPLoad.Result?>(nil)
            if let socket {
                DispatchQueue.global().async(group: load) {
                    let result = HTTPLoad(socketPath: socket, path: "/v1/status", clients: clients, keepAlive: true).run(for: .seconds(2.5))
                    answered.withLock { $0 = result }
                }
                Thread.sleep(forTimeInterval: 0.2)
            }
            defer {
                load.wait()
                if let result = answered.withLock({ $0 }) {
                    perSecond.append(result.perSecond)
                    answerLatencies += result.latencies
                }
            }
            let pid = daemon.pid ?? 0
            let (commits, waits, steal) = (try Bench.slowCommits(daemon), scanPathWaits(pid), stolenNanoseconds())
            let timed = try timedScans(daemon, count: 200)
            latencies += timed.latencies
            delivered += zip(timed.latencies, timed.readerWaits).map { $0 - $1 }
            benchWaited += timed.measurerWaited
            daemonWaited += growth(from: waits, to: scanPathWaits(pid))
            stolen += stolenNanoseconds() - steal
            slowCommits += try Bench.slowCommits(daemon) - commits
        }

        func row(_ name: String) -> String {
            let scans = Double(latencies.count)
            return Bench.row(name, figures) + "   \(slowCommits) slow"
                + String(
                    format: "   waited for a core %.0f µs a scan (the bench's %.0f µs)   stolen %.0f ms%@",
                    Double(daemonWaited) / 1000 / scans,
                    Double(benchWaited) / 1000 / scans, Double(stolen) / 1_000_000,
                    (perSecond.isEmpty
                        ? ""
                        : String(
                            format: "   %.0f status answers/s, p99 %.3f ms", perSecond.reduce(0, +) / Double(perSecond.count),
                            Bench.figures(answerLatencies).p99 * 1000)) as NSString)
        }
    }

    /// The time, over all CPUs, that the hypervisor gave to something else while this
    /// machine's CPUs wanted to run (`steal` in `/proc/stat`, kept by the kernel in
    /// nanoseconds and shown in clock ticks), in nanoseconds. The host can take a busy
    /// virtual CPU away for milliseconds at a time: under load a p99 on a VM can be the
    /// host's.
    static func stolenNanoseconds() -> UInt64 {
        let stat = (try? String(contentsOfFile: "/proc/stat", encoding: .utf8)) ?? ""
        let fields = stat.split(separator: "\n").first?.split(separator: " ") ?? []
        let ticks = fields.count > 8 ? UInt64(fields[8]) ?? 0 : 0
        return ticks * 1_000_000_000 / UInt64(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// For each thread of the daemon outside its event loops (the scan path: scanners, the
    /// station, the store's writer), the nanoseconds it has spent runnable but waiting for a
    /// core (`waited`).
    static func scanPathWaits(_ pid: Int32) -> [String: UInt64] {
        threadCounts(of: pid) { thread in
            let name = (try? String(contentsOfFile: thread + "/comm", encoding: .utf8)) ?? "NIO-"
            return name.hasPrefix("NIO-") ? nil : waited(thread)
        }
    }

    /// Nanoseconds the thread at `/proc/PID/task/TID` (or `/proc/thread-self`) has spent
    /// runnable but waiting for a core: the second field of its `schedstat`.
    static func waited(_ thread: String) -> UInt64? {
        let fields = ((try? String(contentsOfFile: thread + "/schedstat", encoding: .utf8)) ?? "").split(separator: " ")
        return fields.count < 2 ? nil : UInt64(fields[1])
    }

    /// Scans whose arrival to commit took over 5 ms, from the daemon's histogram (both
    /// buckets from one reading: a scan committed between two readings would count in one).
    static func slowCommits(_ daemon: DaemonProcess) throws -> Int {
        let (all, fast) = ("yizhan_scan_commit_seconds_bucket{le=\"+Inf\"}", "yizhan_scan_commit_seconds_bucket{le=\"0.005\"}")
        let buckets = try daemon.metrics([all, fast])
        return Int((buckets[all] ?? 0) - (buckets[fast] ?? 0))
    }

    /// Sends `count` scans 10 ms apart; each one's time from its write to its event, how long
    /// the reader then waited for a core once that event had woken it, and how long the two
    /// threads that write and read them waited for a core in all.
    ///
    /// Their waits are the bench's share of a scan's time: under load the thread that reads
    /// the events shares the cores with the load generator and the daemon's event loops.
    static func timedScans(_ daemon: DaemonProcess, count: Int) throws -> (
        latencies: [Double], readerWaits: [Double], measurerWaited: UInt64
    ) {
        let events = try EventStream(client: daemon.kioskClient, after: nil)
        let scanner = try BenchScanner(daemon)
        let sent = Mutex([ContinuousClock.Instant]())
        let writerWaited = Mutex<UInt64>(0)
        let writerDone = DispatchSemaphore(value: 0)
        let writer = Thread {
            let before = threadWaited()
            defer {
                writerWaited.withLock { $0 = threadWaited() - before }
                writerDone.signal()
            }
            let start = ContinuousClock.now
            for index in 0..<count {
                let due = start + .milliseconds(10 * index)
                if due > .now { Thread.sleep(forTimeInterval: Bench.seconds(due - .now)) }
                sent.withLock { $0.append(.now) }
                scanner.scan()
            }
        }
        let readerBefore = threadWaited()
        writer.start()
        var samples: [Double] = []
        var readerWaits: [Double] = []
        while samples.count < count {
            // Read just before the reader blocks for the event, and again once it has it:
            // between them it waited for a core only after the event had woken it.
            let beforeEvent = threadWaited()
            guard let event = try events.next() else { break }
            guard event.kind == .scan else { continue }
            // Its wait read first: any wait after this reading stays in the latency.
            let waited = threadWaited() - beforeEvent
            let arrived = ContinuousClock.now
            samples.append(seconds(arrived - sent.withLock { $0[samples.count] }))
            readerWaits.append(Double(waited) / 1e9)
        }
        let readerWaited = threadWaited() - readerBefore
        writerDone.wait()
        return (samples, readerWaits, readerWaited + writerWaited.withLock { $0 })
    }

    /// Nanoseconds the calling thread has spent runnable but waiting for a core.
    static func threadWaited() -> UInt64 {
        waited("/proc/thread-self") ?? 0
    }
}

/// Checkpoint scans written into a daemon's FIFO scanner, as fast as asked. One thread at a
/// time uses it (the storm hands it to its writer thread).
final class BenchScanner: @unchecked Sendable {
    let daemon: DaemonProcess
    private let fifo: Int32
    private(set) var sent = 0

    init(_ daemon: DaemonProcess) throws {
        self.daemon = daemon
        // Opening waits for the daemon to read; a signal (an earlier daemon ending) can cut it short.
        var fifo: Int32
        repeat { fifo = open(daemon.fifo, O_WRONLY | O_CLOEXEC) } while fifo < 0 && errno == EINTR
        guard fifo >= 0 else { throw CocoaError(.fileWriteUnknown) }
        self.fifo = fifo
    }

    deinit {
        close(fifo)
    }

    func scan() {
        let line = Array("YZ:C:extinguisher-\(sent % 7)\n".utf8)
        _ = line.withUnsafeBytes { write(fifo, $0.baseAddress, $0.count) }
        sent += 1
    }

    /// Waits until the scan log holds `count` scans; returns how many it holds.
    @discardableResult
    func waitForRecorded(_ count: Int, timeout: Duration) throws -> Int {
        func recorded() throws -> Int { (try daemon.get("/v1/scans?limit=1")["items"] as? [[String: Any]])?.first?["seq"] as? Int ?? 0 }
        _ = try daemon.waitUntil(timeout: timeout) { try recorded() >= count }
        return try recorded()
    }
}

/// nginx on a Unix socket in a directory of its own, serving one file.
final class Nginx {
    let directory: TemporaryDirectory
    private let server: SocketServer

    var socket: String { server.socket }

    init(serving files: [String: Data]) throws {
        directory = try TemporaryDirectory()
        let socket = directory.file("nginx.sock")
        for (name, body) in files { try body.write(to: URL(fileURLWithPath: directory.file(name))) }
        let config = """
            daemon off;
            worker_processes auto;
            user root;
            pid \(directory.file("nginx.pid"));
            error_log stderr error;
            events { worker_connections 1024; }
            http {
                access_log off;
                keepalive_requests 1000000;
                server {
                    listen unix:\(socket);
                    root \(directory.path);
                }
            }
            """
        try config.write(toFile: directory.file("nginx.conf"), atomically: true, encoding: .utf8)
        server = try SocketServer("/usr/sbin/nginx", ["-c", directory.file("nginx.conf"), "-p", directory.path], socket: socket)
    }

    func stop() {
        server.stop()
        directory.remove()
    }
}

/// A server the bench runs as a child process, taken as ready once its socket exists.
final class SocketServer {
    let socket: String
    private let process = Process()

    init(_ executable: String, _ arguments: [String], socket: String) throws {
        self.socket = socket
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        try process.run()
        let deadline = ContinuousClock.now + .seconds(10)
        while !FileManager.default.fileExists(atPath: socket) && ContinuousClock.now < deadline { usleep(10_000) }
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
