import Foundation
import Testing
import YizhanClient
import YizhanTestSupport
import YizhanWire

#if canImport(Glibc)
    import Glibc
#endif

/// The board loses power at any moment: the built daemon is SIGKILLed again and again at
/// seeded moments of a storm of scans through its scanner and its socket, restarted, and
/// checked each time. `YIZHAN_CRASH_ROUNDS` and `YIZHAN_CRASH_SEED` set how many rounds
/// and which moments (`make soak` runs more).
@Suite(.serialized) struct CrashTests {
    static let rounds = Int(ProcessInfo.processInfo.environment["YIZHAN_CRASH_ROUNDS"] ?? "") ?? 5
    static let seed = UInt64(ProcessInfo.processInfo.environment["YIZHAN_CRASH_SEED"] ?? "") ?? 20_261_129

    @Test func repeatedKillsLoseNothingAcknowledgedAndDoubleNothing() throws {
        var random = SplitMix64(seed: Self.seed)
        let daemon = try DaemonProcess()
        defer { daemon.directory.remove() }
        try daemon.start()
        let redeemers = 3
        let badges = try (0..<redeemers).map { try daemon.registerVolunteer("兑换者\($0)", points: 4000).badge }
        let patroller = try #require(try daemon.post("/v1/volunteers", ["name": "巡查者"]).json?["id"] as? Int)
        let patrolBadge = try #require(try daemon.post("/v1/volunteers/\(patroller)/badges", ["kind": "qr"]).json?["code"] as? String)
        // Adjustments acknowledged with their idempotency keys, and the one in flight at each kill.
        var adjustments: [String: Int] = [:]
        var unanswered: [(key: String, volunteer: Int)] = []

        for round in 1...Self.rounds {
            let killAfter = Int(random.next() % 40) + 5
            let context = "round \(round) of seed \(Self.seed), kill after \(killAfter) acknowledgements"
            let storm = Storm(daemon: daemon, round: round, killAfter: killAfter)
            storm.run(badges: badges, patrolBadge: patrolBadge)
            daemon.stop(signal: SIGKILL)
            #expect(storm.acknowledged.count >= killAfter, "\(context)")

            try daemon.start()
            // Retried after the restart with the same key: applied once, whether or not the
            // first attempt had reached the ledger.
            for (key, volunteer) in storm.unansweredAdjustments {
                let reply = try daemon.client.send(
                    "POST", "/v1/adjustments", json: ["volunteer_id": volunteer, "delta": 1, "note": key], headers: ["Idempotency-Key": key]
                )
                #expect(reply.status == 201, "\(context): \(String(decoding: reply.body, as: UTF8.self))")
                unanswered.append((key, volunteer))
            }
            adjustments.merge(storm.acknowledgedAdjustments) { $1 }
            try check(
                daemon, acknowledged: storm.acknowledged.all, adjustments: adjustments, retried: unanswered, redeemers: redeemers, context)
        }
        #expect(daemon.stop() == 0)
    }

    func check(
        _ daemon: DaemonProcess, acknowledged: Set<Int>, adjustments: [String: Int], retried: [(key: String, volunteer: Int)],
        redeemers: Int, _ context: String
    ) throws {
        let logged = Set((try daemon.all("/v1/scans")).compactMap { $0["seq"] as? Int })
        #expect(acknowledged.isSubset(of: logged), "acknowledged scans missing: \(acknowledged.subtracting(logged).sorted()) — \(context)")

        // Every redemption whole: stock, ledger debit and slip all there, none twice.
        let redemptions = try daemon.all("/v1/redemptions")
        let soap = try #require((try daemon.get("/v1/catalog")["items"] as? [[String: Any]])?.first { $0["id"] as? String == "soap" })
        #expect(soap["stock"] as? Int == 1000 - redemptions.count, "stock matches the redemptions — \(context)")
        for volunteer in 1...redeemers {
            let ledger = try daemon.all("/v1/volunteers/\(volunteer)/ledger")
            let debits = ledger.filter { $0["kind"] as? String == "redemption" }.compactMap { $0["source"] as? String }
            let mine = redemptions.filter { $0["volunteer_id"] as? Int == volunteer }.compactMap { $0["code"] as? String }
            #expect(debits.count == Set(debits).count, "no redemption debited twice — \(context)")
            #expect(Set(debits.map { $0.replacingOccurrences(of: "redemption:", with: "") }) == Set(mine), "\(context)")
            // Each acknowledged or retried adjustment is in the ledger exactly once.
            let notes = ledger.filter { $0["kind"] as? String == "adjustment" }.compactMap { $0["note"] as? String }
            let expected = Set(adjustments.filter { $0.value == volunteer }.keys).union(
                retried.filter { $0.volunteer == volunteer }.map(\.key))
            for key in expected {
                #expect(notes.filter { $0 == key }.count == 1, "adjustment \(key) once — \(context)")
            }
        }
        #expect(try daemon.ledgerVerifies(), "the ledger verifies — \(context)")

        // One slip a redemption; each printed at most once, and a printed one exactly once.
        let finished = try daemon.events(from: .held)
        #expect(try finished.until(.printJob) { try daemon.api.call(API.status).printQueue == 0 }, "\(context)")
        let jobs = try daemon.all("/v1/print-jobs")
        #expect(jobs.filter { $0["slip"] as? String == "redemption" }.count == redemptions.count, "\(context)")
        #expect(!jobs.contains { $0["state"] as? String == "printing" }, "a job cut off is uncertain after a restart — \(context)")
        let printed = jobs.filter { $0["state"] as? String == "printed" }.count
        let uncertain = jobs.filter { $0["state"] as? String == "uncertain" }.count
        let cuts = try Self.cuts(in: Data(contentsOf: URL(fileURLWithPath: daemon.slips)))
        #expect(cuts >= printed && cuts <= printed + uncertain, "\(cuts) slips on paper for \(printed) printed — \(context)")
        let open = try daemon.get("/v1/patrols?state=open")["items"] as? [[String: Any]] ?? []
        #expect(open.count <= 1, "one volunteer, at most one open patrol — \(context)")
    }

