import Foundation
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
