import Foundation
import Testing
import YizhanClient
import YizhanCore
import YizhanTestSupport
import YizhanWire

#if canImport(Glibc)
    import Glibc
#endif

/// The built `yizhand` driven through its FIFO scanner and its admin socket.
@Suite(.serialized) struct DaemonEndToEndTests {
    /// Scans through the FIFO and returns the reasons the daemon gave, once it has answered
    /// them all.
    func scan(_ daemon: DaemonProcess, _ lines: String...) throws -> [ScanReason] {
        let events = try daemon.events()
        for line in lines { try daemon.scanThroughFIFO(line) }
        let answered = try events.next(lines.count, .scan)
        #expect(answered.count == lines.count, "the daemon did not answer \(lines)")
        return answered.map(\.reason)
    }

    /// Bytes of `text` in GBK, from Python's codec rather than our own encoder.
    func gbk(_ text: String) throws -> [UInt8] {
        let python = try Command.run("/usr/bin/env", ["python3", "-c", "import sys; print(sys.argv[1].encode('gbk').hex())", text])
        let hex = Array(python.output.trimmingCharacters(in: .whitespacesAndNewlines))
        return stride(from: 0, to: hex.count, by: 2).compactMap { UInt8(String(hex[$0...$0 + 1]), radix: 16) }
    }

    @Test func aVolunteerPatrolsReportsAHazardRedeemsAndCollects() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let jobs = try daemon.events()

        let api = daemon.api
        let id = try api.call(API.registerVolunteer(NewVolunteerBody(name: "张三"))).id
        let badge = try #require(try api.call(API.issueBadge(volunteer: id, NewBadgeBody(kind: .qr))).code)

        #expect(try scan(daemon, badge) == [.patrolStarted])
        #expect(try scan(daemon, "YZ:C:extinguisher-1", "YZ:K:HAZARD", "YZ:C:water-dispenser", badge).last == .patrolCompleted)
        #expect(try daemon.balance(id) == 2)

        let hazard = try #require(try api.call(API.hazards()).items.first)
        #expect(hazard.checkpointID == "water-dispenser" && hazard.reporterID == id)
        #expect(try api.call(API.moveHazard(hazard.id, TransitionBody(to: .confirmed))).state == .confirmed)
        let confirmed = try api.call(API.volunteer(id))
        #expect(confirmed.balance == 4 && confirmed.earned == 4)

        #expect(try scan(daemon, "YZ:I:soap", badge) == [.itemSelected, .redeemed])
        #expect(try daemon.balance(id) == 0)
        let code = try #require(try api.call(API.redemptions()).items.first).code
        #expect(try scan(daemon, "YZ:R:\(code)") == [.collected])
        #expect(try scan(daemon, "YZ:R:\(code)") == [.alreadyCollected])

        // Slips: the patrol slip and the redemption slip, in the printer's GBK.
        #expect(try jobs.next(2, .printJob).map(\.state) == [.printed, .printed])
        #expect(try daemon.api.call(API.printJobs()).items.count == 2)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: daemon.slips)))
        for text in ["巡查记录", "积分兑换", "端到端测试驿站", "肥皂"] {
            let encoded = try gbk(text)
            #expect(bytes.firstRange(of: encoded) != nil, "\(text) is not on a slip")
        }
        #expect(bytes.firstRange(of: Array("YZ:R:\(code)".utf8)) != nil, "the redemption slip carries its QR payload")
        #expect(bytes.starts(with: [0x1B, 0x40]), "every job starts with ESC @")

