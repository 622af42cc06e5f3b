import Foundation
import Testing
import YizhanClient
import YizhanTestSupport
import YizhanWire

#if canImport(Glibc)
    import Glibc
#endif

/// What a technician relies on: systemd's protocol, reload, permissions, the event stream.
@Suite(.serialized) struct TechnicianTests {
    /// Every datagram the daemon sent, in order, until none comes for a moment.
    func drain(_ daemon: DaemonProcess) -> [String] {
        var messages: [String] = []
        while let message = daemon.notify.receive(timeout: .seconds(1)) { messages.append(message) }
        return messages
    }

    /// The first status line containing `text`; `seen` is given every status line up to it.
    func waitForStatus(_ daemon: DaemonProcess, containing text: String, seen: (String) -> Void = { _ in }) -> String? {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            guard let message = daemon.notify.receive(timeout: .seconds(20)) else { return nil }
            if let status = message.split(separator: "\n").first(where: { $0.hasPrefix("STATUS=") }) {
                seen(String(status))
                if status.contains(text) { return String(status) }
            }
        }
        return nil
    }

    @Test func systemdHearsReadyStatusWatchdogAndStoppingInOrder() throws {
        let daemon = try DaemonProcess()
        try daemon.start(environment: ["WATCHDOG_USEC": "300000"])  // start() returns after READY=1
        #expect(try daemon.post("/v1/scans", ["code": "YZ:K:CANCEL", "scanner": "desk"]).status == 200)
        let status = waitForStatus(daemon, containing: "last scan")
        #expect(status?.contains("desk accepted selection_cancelled") == true, "\(status ?? "no status")")
        #expect(status?.contains("devices 2/2 present") == true)
        #expect(daemon.notify.wait(for: "WATCHDOG=1", timeout: .seconds(5)))
        #expect(daemon.stop(signal: SIGTERM) == 0, "a clean exit on SIGTERM")
        let rest = drain(daemon)
        #expect(rest.last?.contains("STOPPING=1") == true, "\(rest)")
    }

    /// The log holds nothing personal beyond the volunteer id (SPEC 6). A volunteer is
    /// registered with a name and a phone number, given a card and a QR badge, patrols and
    /// reports a hazard with the card; the manager describes and confirms the hazard, adds
    /// points, and corrects the name and number, each time in words that name the person;
    /// a card no one registered is shown. The log has the day, and none of those words,
    /// numbers, the card's UID or the badge's token.
    @Test func theLogHoldsNothingPersonalBeyondTheVolunteerId() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let scans = try daemon.events()
        let id = try #require(try daemon.post("/v1/volunteers", ["name": "欧阳秀英", "phone": "13912345678"]).json?["id"] as? Int)
        let card = "04A1B2C3D4E5"
        #expect(try daemon.post("/v1/volunteers/\(id)/badges", ["kind": "card", "uid": card]).status == 201)
        let badge = try #require(try daemon.post("/v1/volunteers/\(id)/badges", ["kind": "qr"]).json?["code"] as? String)
        try daemon.scanThroughFIFO(card, "YZ:K:HAZARD", "YZ:C:extinguisher-1", card, "04FFEEDDCCBB", badge)
        let reasons = try scans.next(6, .scan).map(\.reason.rawValue)
        #expect(reasons == ["patrol_started", "command_armed", "hazard_reported", "patrol_incomplete", "unknown_card", "patrol_started"])
        let hazard = try #require((try daemon.get("/v1/hazards")["items"] as? [[String: Any]])?.first?["id"] as? Int)
        let changes: [(String, String, [String: Any])] = [
            ("PATCH", "/v1/hazards/\(hazard)", ["description": "欧阳秀英说灭火器过期，电话13912345678"]),
            ("POST", "/v1/hazards/\(hazard)/transitions", ["to": "confirmed", "note": "已告知欧阳秀英 13912345678"]),
            ("POST", "/v1/adjustments", ["volunteer_id": id, "delta": 5, "note": "给欧阳秀英补分"]),
            ("PATCH", "/v1/volunteers/\(id)", ["name": "欧阳秀兰", "phone": "13800002222"]),
        ]
        for (method, path, body) in changes {
            #expect(try daemon.client.send(method, path, json: body).status < 300, "\(method) \(path)")
        }
        #expect(daemon.stop() == 0)

        let log = try String(contentsOfFile: daemon.directory.file("log/yizhand.log"), encoding: .utf8)
        #expect(log.contains("hazard_reported") && log.contains("/v1/adjustments"), "the day is in the log")
        for personal in [
            "欧阳", "秀英", "秀兰", "13912345678", "13800002222", "过期", "补分", card, "04FFEEDDCCBB", String(badge.dropFirst(8).prefix(8)),
        ] {
            #expect(!log.contains(personal), "\(personal) is in the log")
        }
    }

    /// A burst of scans sends the status line once at the first and then once a second at
    /// most, the last naming the last scan; the daemon's stop still ends with `STOPPING=1`.
    @Test func aBurstOfScansSendsTheStatusLineOnceASecondAtMost() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let started = ContinuousClock.now
        for index in 1...20 {
            #expect(try daemon.post("/v1/scans", ["code": "YZ:K:CANCEL", "scanner": "desk\(index)"]).status == 200)
        }
        var lines: [String] = []
        let last = waitForStatus(daemon, containing: "desk20 ") { lines.append($0) }
        let elapsed = started.duration(to: .now)
        #expect(last?.contains("last scan") == true, "\(last ?? "no status")")
        #expect(lines.count <= Int(elapsed.components.seconds) + 2, "\(lines.count) lines in \(elapsed): \(lines)")
        #expect(lines.count < 20)
        #expect(daemon.stop(signal: SIGTERM) == 0)
        #expect(drain(daemon).last?.contains("STOPPING=1") == true)
    }

    /// The status line and `/metrics` count what waits, as the API lists it: slips a printer
    /// that is not there cannot take, and a patrol begun.
    @Test func theStatusLineAndTheMetricsCountTheQueueAndTheOpenPatrols() throws {
        // Nothing listens on the discard port: every slip stays queued.
        let daemon = try DaemonProcess(printer: "[printer]\ntransport = \"tcp\"\nport = 9\n")
        defer { daemon.directory.remove() }
        try daemon.start()
        _ = try daemon.api.call(API.printTestPage)
        let (_, badge) = try daemon.registerVolunteer("郑十", points: 5)
        #expect(try daemon.post("/v1/scans", ["code": badge, "scanner": "desk"]).status == 200)
        let status = waitForStatus(daemon, containing: "desk accepted patrol_started")
        let queued = try daemon.api.call(API.printJobs()).items.filter { $0.state == .queued }.count
        #expect(queued >= 1)
        #expect(status?.contains("print queue \(queued);") == true, "\(status ?? "no status")")
        #expect(try daemon.metric("yizhan_print_queue") == Double(queued))
        #expect(try daemon.metric("yizhan_open_patrols") == 1)
        #expect(daemon.stop() == 0)
    }

    @Test func aReloadWithABrokenConfigKeepsServingAndAGoodOneApplies() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        try daemon.writeConfig(extra: DaemonProcess.defaultRules + "\n[points]\ndaily = \"two\"\n")
        daemon.signal(SIGHUP)
        let refused = waitForStatus(daemon, containing: "config reload failed")
        #expect(refused?.contains("points.daily: must be a whole number") == true, "\(refused ?? "no status")")
        // The refused reload ends with its own READY=1, after that status: take it now, so
        // the wait below hears the second reload's.
        #expect(daemon.notify.wait(for: "READY=1", timeout: .seconds(20)))
        let failed = try #require(try daemon.api.call(API.status).lastReload)
        #expect(!failed.applied)
        #expect(failed.problems.first?.contains("points.daily") == true, "\(failed)")
        let status = try Command.run(
            Command.product("yizhanctl"), ["--socket", daemon.adminSocket, "status"], environment: ProcessInfo.processInfo.environment)
        #expect(status.output.contains("REFUSED, running on the previous config: "), "\(status.output)")

        let id = try #require(try daemon.post("/v1/volunteers", ["name": "张三"]).json?["id"] as? Int)
        let badge = try #require(try daemon.post("/v1/volunteers/\(id)/badges", ["kind": "qr"]).json?["code"] as? String)
        for code in [badge, "YZ:C:extinguisher-1", "YZ:C:water-dispenser", badge] {
            #expect(try daemon.post("/v1/scans", ["code": code]).json?["outcome"] as? String == "accepted")
        }
        #expect(try daemon.balance(id) == 2, "the old rules stay in force")

        try daemon.writeConfig(
            extra: DaemonProcess.defaultRules + "\n[points]\nspecial = 7\n\n[[campaign]]\nname = \"全年\"\nfrom = \"01-01\"\nto = \"12-31\"\n"
        )
        daemon.signal(SIGHUP)
        #expect(daemon.notify.wait(for: "READY=1", timeout: .seconds(20)))
        for code in ["YZ:K:SPECIAL", badge, "YZ:C:extinguisher-1", "YZ:C:water-dispenser", badge] {
            _ = try daemon.post("/v1/scans", ["code": code])
        }
        #expect(try daemon.balance(id) == 9, "the reloaded campaign's special patrol is worth 7")
        #expect(try daemon.api.call(API.status).lastReload?.applied == true)
    }

    /// A fuzzer-found line the TOML parser aborts on (`a = [}`), sent as a reload: refused
    /// with its reason, the station serving on. Guarded, the known trap says what is wrong;
    /// unguarded (the parser meets it, as it would an input nobody has found yet), the
    /// child that parses the config first dies in its place.
    @Test(arguments: [false, true])
    func aConfigThatAbortsTheParserIsRefusedAtReloadAndTheStationServesOn(unguarded: Bool) throws {
        let daemon = try DaemonProcess()
        try daemon.start(environment: unguarded ? ["YIZHAN_TOML_UNGUARDED": "1"] : [:])
        let (id, badge) = try daemon.registerVolunteer("张三", points: 1)
        try daemon.writeConfig(extra: DaemonProcess.defaultRules + "\nbroken = [}\n")
        daemon.signal(SIGHUP)
        let refused = waitForStatus(daemon, containing: "config reload failed")
        let reason = unguarded ? "the config parser crashed on this file (signal 6)" : "a list is missing a value before `}`"
        #expect(refused?.contains(reason) == true, "\(refused ?? "no status")")
        #expect(daemon.notify.wait(for: "READY=1", timeout: .seconds(20)))
        let failed = try #require(try daemon.api.call(API.status).lastReload)
        #expect(!failed.applied && failed.problems.first?.contains(reason) == true, "\(failed)")
        #expect(try daemon.patrol(badge).last == "patrol_completed", "the station serves on")
        #expect(try daemon.balance(id) == 3)
        #expect(daemon.stop() == 0)
    }

    /// A reload reads its config file once and hands the child that parses it first the text
    /// it read, not the file's name: a file replaced while the child parses cannot reach the
    /// daemon's own parser unchecked. The kernel counts the file's openings (inotify, with the
    /// closings between them: two like events in a row would be reported as one).
    @Test func aReloadReadsItsConfigFileOnce() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        try daemon.writeConfig(extra: DaemonProcess.defaultRules + "\n[points]\nspecial = 7\n")
        let watch = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        try #require(watch >= 0 && inotify_add_watch(watch, daemon.configPath, UInt32(IN_OPEN | IN_CLOSE_NOWRITE)) >= 0)
        defer { close(watch) }
        daemon.signal(SIGHUP)
        #expect(daemon.notify.wait(for: "READY=1", timeout: .seconds(20)))
        #expect(try daemon.api.call(API.status).lastReload?.applied == true)
        var opens = 0
        var events = [UInt8](repeating: 0, count: 4096)
        while case let count = read(watch, &events, events.count), count > 0 {
            // Each event is a struct inotify_event, its name (none for a watched file) after it.
            var offset = 0
            while offset < count {
                let event = events.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: inotify_event.self) }
                if event.mask & UInt32(IN_OPEN) != 0 { opens += 1 }
                offset += MemoryLayout<inotify_event>.size + Int(event.len)
            }
        }
        #expect(opens == 1, "opened by the daemon once, not again by it or by the child")
        #expect(daemon.stop() == 0)
    }

    /// A reload that shortens `max_minutes` ends, there and then, the patrols already past
    /// the new maximum: no scan or timer is needed. The board's clocks (wall and monotonic)
    /// are moved by libfaketime.
    @Test(.enabled(if: FaultTests.libfaketime != nil, "needs libfaketime (apt: faketime)"))
    func aReloadThatShortensThePatrolsMaximumEndsThoseAlreadyPastIt() throws {
        let daemon = try DaemonProcess()
        let clock = daemon.directory.file("clock")
        try "@2026-11-30 01:00:00".write(toFile: clock, atomically: true, encoding: .utf8)
        try daemon.start(environment: [
            "LD_PRELOAD": FaultTests.libfaketime!, "FAKETIME_TIMESTAMP_FILE": clock, "FAKETIME_NO_CACHE": "1", "TZ": "UTC",
        ])
        let (_, badge) = try daemon.registerVolunteer("周九", points: 1)
        let (_, other) = try daemon.registerVolunteer("吴十", points: 1)
        #expect(try daemon.post("/v1/scans", ["code": badge]).json?["reason"] as? String == "patrol_started")
        try "@2026-11-30 02:30:00".write(toFile: clock, atomically: true, encoding: .utf8)
        #expect(try daemon.post("/v1/scans", ["code": other]).json?["reason"] as? String == "patrol_started")
        #expect(try daemon.api.call(API.status).openPatrols == 2, "90 minutes is within the 120 configured")

        try daemon.writeConfig(
            extra: DaemonProcess.defaultRules.replacingOccurrences(of: "min_minutes = 0", with: "min_minutes = 0\nmax_minutes = 60"))
        daemon.signal(SIGHUP)
        #expect(daemon.notify.wait(for: "READY=1", timeout: .seconds(20)))
        let patrols = try daemon.api.call(API.patrols()).items
        #expect(patrols.map(\.state) == [.open, .expired], "\(patrols)")
        #expect(daemon.stop() == 0)
    }

    @Test func aClientThatReconnectsWithItsLastIdGetsEveryEventOnce() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        func scan(_ count: Int) throws -> [Int] {
            try (0..<count).map { _ in try #require(try daemon.post("/v1/scans", ["code": "YZ:K:CANCEL"]).json?["seq"] as? Int) }
        }
        func scanEvents(_ stream: EventStream, _ count: Int) throws -> [EventStream.Event] {
            var events: [EventStream.Event] = []
            while events.count < count, let event = try stream.next() {
                if event.kind == .scan { events.append(event) }
            }
            return events
        }
        func seq(_ event: EventStream.Event) -> Int? {
            (try? event.payload(ScanEvent.self)).flatMap(\.seq).map(Int.init)
        }

        var stream: EventStream? = try EventStream(client: daemon.client, after: 0)
        let first = try scan(3)
        let seen = try scanEvents(stream!, 3)
        #expect(seen.compactMap(seq) == first)
        let lastID = try #require(seen.last?.id)
        stream = nil  // disconnect

        let missed = try scan(4)
        let resumed = try EventStream(client: daemon.client, after: lastID)
        let replayed = try scanEvents(resumed, 4)
        #expect(replayed.compactMap(seq) == missed, "every event in between, once")
        #expect(zip(replayed, replayed.dropFirst()).allSatisfy { $0.id < $1.id })
        let live = try scan(1)
        #expect(try scanEvents(resumed, 1).compactMap(seq) == live, "then live events, with nothing repeated before them")
    }

    static var canSwitchUsers: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser") && getpwnam("nobody") != nil
            && getgrnam("adm") != nil
    }

    @Test(.enabled(if: canSwitchUsers, "needs root, runuser, the user nobody and the group adm"))
    func anUnprivilegedUserIsRefusedByTheAdminSocketAndServedByTheKiosk() throws {
        let daemon = try DaemonProcess()
        try daemon.writeConfig(
            api: "[api]\nadmin_socket = \"\(daemon.adminSocket)\"\nkiosk_socket = \"\(daemon.kioskSocket)\"\nadmin_group = \"adm\"")
        chmod(daemon.directory.path, 0o755)
        try daemon.start()
        var info = stat()
        stat(daemon.adminSocket, &info)
        #expect(info.st_mode & 0o777 == 0o660 && info.st_gid == getgrnam("adm")!.pointee.gr_gid)

        func asNobody(_ arguments: String...) throws -> (Int32, String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments =
                ["-u", "nobody", "--", DaemonProcess.productsDirectory.appendingPathComponent("yizhanctl").path] + arguments
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = Pipe()
            try process.run()
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
        let admin = try asNobody("--socket", daemon.adminSocket, "status")
        #expect(admin.0 == 2 && admin.1.contains("Permission denied"), "\(admin)")
        #expect(try asNobody("--socket", daemon.kioskSocket, "status").0 == 0)
        #expect(try asNobody("--socket", daemon.kioskSocket, "scan", "YZ:K:CANCEL").0 == 0)
        let adminRoute = try asNobody("--socket", daemon.kioskSocket, "volunteer", "list")
        #expect(adminRoute.0 == 1 && adminRoute.1.contains("admin_only"), "\(adminRoute)")
    }

    static var hasSystemdAnalyze: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") }

    @Test(.enabled(if: hasSystemdAnalyze, "needs systemd-analyze"))
    func theUnitPassesSystemdAnalyzeVerifyAndSecurity() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let unit = try String(contentsOf: root.appendingPathComponent("systemd/yizhand.service"), encoding: .utf8)
        #expect(!unit.contains("PrivateUsers="), "it would cut the service off from its device groups")
        #expect(unit.contains("DevicePolicy=closed") && unit.contains("Type=notify"))
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // verify checks that ExecStart exists: point it at the binary just built.
        let built = unit.replacingOccurrences(of: "/usr/bin/", with: DaemonProcess.productsDirectory.path + "/")
        try built.write(toFile: directory.file("yizhand.service"), atomically: true, encoding: .utf8)

        func analyze(_ arguments: [String]) throws -> (Int32, String) {
            let command = try Command.run("/usr/bin/systemd-analyze", arguments)
            return (command.status, command.output + command.errors)
        }
        let verify = try analyze(["verify", directory.file("yizhand.service")])
        #expect(verify.0 == 0, "\(verify.1)")
        let security = try analyze(["security", "--offline=true", "--no-pager", directory.file("yizhand.service")])
        let line = try #require(security.1.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let score = try #require(Double(line.split(separator: ":").last!.split(separator: " ").first!))
        print("systemd-analyze security: \(line.trimmingCharacters(in: .whitespaces))")
        #expect(score <= 2.0)
    }
}