    /// Slips end with `GS V 66 n`.
    static func cuts(in data: Data) -> Int {
        let bytes = [UInt8](data)
        guard bytes.count >= 3 else { return 0 }
        return (0..<(bytes.count - 2)).filter { bytes[$0] == 0x1D && bytes[$0 + 1] == 0x56 && bytes[$0 + 2] == 0x42 }.count
    }
}

/// One round's storm: redemptions and adjustments through the socket from several threads,
/// a patrol through the FIFO scanner; the daemon is killed after `killAfter` acknowledgements.
final class Storm: @unchecked Sendable {
    let daemon: DaemonProcess
    let round: Int
    let killAfter: Int
    let acknowledged = Acknowledgements()
    private let lock = NSLock()
    private var adjustmentsDone: [String: Int] = [:]
    private var adjustmentsInFlight: [String: Int] = [:]
    private var killed = false

    init(daemon: DaemonProcess, round: Int, killAfter: Int) {
        self.daemon = daemon
        self.round = round
        self.killAfter = killAfter
    }

    var acknowledgedAdjustments: [String: Int] { lock.withLock { adjustmentsDone } }
    var unansweredAdjustments: [(key: String, volunteer: Int)] { lock.withLock { adjustmentsInFlight.map { ($0.key, $0.value) } } }
    private var isKilled: Bool { lock.withLock { killed } }

    func run(badges: [String], patrolBadge: String) {
        DispatchQueue.concurrentPerform(iterations: badges.count + 1) { index in
            if index == badges.count {
                patrol(patrolBadge)
            } else {
                redeem(volunteer: index + 1, badge: badges[index])
            }
        }
    }

    private func acknowledge(_ seq: Int) {
        guard acknowledged.add(seq) == killAfter else { return }
        lock.withLock { killed = true }
        daemon.signal(SIGKILL)
    }

    private func redeem(volunteer: Int, badge: String) {
        let client = daemon.client
        var step = 0
        while !isKilled {
            step += 1
            if step % 3 == 0 {
                let key = "r\(round)-v\(volunteer)-\(step)"
                lock.withLock { adjustmentsInFlight[key] = volunteer }
                guard
                    let reply = try? client.send(
                        "POST", "/v1/adjustments", json: ["volunteer_id": volunteer, "delta": 1, "note": key],
                        headers: ["Idempotency-Key": key]),
                    reply.status == 201
                else { return }
                lock.withLock {
                    adjustmentsInFlight[key] = nil
                    adjustmentsDone[key] = volunteer
                }
                continue
            }
            for code in ["YZ:I:soap", badge] {
                guard let reply = try? client.send("POST", "/v1/scans", json: ["code": code, "scanner": "storm\(volunteer)"]),
                    reply.status == 200, let seq = reply.json?["seq"] as? Int
                else { return }
                acknowledge(seq)
            }
        }
    }

    /// Badge, two checkpoints, badge, over and over, through the FIFO scanner until it has
    /// no reader: the daemon is gone.
    private func patrol(_ badge: String) {
        let fifo = open(daemon.fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard fifo >= 0 else { return }
        defer { close(fifo) }
        let lines = [badge, "YZ:C:extinguisher-1", "YZ:C:water-dispenser", badge]
        var index = 0
        while !isKilled {
            let line = Array((lines[index % lines.count] + "\n").utf8)
            guard line.withUnsafeBytes({ write(fifo, $0.baseAddress, $0.count) }) == line.count else { return }
            index += 1
            usleep(2000)
        }
    }
}

/// A small seeded generator (SplitMix64), so that a failing round can be run again.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