        #expect(try daemon.ledgerVerifies())
    }

    @Test func garbageOnTheScannerAndTheSocketChangesNothing() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let events = try daemon.events()
        try daemon.scanThroughFIFO([0xFF, 0xFE, 0x00, 0x01, 0x0A] + Array(repeating: 0x41, count: 2000) + [0x0A] + Array("hello\n".utf8))
        #expect(try events.next(3, .scan).count == 3)
        let scans = try daemon.get("/v1/scans?limit=3")["items"] as? [[String: Any]] ?? []
        #expect(Set(scans.compactMap { $0["reason"] as? String }) == ["control_bytes", "scan_too_long", "unknown_code"])
        #expect(scans.allSatisfy { $0["outcome"] as? String == "error" })

        let malformed = try daemon.client.send("POST", "/v1/volunteers", body: Data("{nope".utf8))
        #expect(malformed.status == 400)
        #expect((malformed.json?["error"] as? [String: Any])?["code"] as? String == "malformed_json")
        let unknown = try daemon.post("/v1/scans", ["code": "YZ:K:CANCEL", "sneaky": true])
        #expect(unknown.status == 400)
        let oversized = try daemon.client.send("POST", "/v1/scans", body: Data(repeating: 0x20, count: 70_000))
        #expect(oversized.status == 413)
        #expect(try daemon.get("/v1/health")["status"] as? String == "ok")
        #expect((try daemon.get("/v1/volunteers")["items"] as? [Any])?.isEmpty == true)
        #expect(daemon.isRunning)
    }

    /// Tasks run on the daemon's own pool, whose threads sleep until there is work, and never
    /// on libdispatch's global pool, whose worker monitor would wake an idle station every
    /// second from its first use on. Its workers are named after their root queues
    /// (`com.apple.root.default-qos`, the kernel keeping the last 15 bytes) and linger for
    /// seconds after their last job, so they would still be there right after this work.
    /// `YIZHAN_EXECUTORS=platform` switches back to the runtime's own, libdispatch's.
    @Test(arguments: [false, true]) func tasksRunOnTheDaemonsPoolNotLibdispatchs(platform: Bool) throws {
        let daemon = try DaemonProcess()
        try daemon.start(environment: platform ? ["YIZHAN_EXECUTORS": "platform"] : [:])
        let pid = try #require(daemon.pid)
        let volunteer = try daemon.registerVolunteer("李四", points: 5)
        #expect(try scan(daemon, volunteer.badge, "YZ:C:extinguisher-1", "YZ:C:water-dispenser", volunteer.badge).last == .patrolCompleted)
        #expect(try daemon.get("/v1/health")["status"] as? String == "ok")

        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
        let threads = tasks.compactMap { try? String(contentsOfFile: "/proc/\(pid)/task/\($0)/comm", encoding: .utf8) }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(threads.contains("yizhan-pool-0") == !platform, "\(threads)")
        #expect(threads.contains { $0.hasSuffix("-qos") } == platform, "\(threads)")
    }

    /// A broken config is refused with its line and key, by the check (exit 1) and by the
    /// daemon itself, which exits with 78 (`EX_CONFIG`), the status its unit does not restart on.
    @Test func aBrokenConfigIsRefusedWithItsLineAndKey() throws {
        let daemon = try DaemonProcess(extra: "[points]\ndaily = \"two\"\n")
        let lines = try String(contentsOfFile: daemon.configPath, encoding: .utf8).components(separatedBy: "\n")
        let line = try #require(lines.firstIndex(of: "daily = \"two\"")) + 1
        let check = try Command.run(Command.product("yizhand"), ["--check-config", "--config", daemon.configPath])
        #expect(check.status == 1)
        #expect(check.errors.contains("\(daemon.configPath):\(line): points.daily: must be a whole number"), "\(check.errors)")
        let run = try StartupTests.runDaemon(daemon.configPath)
        #expect(run.status == 78)
        #expect(run.errors.contains("\(daemon.configPath):\(line): points.daily: must be a whole number"), "\(run.errors)")
        #expect(!FileManager.default.fileExists(atPath: daemon.adminSocket), "nothing opened")
    }

    /// SIGKILL in the middle of a storm of redemptions through the socket: after a restart
    /// every acknowledged scan is in the log, no redemption is half done, the ledger is whole.
    @Test func aKillMidStreamLosesNothingAcknowledged() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let clients = 4
        let stormBadges = try (0..<clients).map { try daemon.registerVolunteer("志愿者\($0)", points: 1000).badge }
        let acknowledged = Acknowledgements()
        let killAfter = 60
        DispatchQueue.concurrentPerform(iterations: clients) { index in
            let client = daemon.client
            while true {
                for code in ["YZ:I:soap", stormBadges[index]] {
                    guard let reply = try? client.send("POST", "/v1/scans", json: ["code": code, "scanner": "storm\(index)"]),
                        reply.status == 200, let seq = reply.json?["seq"] as? Int
                    else { return }
                    if acknowledged.add(seq) == killAfter { daemon.signal(SIGKILL) }
                }
            }
        }
        daemon.stop(signal: SIGKILL)
        #expect(acknowledged.count >= killAfter)

        try daemon.start()
        let logged = Set((try daemon.get("/v1/scans?limit=1000")["items"] as? [[String: Any]] ?? []).compactMap { $0["seq"] as? Int })
        #expect(acknowledged.all.isSubset(of: logged), "acknowledged scans missing: \(acknowledged.all.subtracting(logged).sorted())")

        let redemptions = try daemon.get("/v1/redemptions?limit=1000")["items"] as? [[String: Any]] ?? []
        let soap = try #require((try daemon.get("/v1/catalog")["items"] as? [[String: Any]])?.first { $0["id"] as? String == "soap" })
        #expect(soap["stock"] as? Int == 1000 - redemptions.count, "stock matches the redemptions")
        var spent = 0
        for index in 1...clients {
            let ledger = try daemon.get("/v1/volunteers/\(index)/ledger?limit=1000")["items"] as? [[String: Any]] ?? []
            let debits = ledger.filter { $0["kind"] as? String == "redemption" }
            let mine = redemptions.filter { $0["volunteer_id"] as? Int == index }
            #expect(
                Set(debits.compactMap { ($0["source"] as? String)?.replacingOccurrences(of: "redemption:", with: "") })
                    == Set(mine.compactMap { $0["code"] as? String }))
            spent += debits.count * 4
            #expect(try daemon.balance(index) == 1000 - debits.count * 4)
        }
        #expect(spent == redemptions.count * 4)
        #expect(try daemon.ledgerVerifies())
        let jobs = try daemon.get("/v1/print-jobs?limit=1000")["items"] as? [[String: Any]] ?? []
        #expect(jobs.count == redemptions.count, "one slip per redemption, none lost, none doubled")
        #expect(jobs.allSatisfy { $0["slip"] as? String == "redemption" })
    }
}

/// Sequence numbers the daemon acknowledged, collected from several threads.
final class Acknowledgements: @unchecked Sendable {
    private let lock = NSLock()
    private var seqs: Set<Int> = []

    func add(_ seq: Int) -> Int {
        lock.withLock {
            seqs.insert(seq)
            return seqs.count
        }
    }

    var all: Set<Int> { lock.withLock { seqs } }
    var count: Int { all.count }
}
