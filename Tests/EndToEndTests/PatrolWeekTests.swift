import Foundation
import Testing
import YizhanTestSupport
import YizhanWire

/// A week of the scheme walked as a station manager would, through the built daemon: scans
/// on its socket, the manager's work through `yizhanctl`, and the board's clock moved from
/// day to day by libfaketime. Saturday's group weekly patrol; a winter-heating campaign day
/// with daily, key-period and special patrols; two volunteers patrolling at once; the duty
/// rota and the report of the days it left uncovered; a hazard that goes overdue; a change
/// recorded with the local user who made it.
@Suite(.serialized) struct PatrolWeekTests {
    static let rules = """
        [patrol]
        min_minutes = 0
        max_minutes = 120
        daily_max_volunteers = 2
        key_periods = ["11:00-13:30"]
        weekly_slot = "Sat 09:00-11:00"

        [kiosk]
        debounce_seconds = 0

        [[campaign]]
        name = "冬季取暖"
        from = "11-15"
        to = "03-15"
        checkpoints = ["heater"]

        [[checkpoint]]
        id = "extinguisher-1"
        name = "灭火器（1号）"

        [[checkpoint]]
        id = "water-dispenser"
        name = "饮水机"

        [[checkpoint]]
        id = "medicine-kit"
        name = "药箱"
        required_for = ["weekly_full"]

        [[checkpoint]]
        id = "heater"
        name = "取暖器"
        required_for = []

        [[catalog]]
        id = "soap"
        name = "肥皂"
        cost = 4
        stock = 100
        """

    /// The daemon under libfaketime, its wall clock set from `clock` (station time, UTC+8).
    struct Station {
        let daemon: DaemonProcess
        let clock: String

        init() throws {
            daemon = try DaemonProcess(extra: PatrolWeekTests.rules)
            clock = daemon.directory.file("clock")
            try set("2026-11-28 08:55")
            try daemon.start(environment: [
                "LD_PRELOAD": FaultTests.libfaketime!, "FAKETIME_TIMESTAMP_FILE": clock, "FAKETIME_NO_CACHE": "1",
                "FAKETIME_DONT_FAKE_MONOTONIC": "1", "TZ": "UTC",
            ])
        }

        /// Sets the board's clock to a station time, `yyyy-MM-dd HH:mm`.
        func set(_ local: String) throws {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = "yyyy-MM-dd HH:mm"
            formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
            let date = try #require(formatter.date(from: local))
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
            try "@\(formatter.string(from: date))".write(toFile: clock, atomically: true, encoding: .utf8)
        }

        func scan(_ code: String) throws -> String {
            let reply = try daemon.client.send("POST", "/v1/scans", json: ["code": code, "scanner": "front"])
            #expect(reply.status == 200)
            return reply.json?["reason"] as? String ?? "no reply"
        }

        func ctl(_ arguments: String...) throws -> Command {
            try ctl(arguments)
        }

        func volunteer(_ name: String, leader: Bool = false) throws -> (id: Int, badge: String) {
            let added = try ctl(["--json", "volunteer", "add", name] + (leader ? ["--leader"] : []))
            let id = try #require(json(added)["id"] as? Int, "\(added.errors)")
            let badge = try #require(json(try ctl("--json", "badge", "issue", "\(id)"))["code"] as? String)
            return (id, badge)
        }

        func ctl(_ arguments: [String]) throws -> Command {
            var environment = ProcessInfo.processInfo.environment
            environment["YIZHAN_SOCKET"] = daemon.adminSocket
            return try Command.run(Command.product("yizhanctl"), arguments, environment: environment)
        }

        func balance(_ id: Int) throws -> Int? {
            try daemon.balance(id)
        }
    }

