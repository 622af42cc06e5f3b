import Foundation
import Synchronization
import Testing
import YizhanTestSupport

/// `yizhanctl` against the running daemon: what a manager reads and what a script parses.
@Suite(.serialized) struct CLITests {
    func run(_ daemon: DaemonProcess?, _ arguments: String...) throws -> Command {
        var environment = ProcessInfo.processInfo.environment
        environment["YIZHAN_SOCKET"] = daemon?.adminSocket ?? "/nonexistent/yizhand.sock"
        return try Command.run(Command.product("yizhanctl"), arguments, environment: environment)
    }

    @Test func theManagerRegistersAVolunteerAndReadsATable() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let added = try run(daemon, "volunteer", "add", "张三", "--leader")
        #expect(added.status == 0)
        #expect(added.output == "id       1\nname     张三\nrole     leader\nbalance  0\nearned   0\nactive   yes\n")
        _ = try run(daemon, "volunteer", "add", "李四")
        let list = try run(daemon, "volunteer", "list")
        #expect(
            list.output == """
                id  name  role       balance  earned  active
                1   张三  leader     0        0       yes
                2   李四  volunteer  0        0       yes

                """)
        let json = try run(daemon, "--json", "volunteer", "show", "2")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect(object["name"] as? String == "李四" && object["role"] as? String == "volunteer")
    }

    /// One version (VERSION, stamped into the build by make) everywhere it is shown.
    @Test func theProgramsAndTheStatusShowOneVersion() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let status = try run(daemon, "--json", "status")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any])
        let version = try #require(object["version"] as? String)
        #expect(version.first?.isNumber == true, "\(version)")
        for program in ["yizhand", "yizhanctl", "yizhan-district"] {
            let shown = try Command.run(Command.product(program), ["--version"])
            #expect(shown.status == 0 && shown.output == version + "\n", "\(program): \(shown.output)")
        }
    }

    /// Times are shown as the daemon wrote them, in the station's zone (Asia/Shanghai here),
    /// whatever zone the manager's shell is in.
    @Test func tablesShowTimesInTheStationsZone() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let (id, _) = try daemon.registerVolunteer("张三", points: 5)
        let written = try #require(
            (try daemon.get("/v1/volunteers/\(id)/ledger")["items"] as? [[String: Any]])?.first?["created_at"] as? String)
        #expect(written.hasSuffix("+08:00"))
        var environment = ProcessInfo.processInfo.environment
        environment["YIZHAN_SOCKET"] = daemon.adminSocket
        environment["TZ"] = "America/Santiago"
        let ledger = try Command.run(Command.product("yizhanctl"), ["volunteer", "ledger", "\(id)"], environment: environment)
        #expect(ledger.status == 0 && ledger.output.split(separator: "\n").last?.hasSuffix(written) == true, "\(ledger.output)")
    }

    @Test func errorsSayWhatWentWrongWithDistinctExitCodes() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let missing = try run(daemon, "volunteer", "show", "42")
        #expect(missing.status == 1)
        #expect(missing.errors == "yizhanctl: not_found: no volunteer 42\n")
        let unreachable = try run(nil, "status")
        #expect(unreachable.status == 2)
        #expect(unreachable.errors.contains("cannot connect to /nonexistent/yizhand.sock"))
        let verify = try run(daemon, "ledger", "verify")
        #expect(verify.status == 0 && verify.output.hasPrefix("0 volunteers, 0 entries, 0 mismatches"))
    }
}

/// What a manager met in `yizhanctl` and the API's messages, each now said plainly.
@Suite(.serialized) struct CLIMessageTests {
    func run(_ daemon: DaemonProcess, _ arguments: String...) throws -> Command {
        var environment = ProcessInfo.processInfo.environment
        environment["YIZHAN_SOCKET"] = daemon.adminSocket
        return try Command.run(Command.product("yizhanctl"), arguments, environment: environment)
    }

