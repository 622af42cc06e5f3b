import Foundation
import GRDB
import Synchronization
import YizhanClient
import YizhanTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The built daemon as a whole: idle cost, memory over many scans, start-up on a big
/// ledger, a sustained scan rate, and status requests against nginx.
extension Bench {
    /// Context switches (each a wake-up of a sleeping thread) and CPU time of a process.
    struct Activity {
        var wakeups: Int
        var cpu: Double

        init(pid: Int32) {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            wakeups = tasks.reduce(0) { total, task in
                let status = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8)) ?? ""
                return total
                    + status.split(separator: "\n").filter {
                        $0.hasPrefix("voluntary_ctxt_switches") || $0.hasPrefix("nonvoluntary_ctxt_switches")
                    }
                    .compactMap { Int($0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) }.reduce(0, +)
            }
            // utime and stime, fields 14 and 15 of /proc/PID/stat, in clock ticks.
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
            let ticks = fields.count > 12 ? (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0) : 0
            cpu = ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
        }
    }

    /// A started daemon for one part, stopped and cleared away after it.
    static func withDaemon(
        environment: [String: String] = [:], extra: String = DaemonProcess.defaultRules, _ body: (DaemonProcess) throws -> Void
    ) throws {
        let daemon = try DaemonProcess(extra: extra)
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
    /// showing green steady (SPEC 3.3) and, for comparison, the green breathing it replaced.
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
                    format: " %8.1f wake-ups/min   %.1f ms CPU/min", Double(after.wakeups - before.wakeups) * perMinute,
                    (after.cpu - before.cpu) * perMinute * 1000))
    }

    /// Resident memory after 1,000 scans, after half of `scans` and after `scans` through the
    /// FIFO scanner: the second half shows whether what grew in the first was caches
    /// filling up (SQLite's pages, the event stream's held events) or a leak.
    static func memory(scans: Int) throws {
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
        let half = try resident(after: scans / 2)
        let late = try resident(after: scans)
        func megabytes(_ kilobytes: Int) -> String { String(format: "%8.1f MB", Double(kilobytes) / 1024) }
        print("resident memory (target: no growth, under 40 MB):")
        print("  " + padded("after 1,000 scans (baseline)") + " " + megabytes(early))
        print("  " + padded("after \(scans / 2) scans") + " " + megabytes(half))
        print("  " + padded("after \(scans) scans") + " " + megabytes(late))
        print(
            String(
                format: "  growth %+.1f MB in the first half, %+.1f MB in the second (%.2f× the baseline at the end)",
                Double(half - early) / 1024, Double(late - half) / 1024, Double(late) / Double(max(early, 1))))
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

    /// `GET /v1/status` over the admin socket against nginx serving a file of the same size
    /// on a Unix socket, `clients` clients for `seconds` each, one connection a request.
    static func statusThroughput(clients: Int, seconds: Int) throws {
        try withDaemon { daemon in try statusThroughput(daemon, clients: clients, seconds: seconds) }
    }

    static func statusThroughput(_ daemon: DaemonProcess, clients: Int, seconds: Int) throws {
        let body = try daemon.client.send("GET", "/v1/status").body
        let nginx = try Nginx(serving: body)
        defer { nginx.stop() }
        let baseline = requestsPerSecond(UnixHTTPClient(socketPath: nginx.socket), path: "/status.json", clients: clients, seconds: seconds)
        let ours = requestsPerSecond(daemon.client, path: "/v1/status", clients: clients, seconds: seconds)
        print("GET /v1/status over a Unix socket, \(clients) clients, \(body.count)-byte answer:")
        print("  " + padded("nginx, static file of the same size (baseline)") + String(format: " %8.0f requests/s", baseline))
        print("  " + padded("yizhand /v1/status") + String(format: " %8.0f requests/s", ours))
        print(String(format: "  ratio %.2f×", ours / baseline))
    }

    static func requestsPerSecond(_ client: UnixHTTPClient, path: String, clients: Int, seconds: Int) -> Double {
        let counts = Mutex([Int](repeating: 0, count: clients))
        let deadline = ContinuousClock.now + .seconds(seconds)
        DispatchQueue.concurrentPerform(iterations: clients) { index in
            var done = 0
            while ContinuousClock.now < deadline {
                if (try? client.send("GET", path))?.status == 200 { done += 1 }
            }
            counts.withLock { $0[index] = done }
        }
        return Double(counts.withLock { $0.reduce(0, +) }) / Double(seconds)
    }
}

/// Checkpoint scans written into a daemon's FIFO scanner, as fast as asked.
final class BenchScanner {
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
    let socket: String
    private let process = Process()

    init(serving body: Data) throws {
        directory = try TemporaryDirectory()
        socket = directory.file("nginx.sock")
        try body.write(to: URL(fileURLWithPath: directory.file("status.json")))
        let config = """
            daemon off;
            worker_processes auto;
            user root;
            pid \(directory.file("nginx.pid"));
            error_log stderr error;
            events { worker_connections 1024; }
            http {
                access_log off;
                server {
                    listen unix:\(socket);
                    root \(directory.path);
                }
            }
            """
        try config.write(toFile: directory.file("nginx.conf"), atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-c", directory.file("nginx.conf"), "-p", directory.path]
        try process.run()
        let deadline = ContinuousClock.now + .seconds(10)
        while !FileManager.default.fileExists(atPath: socket) && ContinuousClock.now < deadline { usleep(10_000) }
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
        directory.remove()
    }
}
