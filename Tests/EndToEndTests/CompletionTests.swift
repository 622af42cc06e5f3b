import Foundation
import Testing
import YizhanTestSupport

/// Tab in bash, as on a board with the package: the script each program writes for the
/// package (`--generate-completion-script bash`), found and loaded by Debian's
/// bash-completion, asked to complete a line as a Tab at its end would (`Tests/Package/tab`).
@Suite struct CompletionTests {
    /// The script the package test runs in the booted root too.
    static let tab = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Package/tab").standardized.path

    /// What Tab offers at the end of `line`, and what the shell printed on its standard error.
    func tab(_ line: String, socket: String? = nil) throws -> (offers: [String], errors: String) {
        let program = String(line.prefix { $0 != " " })
        let scripts = try TemporaryDirectory()
        defer { scripts.remove() }
        try FileManager.default.createDirectory(atPath: scripts.file("completions"), withIntermediateDirectories: true)
        let script = try Command.run(Command.product(program), ["--generate-completion-script", "bash"])
        try #require(script.status == 0)
        try script.output.write(toFile: scripts.file("completions/\(program)"), atomically: true, encoding: .utf8)

        var environment = ProcessInfo.processInfo.environment
        environment["BASH_COMPLETION_USER_DIR"] = scripts.path
        environment["PATH"] = DaemonProcess.productsDirectory.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["YIZHAN_SOCKET"] = socket ?? "/nonexistent/yizhand.sock"
        let shell = try Command.run(Self.tab, [program, line], environment: environment)
        try #require(shell.status == 0, "\(shell.errors)")
        return (shell.output.split(separator: "\n").map(String.init), shell.errors)
    }

    @Test func commandsOptionsAndTheirValuesComplete() throws {
        #expect(try tab("yizhanctl red").offers == ["redemption"])
        #expect(try tab("yizhanctl logs --level w").offers == ["warning"])
        #expect(Set(try tab("yizhanctl export ").offers).isSuperset(of: ["ledger", "patrols", "hazards", "volunteers"]))
        #expect(Set(try tab("yizhanctl hazard move 3 --to ").offers).isSuperset(of: ["confirmed", "rectifying", "accepted"]))
        #expect(Set(try tab("yizhan-district ").offers).isSuperset(of: ["migrate", "station", "volunteer", "badge", "report"]))
        #expect(try tab("yizhan-district export ").offers.contains("ledger"))
        #expect(try tab("yizhan-district --url postgres://office@db/yizhan --json station l").offers == ["list"])

        let logs = try TemporaryDirectory()
        defer { logs.remove() }
        try Data().write(to: URL(fileURLWithPath: logs.file("yizhand.log")))
        #expect(try tab("yizhanctl logs --file \(logs.path)/yi").offers == [logs.file("yizhand.log")])
    }

    /// Item ids and the codes of slips not yet collected come from the daemon, on the socket
    /// the line names (before the command or after it) or, without one, `$YIZHAN_SOCKET`.
    @Test func theDaemonOffersItemIdsAndTheSlipsNotYetCollected() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        #expect(try tab("yizhanctl catalog set --socket \(daemon.adminSocket) ").offers.sorted() == ["soap", "towel"])
        #expect(try tab("yizhanctl --socket \(daemon.adminSocket) catalog set ").offers.sorted() == ["soap", "towel"])
        #expect(try tab("yizhanctl catalog set t", socket: daemon.adminSocket).offers == ["towel"])

        let (_, badge) = try daemon.registerVolunteer("王五", points: 20)
        var codes: [String] = []
        for _ in 0..<3 {
            _ = try daemon.post("/v1/scans", ["code": "YZ:I:soap"])
            #expect(try daemon.post("/v1/scans", ["code": badge]).json?["reason"] as? String == "redeemed")
            codes.append(try #require((try daemon.get("/v1/redemptions")["items"] as? [[String: Any]])?.first?["code"] as? String))
        }
        #expect(try daemon.post("/v1/redemptions/\(codes[0])/collect").status == 200)
        #expect(try daemon.post("/v1/redemptions/\(codes[1])/cancel").status == 200)
        #expect(try tab("yizhanctl redemption collect ", socket: daemon.adminSocket).offers == [codes[2]])
        #expect(try tab("yizhanctl redemption cancel --socket=\(daemon.adminSocket) ").offers == [codes[2]])
        #expect(try tab("yizhanctl redemption collect \(codes[2].prefix(3))", socket: daemon.adminSocket).offers == [codes[2]])
    }

    /// A Tab with no daemon to ask offers nothing and prints nothing into the line.
    @Test func aTabWithNoDaemonOffersNothingAndSaysNothing() throws {
        let completed = try tab("yizhanctl redemption collect ")
        #expect(completed.offers.isEmpty && completed.errors.isEmpty, "\(completed)")
        #expect(try tab("yizhanctl --socket /nonexistent/other.sock catalog set ").offers.isEmpty)
    }
}
