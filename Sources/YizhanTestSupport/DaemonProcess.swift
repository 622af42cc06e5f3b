import Foundation
import YizhanClient
import YizhanWire

#if canImport(Glibc)
    import Glibc
#endif

/// The built `yizhand` running on a config in a temporary directory, with a FIFO scanner
/// and a file printer, for end-to-end tests through the real binary.
public final class DaemonProcess: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public let configPath: String
    /// The `[station] id` the config is written with.
    public let stationID: String
    private var process: Process?
    /// The program started, by its name among the built products: `yizhand`, or a copy
    /// linked otherwise that a benchmark compares it with.
    public var program = "yizhand"
    /// What the daemon tells systemd.
    public let notify: NotifySocket

    public var adminSocket: String { directory.file("admin.sock") }
    public var kioskSocket: String { directory.file("kiosk.sock") }
    public var fifo: String { directory.file("scanner.fifo") }
    public var slips: String { directory.file("slips.escpos") }
    public var client: UnixHTTPClient { UnixHTTPClient(socketPath: adminSocket, timeout: .seconds(20)) }
    public var kioskClient: UnixHTTPClient { UnixHTTPClient(socketPath: kioskSocket, timeout: .seconds(20)) }
    /// The admin socket's API, typed as `yizhanctl` calls it.
    public var api: APIClient { APIClient(socketPath: adminSocket, timeout: .seconds(20)) }

    /// The directory holding the built products (`yizhand`, `yizhanctl`).
    public static var productsDirectory: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: beside.appendingPathComponent("yizhand").path) { return beside }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug")
    }

    /// Writes a config; `extra` is appended TOML (checkpoints, catalogue, overrides) and
    /// `scanners` replaces the FIFO scanner.
    public init(
        stationID: String = "e2e-station", extra: String = DaemonProcess.defaultRules, scanners: String? = nil, printer: String? = nil
    ) throws {
        BrokenPipes.areErrors
        self.stationID = stationID
        directory = try TemporaryDirectory()
        configPath = directory.file("yizhand.toml")
        notify = try NotifySocket(path: directory.file("notify.sock"))
        try writeConfig(extra: extra, scanners: scanners, printer: printer)
    }

    /// Rewrites the config file (for reload tests); `[api]` can be replaced through `api`.
    public func writeConfig(extra: String = DaemonProcess.defaultRules, api: String? = nil, scanners: String? = nil, printer: String? = nil)
        throws
    {
        let config = """
            [station]
            id = "\(stationID)"
            name = "端到端测试驿站"
            timezone = "Asia/Shanghai"

            [paths]
            state_dir = "\(directory.file("state"))"
            log_dir = "\(directory.file("log"))"

            \(api ?? "[api]\nadmin_socket = \"\(adminSocket)\"\nkiosk_socket = \"\(kioskSocket)\"")

            \(scanners ?? "[[scanner]]\nid = \"front\"\nkind = \"fifo\"\npath = \"\(fifo)\"")

            \(printer ?? "[printer]\ntransport = \"file\"\npath = \"\(slips)\"")

            \(extra)
            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Rules for driving a patrol in seconds: no minimum duration, no debounce, and a
    /// patrol kind that does not depend on the time of day the test runs at.
    public static let defaultRules = """
        [patrol]
        min_minutes = 0
        key_periods = []
        weekly_slot = ""

        [kiosk]
        debounce_seconds = 0

        [[checkpoint]]
        id = "extinguisher-1"
        name = "灭火器（1号）"

        [[checkpoint]]
        id = "water-dispenser"
        name = "饮水机"

        [[catalog]]
        id = "soap"
        name = "肥皂"
        cost = 4
        stock = 1000

        [[catalog]]
        id = "towel"
        name = "毛巾"
        cost = 20
        stock = 5
        """

    /// Starts the daemon (inside `wrapper`, e.g. `umockdev-run … --`, if given) and
    /// returns once it has sent `READY=1`, or at once when not `untilReady`.
    public func start(environment extra: [String: String] = [:], wrapper: [String] = [], untilReady: Bool = true) throws {
        let process = Process()
        let daemon = Self.productsDirectory.appendingPathComponent(program).path
        if let runner = wrapper.first {
            process.executableURL = URL(fileURLWithPath: runner)
            process.arguments = Array(wrapper.dropFirst()) + [daemon, "--config", configPath]
        } else {
            process.executableURL = URL(fileURLWithPath: daemon)
            process.arguments = ["--config", configPath]
        }
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = notify.path
        environment.merge(extra) { $1 }
        process.environment = environment
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        self.process = process
        guard !untilReady || notify.wait(for: "READY=1", timeout: .seconds(60)) else {
            process.terminate()
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "yizhand did not become ready"])
        }
    }

    /// Sends a signal and waits for the process to end; returns its exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM) -> Int32? {
        guard let process else { return nil }
        self.signal(signal)
        process.waitUntilExit()
        self.process = nil
        return process.terminationStatus
    }

    /// Sends a signal and leaves the daemon running (SIGHUP reloads). Under a wrapper the
    /// daemon is the wrapper's child: it gets the signal first, then the wrapper.
    public func signal(_ signal: Int32) {
        guard let process else { return }
        for pid in Self.descendants(of: process.processIdentifier) + [process.processIdentifier] { kill(pid, signal) }
    }

    static func descendants(of pid: Int32) -> [Int32] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        let children = text.split(separator: " ").compactMap { Int32($0) }
        return children.flatMap { descendants(of: $0) + [$0] }
    }

    public var isRunning: Bool { process?.isRunning ?? false }

    /// The daemon's process id (the wrapper's, under a wrapper).
    public var pid: Int32? { process?.processIdentifier }

    /// Writes lines (or raw bytes) into the scanner FIFO, as a serial scanner would.
    public func scanThroughFIFO(_ bytes: [UInt8]) throws {
        let descriptor = open(fifo, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(descriptor) }
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    public func scanThroughFIFO(_ lines: String...) throws {
        try scanThroughFIFO(Array(lines.map { $0 + "\n" }.joined().utf8))
    }

    /// Re-checks `condition` until it holds or `timeout` passes: only for what no event
    /// announces (the district's own database, the kernel's count of the daemon's
    /// descriptors). Whatever the daemon does is awaited on its event stream (`events()`).
    public func waitUntil(timeout: Duration = .seconds(20), _ condition: () throws -> Bool) rethrows -> Bool {
        try YizhanTestSupport.waitUntil(timeout: timeout, condition)
    }

    /// Registers a volunteer through the API with `points` as an opening adjustment and a QR
    /// badge; throws when the daemon refuses any of the three.
    public func registerVolunteer(_ name: String, points: Int) throws -> (id: Int, badge: String) {
        let api = self.api
        let volunteer = try api.call(API.registerVolunteer(NewVolunteerBody(name: name)))
        _ = try api.call(API.adjust(AdjustmentBody(volunteerID: volunteer.id, delta: points, note: "opening balance")))
        guard let badge = try api.call(API.issueBadge(volunteer: volunteer.id, NewBadgeBody(kind: .qr))).code else {
            throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "\(name)'s new badge came without its code"])
        }
        return (Int(volunteer.id), badge)
    }

    /// A volunteer's balance, as the API reports it.
    public func balance(_ id: some BinaryInteger) throws -> Int {
        try api.call(API.volunteer(Int64(id))).balance
    }

    /// Whether every volunteer's cached balance and earnings are the sums of their ledger.
    public func ledgerVerifies() throws -> Bool {
        try api.call(API.verifyLedger(VerifyBody())).mismatches.isEmpty
    }

    /// GET a JSON object from the admin socket.
    public func get(_ path: String) throws -> [String: Any] {
        try client.send("GET", path).json ?? [:]
    }

    /// Every item of a list read newest first, a page of `limit` at a time, each page asked
    /// for from the `next` of the one before.
    public func all(_ path: String, limit: Int = 1000) throws -> [[String: Any]] {
        var items: [[String: Any]] = []
        var next: String?
        repeat {
            let page = try get(path + (path.contains("?") ? "&" : "?") + "limit=\(limit)" + (next.map { "&before=\($0)" } ?? ""))
            items += page["items"] as? [[String: Any]] ?? []
            next = page["next"] as? String
        } while next != nil
        return items
    }

    /// POST JSON to the admin socket.
    public func post(_ path: String, _ body: [String: Any] = [:]) throws -> UnixHTTPClient.Response {
        try client.send("POST", path, json: body)
    }

    /// Nanoseconds each of the daemon's event loops (NIO's `NIO-…` threads) ran, by thread
    /// id, while `clients` clients asked `socket` for the status 500 times each: from the
    /// kernel (the first field of `/proc/PID/task/TID/schedstat`).
    public func loopTimes(whileAsking socket: String, clients: Int = 4) -> [String: UInt64] {
        let before = loopTimes()
        DispatchQueue.concurrentPerform(iterations: clients) { _ in
            let client = UnixHTTPClient(socketPath: socket, timeout: .seconds(20))
            for _ in 0..<500 { _ = try? client.send("GET", "/v1/status") }
        }
        return loopTimes().reduce(into: [:]) { grown, loop in grown[loop.key] = loop.value - (before[loop.key] ?? 0) }
    }

    /// The thread (its id) that answers `socket`: the loop that ran longest while it was asked.
    public func loopAnswering(_ socket: String) -> String? {
        loopTimes(whileAsking: socket).max { $0.value < $1.value }?.key
    }

    private func loopTimes() -> [String: UInt64] {
        threadCounts(of: pid ?? 0) { thread in
            guard (try? String(contentsOfFile: thread + "/comm", encoding: .utf8))?.hasPrefix("NIO-") == true else { return nil }
            let schedstat = (try? String(contentsOfFile: thread + "/schedstat", encoding: .utf8)) ?? ""
            return schedstat.split(separator: " ").first.flatMap { UInt64($0) }
        }
    }

    /// A sample's value from `GET /metrics`: `sample` is its name, with its labels if it has
    /// any (`yizhan_scans_total{outcome="accepted"}`); nil when there is no such line.
    public func metric(_ sample: String) throws -> Double? {
        try metrics([sample])[sample]
    }

    /// Several samples' values from one `GET /metrics`, so that they were taken together.
    public func metrics(_ samples: [String]) throws -> [String: Double] {
        let text = String(decoding: try client.send("GET", "/metrics").body, as: UTF8.self)
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            for sample in samples where line.hasPrefix(sample + " ") { values[sample] = Double(line.dropFirst(sample.count + 1)) }
        }
        return values
    }

    deinit {
        stop(signal: SIGKILL)
        directory.remove()
    }
}

/// How many times the thread at `/proc/PID/task/TID` has gone to sleep of itself: its own
/// waits, not a busy machine's preemptions of it.
public func voluntarySwitches(_ thread: String) -> UInt64? {
    let status = (try? String(contentsOfFile: thread + "/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("voluntary_ctxt_switches:") }
    return line.flatMap { UInt64($0.split(separator: "\t").last ?? "") }
}

/// A count each thread of `pid` keeps from its start (context switches, time on a core or
/// waiting for one), by thread id; `read` is given the thread's `/proc` directory and
/// returns nil for a thread to leave out.
public func threadCounts(of pid: Int32, _ read: (String) -> UInt64?) -> [String: UInt64] {
    let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    var counts: [String: UInt64] = [:]
    for thread in threads { counts[thread] = read("/proc/\(pid)/task/\(thread)") }
    return counts
}

/// Re-checks `condition` every 20 ms until it holds or `timeout` passes; whether it held.
public func waitUntil(timeout: Duration = .seconds(20), _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

/// The connections `pid` holds that were accepted on the socket bound at `path`, by the
/// socket's inode: the kernel lists an accepted socket under its listener's path,
/// connected (state 03) where the listener is not, and a client's socket under no path.
public func connections(of pid: Int32, acceptedOn path: String) -> Set<Substring> {
    // Read to its end: the kernel writes the table a page at a time.
    let table = String(decoding: FileHandle(forReadingAtPath: "/proc/net/unix")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
    let accepted = Set(
        table.split(separator: "\n").dropFirst().compactMap { line -> Substring? in
            let fields = line.split(separator: " ")
            return fields.count == 8 && fields[5] == "03" && fields[7] == path ? fields[6] : nil
        })
    let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
    return Set(
        descriptors.compactMap { name -> Substring? in
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(name)")) ?? ""
            guard target.hasPrefix("socket:[") else { return nil }
            let inode = target.dropFirst(8).dropLast()
            return accepted.contains(inode) ? inode : nil
        })
}