    @Test func wrongStatesRolesAndLevelsAreRefusedWithTheAllowedValues() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let state = try run(daemon, "hazard", "list", "--state", "fixed")
        #expect(
            state.status == 64 && state.errors.contains("'fixed' is invalid") && state.errors.contains("- rectifying"), "\(state.errors)")
        let role = try run(daemon, "volunteer", "update", "1", "--role", "boss")
        #expect(role.status == 64 && role.errors.contains("one of 'volunteer' and 'leader'"), "\(role.errors)")
        let level = try run(daemon, "logs", "--file", daemon.directory.file("log/yizhand.log"), "--level", "bogus")
        #expect(level.status == 64 && level.errors.contains("'bogus' is invalid") && level.errors.contains("- warning"), "\(level.errors)")
        let help = try run(daemon, "patrol", "list", "--help")
        let words = help.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("(values: open, completed, incomplete, expired, voided)"), "\(help.output)")

        // The API says the same to a script that sends a wrong value.
        let (id, _) = try daemon.registerVolunteer("张三", points: 1)
        let reply = try daemon.client.send("PATCH", "/v1/volunteers/\(id)", json: ["role": "boss"])
        #expect(reply.status == 400)
        let error = reply.json?["error"] as? [String: Any]
        #expect(error?["message"] as? String == "role must be one of: volunteer, leader", "\(String(describing: error))")
        let deadline = try daemon.post("/v1/hazards/1/transitions", ["to": "rectifying", "deadline": "2026-13-45"])
        #expect(
            deadline.status == 400 && ((deadline.json?["error"] as? [String: Any])?["message"] as? String)?.contains("2026-13-45") == true)
    }

    @Test func logsAreFilteredBeforeTheyAreCut() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let log = daemon.directory.file("log/yizhand.log")
        // One warning (an unknown code), then more info lines than `--lines` shows.
        #expect(try daemon.post("/v1/scans", ["code": "NOT-A-CODE"]).status == 200)
        let (id, _) = try daemon.registerVolunteer("李四", points: 1)
        for _ in 0..<8 { _ = try daemon.post("/v1/adjustments", ["volunteer_id": id, "delta": 1, "note": "n"]) }
        // Each change is logged before its reply is sent.
        #expect(try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").count > 12)
        let warnings = try run(daemon, "logs", "--file", log, "--level", "warning", "--lines", "3")
        #expect(warnings.status == 0)
        #expect(warnings.output.contains("scan rejected"), "the warning is found though more than 3 lines follow it: \(warnings.output)")
        #expect(!warnings.output.contains("INFO"))
    }

    /// `yizhanctl logs --follow` piped on (into `grep`, say) shows each line as it is logged,
    /// not when a buffer fills, and goes on in the new file when the daemon rotates its log:
    /// every scan's line once, in order, the last ones only in the new file.
    /// `yizhanctl events` ends with the stream: 0 when the daemon stops and ends it, 2 and
    /// why when the daemon is killed and the stream breaks off.
    @Test(arguments: [(SIGTERM, Int32(0)), (SIGKILL, Int32(2))])
    func followingEventsEndsAsTheDaemonDoes(signal: Int32, status: Int32) throws {
        let daemon = try DaemonProcess()
        defer { daemon.directory.remove() }
        try daemon.start()
        _ = try daemon.post("/v1/scans", ["code": "YZ:K:CANCEL"])
        final class Box: @unchecked Sendable { var run: Command? }
        let follower = Box()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            follower.run = try? self.run(daemon, "events", "--after", "0")
            done.signal()
        }
        #expect(try daemon.waitUntil { try daemon.metric("yizhan_event_subscribers") == 1 })
        _ = daemon.stop(signal: signal)
        #expect(done.wait(timeout: .now() + 20) == .success)
        let run = try #require(follower.run)
        #expect(run.status == status, "\(run.errors)")
        #expect(run.output.contains("  scan  "), "the event before the end: \(run.output)")
        #expect(run.errors == (status == 0 ? "" : "yizhanctl: the daemon's answer broke off before its end\n"))
    }

    @Test func followingTheLogGoesOnAcrossARotation() throws {
        let daemon = try DaemonProcess(extra: DaemonProcess.defaultRules + "\n[log]\nmax_file_mb = 1\n")
        defer { daemon.directory.remove() }
        try daemon.start()
        let log = daemon.directory.file("log/yizhand.log")
        let follower = Process()
        follower.executableURL = URL(fileURLWithPath: Command.product("yizhanctl"))
        // The last lines first (the default 50), then the new ones: a scan logged before the
        // follower read the file is shown once either way.
        follower.arguments = ["logs", "--follow", "--file", log]
        let output = Pipe()
        follower.standardOutput = output
        try follower.run()
        // SIGKILL: the follower inherits the test process's blocked signals, SIGTERM among them.
        defer {
            kill(follower.processIdentifier, SIGKILL)
            follower.waitUntilExit()
        }
        try output.fileHandleForWriting.close()
        let shown = Mutex("")
        Thread {
            while case let data = output.fileHandleForReading.availableData, !data.isEmpty {
                shown.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
        }.start()
        func scan() throws -> Int {
            try #require(try daemon.post("/v1/scans", ["code": "YZ:K:CANCEL"]).json?["seq"] as? Int)
        }
        func shownScans() -> [Int] {
            shown.withLock { $0 }.split(separator: "\n").filter { $0.contains(" INFO scan ") }.compactMap { line in
                line.split(separator: " ").first { $0.hasPrefix("seq=") }.flatMap { Int($0.dropFirst(4)) }
            }
        }

        var sent = [try scan()]
        #expect(daemon.waitUntil { shownScans() == sent }, "shown while the follower runs: \(shown.withLock { $0 })")
        while !FileManager.default.fileExists(atPath: log + ".1"), sent.count < 20_000 { sent.append(try scan()) }
        for _ in 0..<3 { sent.append(try scan()) }
        #expect(daemon.waitUntil { shownScans().count >= sent.count })
        let followed = shownScans()
        let same = followed == sent
        #expect(same, "\(followed.count) shown of \(sent.count) sent, from \(followed.first ?? 0) to \(followed.last ?? 0)")
        #expect(daemon.stop() == 0)
    }

    @Test func collectingACancelledRedemptionSaysItWasCancelled() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let (_, badge) = try daemon.registerVolunteer("王五", points: 10)
        _ = try daemon.post("/v1/scans", ["code": "YZ:I:soap"])
        #expect(try daemon.post("/v1/scans", ["code": badge]).json?["reason"] as? String == "redeemed")
        let code = try #require((try daemon.get("/v1/redemptions")["items"] as? [[String: Any]])?.first?["code"] as? String)
        #expect(try run(daemon, "redemption", "cancel", code).status == 0)
        let collected = try run(daemon, "redemption", "collect", code)
        #expect(collected.status == 1)
        #expect(collected.errors.hasPrefix("yizhanctl: redemption_cancelled: "), "\(collected.errors)")
    }

    /// A station's lists outgrow a page: every list read newest first is read to its end a
    /// page at a time, each item once and in order, and a full page in a table says, under
    /// it, how to ask for the next.
    @Test func everyListIsReadToItsEndAPageAtATime() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let (volunteer, badge) = try daemon.registerVolunteer("王五", points: 100)
        var made: [String] = []
        for _ in 0..<12 {
            _ = try daemon.post("/v1/scans", ["code": "YZ:I:soap"])
            #expect(try daemon.post("/v1/scans", ["code": badge]).json?["reason"] as? String == "redeemed")
            made += (try daemon.get("/v1/redemptions?limit=1")["items"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        }
        for number in 0..<10 { _ = try daemon.post("/v1/adjustments", ["volunteer_id": volunteer, "delta": 1, "note": "\(number)"]) }
        for (path, key) in [
            ("/v1/redemptions", "code"), ("/v1/print-jobs", "id"), ("/v1/scans", "seq"), ("/v1/changes", "id"),
            ("/v1/volunteers/\(volunteer)/ledger", "id"),
        ] {
            let whole = try daemon.get(path + "?limit=1000")["items"] as? [[String: Any]] ?? []
            let paged = try daemon.all(path, limit: 5)
            #expect(whole.count >= 12, "\(path): \(whole.count)")
            #expect(paged.map { "\($0[key] ?? "")" } == whole.map { "\($0[key] ?? "")" }, "\(path), 5 a page")
        }
        let newest = try daemon.get("/v1/redemptions?limit=1000")["items"] as? [[String: Any]] ?? []
        #expect(newest.compactMap { $0["code"] as? String } == made.reversed(), "newest first")
        #expect(try daemon.get("/v1/redemptions?limit=11")["next"] as? String != nil)
        #expect(try daemon.get("/v1/redemptions?limit=12")["next"] == nil, "a page that holds the rest says so")

        // A table says how to go on, on standard error: the table itself stays rows.
        let first = try run(daemon, "redemption", "list", "--limit", "5")
        let next = try #require(first.errors.firstMatch(of: /more: add --before (\d+) for the next page/)?.1, "\(first.errors)")
        #expect(first.output.split(separator: "\n").count == 6, "a heading and five rows: \(first.output)")
        let second = try run(daemon, "redemption", "list", "--limit", "5", "--before", String(next))
        let shown = second.output.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(shown == newest[5..<10].compactMap { $0["code"] as? String }, "\(second.output)")
        let last = try run(daemon, "redemption", "list", "--limit", "100")
        #expect(last.status == 0 && last.errors.isEmpty, "no more after the last page: \(last.errors)")
        #expect(try run(daemon, "--json", "print-job", "list", "--limit", "3").output.contains("\"next\""))
    }

    @Test func theGPIOTestNamesTheBackendItRanOn() throws {
        let daemon = try DaemonProcess(extra: DaemonProcess.defaultRules + "\n[gpio]\nbackend = \"sim\"\n")
        try daemon.start()
        let walked = try run(daemon, "gpio", "test")
        #expect(walked.status == 0 && walked.output.contains("(sim)") && !walked.output.contains("none"), "\(walked.output)")
    }

    @Test func exportsCarryNamesAndVolunteersHaveTheirOwn() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let (id, badge) = try daemon.registerVolunteer("赵六", points: 5)
        for code in [badge, "YZ:C:extinguisher-1", "YZ:C:water-dispenser", badge] { _ = try daemon.post("/v1/scans", ["code": code]) }
        let file = daemon.directory.file("volunteers.csv")
        #expect(try run(daemon, "export", "volunteers", "-o", file).status == 0)
        // Read back by Python's csv module, as a spreadsheet would read it.
        let python = try Command.run(
            "/usr/bin/env",
            [
                "python3", "-c",
                "import csv, sys, json; print(json.dumps(list(csv.DictReader(open(sys.argv[1], encoding='utf-8-sig')))))",
                file,
            ])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(python.output.utf8)) as? [[String: String]], "\(python.errors)")
        #expect(rows.count == 1 && rows[0]["id"] == "\(id)" && rows[0]["name"] == "赵六" && rows[0]["balance"] == "7")
        for table in ["ledger", "patrols"] {
            let csv = try run(daemon, "export", table)
            let lines = csv.output.split(separator: "\r\n")
            #expect(
                lines.first?.contains("volunteer_name") == true && lines.dropFirst().allSatisfy { $0.contains(",赵六,") }, "\(csv.output)")
        }
        let bogus = try run(daemon, "export", "people")
        #expect(bogus.status == 64 && bogus.errors.contains("'ledger', 'patrols', 'hazards' or 'volunteers'"))
    }
}