    static func json(_ command: Command) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(command.output.utf8)) as? [String: Any], "\(command.errors)")
    }

    @Test(.enabled(if: FaultTests.libfaketime != nil, "needs libfaketime (apt: faketime)"))
    func aWeekOfTheScheme() throws {
        let station = try Station()
        let leader = try station.volunteer("组长老王", leader: true)
        let first = try station.volunteer("骑手小李")
        let second = try station.volunteer("快递小张")
        let leaver = try station.volunteer("环卫老赵")

        // Saturday: the leader opens the weekly patrol, three join, anyone's checkpoint
        // counts, one leaves, the leader closes it for everyone still in it.
        try station.set("2026-11-28 09:05")
        #expect(try station.scan(leader.badge) == "patrol_started")
        for member in [first, second, leaver] { #expect(try station.scan(member.badge) == "patrol_joined") }
        for checkpoint in ["extinguisher-1", "water-dispenser", "medicine-kit"] {
            #expect(try station.scan("YZ:C:\(checkpoint)") == "checkpoint_recorded")
        }
        #expect(try station.scan(leaver.badge) == "left_group")
        #expect(try station.scan(leader.badge) == "patrol_completed")
        #expect(try [leader, first, second, leaver].map { try station.balance($0.id) } == [3, 3, 3, 0])

        // Monday, a campaign day: two at once, alternating; then a special patrol with a
        // hazard found; a key-period patrol at lunch; the daily cap for a third volunteer.
        try station.set("2026-11-30 09:00")
        #expect(try station.scan(first.badge) == "patrol_started")
        #expect(try station.scan(second.badge) == "patrol_started")
        #expect(try station.scan("YZ:C:extinguisher-1") == "checkpoint_recorded")
        #expect(try station.scan(first.badge) == "patrol_resumed")
        #expect(try station.scan("YZ:C:extinguisher-1") == "checkpoint_recorded")
        #expect(try station.scan("YZ:C:water-dispenser") == "checkpoint_recorded")
        #expect(try station.scan(second.badge) == "patrol_resumed")
        #expect(try station.scan("YZ:C:water-dispenser") == "checkpoint_recorded")
        #expect(try station.scan(second.badge) == "patrol_completed")
        #expect(try station.scan(first.badge) == "patrol_completed")

        try station.set("2026-11-30 10:00")
        #expect(try station.scan("YZ:K:SPECIAL") == "command_armed")
        #expect(try station.scan(first.badge) == "patrol_started")
        for checkpoint in ["extinguisher-1", "water-dispenser"] { #expect(try station.scan("YZ:C:\(checkpoint)") == "checkpoint_recorded") }
        #expect(try station.scan("YZ:K:HAZARD") == "command_armed")
        #expect(try station.scan("YZ:C:heater") == "hazard_reported")
        #expect(try station.scan(first.badge) == "patrol_completed")

        try station.set("2026-11-30 11:30")
        #expect(try station.scan(first.badge) == "patrol_started")
        for checkpoint in ["extinguisher-1", "water-dispenser"] { _ = try station.scan("YZ:C:\(checkpoint)") }
        #expect(try station.scan(first.badge) == "patrol_completed")

        try station.set("2026-11-30 15:00")
        #expect(try station.scan(leaver.badge) == "daily_cap_reached")
        for checkpoint in ["extinguisher-1", "water-dispenser"] { _ = try station.scan("YZ:C:\(checkpoint)") }
        #expect(try station.scan(leaver.badge) == "daily_cap_reached")
        #expect(try [first, second, leaver].map { try station.balance($0.id) } == [3 + 2 + 4 + 3, 3 + 2, 0])
        let kinds = try station.daemon.api.call(API.patrols(volunteer: Int64(first.id))).items.map(\.kind)
        #expect(kinds == [.keyPeriod, .special, .daily, .weeklyFull])

        // The manager confirms the hazard (+2 for its reporter) and issues the notice; a
        // deadline that is no day is refused before anything is sent.
        let bogus = try station.ctl("hazard", "move", "1", "rectifying", "--deadline", "2026-13-45")
        #expect(bogus.status != 0 && bogus.errors.contains("2026-13-45"))
        #expect(try station.ctl("hazard", "move", "1", "confirmed").status == 0)
        #expect(try station.ctl("hazard", "move", "1", "rectifying", "--deadline", "2026-12-01").status == 0)
        #expect(try station.balance(first.id) == 14)

        // The rota: 快递小张 on Tuesday, 骑手小李 on Wednesday.
        #expect(try station.ctl("rota", "set", "2026-12-01", "\(second.id)").status == 0)
        #expect(try station.ctl("rota", "set", "2026-12-02", "\(first.id)").status == 0)
        let shown = try station.ctl("rota", "show", "--from", "2026-11-30")
        #expect(shown.output.contains("2026-12-01  快递小张（\(second.id)）") && shown.output.contains("2026-12-02  骑手小李（\(first.id)）"))

        // Tuesday: off duty, 老赵's daily patrol earns nothing; 小张's does.
        try station.set("2026-12-01 09:00")
        #expect(try station.scan(leaver.badge) == "not_on_duty")
        for checkpoint in ["extinguisher-1", "water-dispenser"] { _ = try station.scan("YZ:C:\(checkpoint)") }
        #expect(try station.scan(leaver.badge) == "not_on_duty")
        #expect(try station.scan(second.badge) == "patrol_started")
        for checkpoint in ["extinguisher-1", "water-dispenser"] { _ = try station.scan("YZ:C:\(checkpoint)") }
        #expect(try station.scan(second.badge) == "patrol_completed")
        #expect(try [second, leaver].map { try station.balance($0.id) } == [7, 0])

        // Wednesday passes with no patrol. Thursday morning the hazard is overdue: the status
        // says so, the log has it once, and the report lists it with the uncovered days.
        try station.set("2026-12-03 09:00")
        let announced = try station.daemon.events()
        #expect(try station.scan(leaver.badge) == "patrol_started")  // any patrol opening wakes the daemon's timer
        #expect(try announced.next(.hazardOverdue)?.deadline == "2026-12-01", "announced on the event stream")
        #expect(try station.daemon.api.call(API.status).overdueHazards == 1, "status shows the overdue hazard")
        let log = station.daemon.directory.file("log/yizhand.log")
        let warnings = try station.ctl("logs", "--file", log, "--level", "warning").output
        #expect(warnings.components(separatedBy: "hazard overdue").count == 2, "logged once: \(warnings)")
        let report = try Self.json(try station.ctl("--json", "report", "--from", "2026-11-28", "--to", "2026-12-03"))
        let uncovered = (report["uncovered_days"] as? [[String: Any]] ?? []).compactMap { $0["day"] as? String }
        #expect(uncovered == ["2026-11-28", "2026-11-29", "2026-12-02", "2026-12-03"], "\(report)")
        #expect(report["duty_kept"] as? Int == 1 && report["duty_missed"] as? Int == 1)
        #expect((report["overdue_hazards"] as? [[String: Any]])?.first?["deadline"] as? String == "2026-12-01")
        let table = try station.ctl("report", "--from", "2026-11-28", "--to", "2026-12-03")
        #expect(table.output.contains("2026-12-02  on duty: 骑手小李（\(first.id)）"), "\(table.output)")
        #expect(table.output.contains("duty        kept 1  missed 1"))
        #expect(try station.daemon.ledgerVerifies())
        #expect(station.daemon.stop() == 0)
    }

    /// An adjustment made by another local account is recorded with that account's name, read
    /// from the admin socket's peer credentials: in the ledger entry, the change log and the log.
    @Test func anAdjustmentIsRecordedWithTheLocalUserWhoMadeIt() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let (id, _) = try daemon.registerVolunteer("钱七", points: 30)
        // Let `nobody` reach the admin socket, and run a copy of yizhanctl it may execute.
        chmod(daemon.directory.path, 0o755)
        chmod(daemon.adminSocket, 0o666)
        let yizhanctl = daemon.directory.file("yizhanctl")
        try FileManager.default.copyItem(atPath: Command.product("yizhanctl"), toPath: yizhanctl)
        let adjusted = try Command.run(
            "/usr/bin/setpriv",
            [
                "--reuid=nobody", "--regid=nogroup", "--clear-groups", yizhanctl, "--socket", daemon.adminSocket, "adjust", "\(id)", "-50",
                "--note", "扣分",
            ])
        #expect(
            adjusted.status == 1 && adjusted.errors.contains("negative_balance"),
            "taking more than the balance is refused: \(adjusted.errors)")
        let taken = try Command.run(
            "/usr/bin/setpriv",
            [
                "--reuid=nobody", "--regid=nogroup", "--clear-groups", yizhanctl, "--socket", daemon.adminSocket, "adjust", "\(id)", "-20",
                "--note", "扣分",
            ])
        #expect(taken.status == 0, "\(taken.errors)")
        #expect(taken.output.split(separator: "\n").contains { $0.hasPrefix("actor ") && $0.hasSuffix(" nobody") }, "\(taken.output)")
        let entries = try daemon.api.call(API.ledger(volunteer: Int64(id))).items
        #expect(entries.first?.delta == -20 && entries.first?.actor == "nobody")
        #expect(entries.last?.actor == "root", "the opening balance, made by this test as root")
        let change = try daemon.api.call(API.changes()).items.first
        #expect(change?.actor == "nobody" && change?.action == "ledger.adjust")
        let log = try String(contentsOfFile: daemon.directory.file("log/yizhand.log"), encoding: .utf8)
        #expect(log.contains("\"actor\":\"nobody\""))
        #expect(daemon.stop() == 0)
    }
}
