import Foundation
import Testing
import YizhanClient
import YizhanTestSupport
import YizhanWire

#if canImport(Glibc)
    import Glibc
#endif

/// A local user attacking the daemon through its sockets, as the 0666 kiosk socket allows:
/// every resource a client can spend is bounded, the admin socket and the scanners keep
/// working, and nothing acknowledged is lost. The daemon runs with the descriptor limit
/// systemd gives a service (1,024).
@Suite(.serialized) struct ExhaustionTests {
    /// Runs the daemon under `prlimit`, as systemd's `LimitNOFILE=1024` would.
    static let serviceLimits = ["/usr/bin/prlimit", "--nofile=1024:1024", "--"]

    /// A connection to `path`, made without waiting (nil when the backlog is full).
    static func connection(to path: String) -> Int32? {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            return nil
        }
        return descriptor
    }

    static func send(_ text: String, on descriptor: Int32) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// The daemon's resident memory (kB), open descriptors and CPU time (clock ticks).
    static func usage(of pid: Int32) -> (residentKB: Int, descriptors: Int, cpuTicks: Int) {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let resident = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }?.split(separator: " ").dropFirst().first
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
        let ticks = fields.count > 13 ? (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0) : 0
        return (resident.flatMap { Int($0) } ?? 0, descriptors, ticks)
    }

    /// The daemon itself under the `prlimit` wrapper (which execs it: same pid).
    static func daemonPID(_ daemon: DaemonProcess) throws -> Int32 { try #require(daemon.pid) }

    @Test func idleConnectionsBeyondTheLimitWaitInTheBacklogAndAreClosedWhenIdle() throws {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        let daemon = try DaemonProcess()
        try daemon.writeConfig(
            api: "[api]\nadmin_socket = \"\(daemon.adminSocket)\"\nkiosk_socket = \"\(daemon.kioskSocket)\"\nidle_seconds = 5")
        try daemon.start(wrapper: Self.serviceLimits)
        let pid = try Self.daemonPID(daemon)
        let before = Self.usage(of: pid)

        // 1,250 connections attempted on the kiosk socket (fewer if this process may not
        // open that many): the daemon takes 64, the kernel's backlog holds some more, the
        // rest are refused by the kernel, not by the daemon running out of descriptors.
        let attempts = min(1_250, Int(limit.rlim_cur) - 64)
        var held: [Int32] = []
        for _ in 0..<attempts { if let descriptor = Self.connection(to: daemon.kioskSocket) { held.append(descriptor) } }
        print("kiosk connections: \(held.count) of \(attempts) attempted were let in or queued")
        defer { for descriptor in held { close(descriptor) } }
        #expect(held.count >= 64)

        // Meanwhile the scanner and the admin socket are served.
        let volunteer = try daemon.registerVolunteer("甲", points: 10)
        let scans = try daemon.events()
        try daemon.scanThroughFIFO(volunteer.badge)
        #expect(try scans.next(.scan)?.reason == .patrolStarted)
        #expect(try daemon.api.call(API.patrols(state: .open)).items.count == 1)
        // The kiosk socket's own connections, which its limit bounds (64): the total also
        // holds the admin clients' above, the store's files and the daemon's own.
        let taken = connections(of: pid, acceptedOn: daemon.kioskSocket)
        let during = Self.usage(of: pid)
        #expect(taken.count <= 64, "kiosk connections held by the daemon")
        print("daemon descriptors under attack: \(before.descriptors) → \(during.descriptors), \(taken.count) kiosk connections")

        // Not spinning on a full accept queue: a second of waiting costs little CPU.
        let ticks = Self.usage(of: pid).cpuTicks
        usleep(1_000_000)
        #expect(Self.usage(of: pid).cpuTicks - ticks < 50, "CPU while attacked (ticks of 10 ms)")

        // The connections the daemon took are closed once idle for 5 s (read gives EOF),
        // and clients waiting in the backlog are taken in their place, up to the limit.
        let first = held.first!
        var poller = pollfd(fd: first, events: Int16(POLLIN), revents: 0)
        #expect(poll(&poller, 1, 20_000) == 1)
        var byte: UInt8 = 0
        #expect(recv(first, &byte, 1, 0) == 0, "closed by the daemon")
        #expect(
            daemon.waitUntil {
                let now = connections(of: pid, acceptedOn: daemon.kioskSocket)
                return now.count == 64 && !now.isSubset(of: taken)
            })
        #expect(daemon.stop() == 0)

        // The technician is told, once a minute however often the socket fills again.
        let log = try String(contentsOfFile: daemon.directory.file("log/yizhand.log"), encoding: .utf8)
        let said = log.split(separator: "\n").filter { $0.contains("socket at its connection limit") }
        #expect(said.count == 1 && said[0].contains(daemon.kioskSocket), "\(said)")
    }

    @Test func eventClientsThatNeverReadAreDroppedNotBuffered() throws {
        let daemon = try DaemonProcess()
        try daemon.start(wrapper: Self.serviceLimits)
        let pid = try Self.daemonPID(daemon)
        // Caches fill during the first scans of a run: these are the baseline, not measured.
        for _ in 0..<3_000 { _ = try daemon.post("/v1/scans", ["code": "YZ:K:CANCEL"]) }
        let idle = Self.usage(of: pid)
        var stalled: [Int32] = []
        for _ in 0..<60 {
            guard let descriptor = Self.connection(to: daemon.kioskSocket) else { continue }
            // Asks for the stream, then never reads a byte, with the smallest receive buffer.
            var size: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            Self.send("GET /v1/events HTTP/1.1\r\nHost: station\r\n\r\n", on: descriptor)
            stalled.append(descriptor)
        }
        defer { for descriptor in stalled { close(descriptor) } }
        #expect(stalled.count == 60)
        let start = Self.usage(of: pid).residentKB
        // 3,000 events (each scan is one): far more than a stalled client may buffer.
        for _ in 0..<3_000 { _ = try daemon.post("/v1/scans", ["code": "YZ:K:CANCEL"]) }
        let end = Self.usage(of: pid).residentKB
        // Unbounded, 60 clients would have buffered 180,000 events (about 70 MB); bounded,
        // each holds at most 64 events and 16 KiB of unsent bytes.
        #expect(end - start < 8_000, "resident \(start) kB → \(end) kB with 60 stalled event clients")
        print("stalled event clients: resident \(start) kB → \(end) kB after 3,000 events")
        // They were dropped: their connections are closed 10 s after their buffers filled,
        // or, once their stream was cut for falling behind (its answer says `Connection:
        // close`), when its end has gone or 10 s after it was written.
        #expect(daemon.waitUntil(timeout: .seconds(40)) { Self.usage(of: pid).descriptors <= idle.descriptors + 2 })
        // A client that reads gets the events it asks for: the stream still works.
        let stream = try EventStream(client: daemon.kioskClient, after: 0)
        #expect(try stream.next() != nil)
        #expect(daemon.stop() == 0)
    }

    /// However hard a stranger asks the kiosk socket, its requests run on one thread of
    /// the daemon: the kiosk's load holds one core at most. The manager's run on other
    /// threads, one a core up to two, each taking a fifth of the load or more. Read from the
    /// kernel: each event loop's time on a core before and after each load
    /// (`DaemonProcess.loopTimes`).
    @Test func eachSocketIsAnsweredByThreadsOfItsOwn() throws {
        let daemon = try DaemonProcess()
        defer { daemon.directory.remove() }
        try daemon.start()
        let kiosk = daemon.loopTimes(whileAsking: daemon.kioskSocket)
        let (thread, time) = try #require(kiosk.max { $0.value < $1.value })
        #expect((kiosk.values.reduce(0, +) - time) * 20 < time, "loops' time asking the kiosk socket (ns): \(kiosk)")
        let admin = daemon.loopTimes(whileAsking: daemon.adminSocket)
        let total = admin.values.reduce(0, +)
        #expect(admin[thread, default: 0] * 20 < total, "loops' time asking the admin socket (ns): \(admin)")
        let sharing = admin.values.filter { $0 * 5 > total }.count
        #expect(sharing == min(2, ProcessInfo.processInfo.activeProcessorCount), "loops' time asking the admin socket (ns): \(admin)")
        #expect(daemon.stop() == 0)
    }

    /// An export of years of a busy station's ledger (200,000 entries, 14 MB of CSV) is
    /// written as it is read: the daemon's peak memory grows by less than the export (it
    /// grew by ten times the export when the whole was built first), and the file is whole,
    /// each entry once and in order.
    @Test func aLargeExportIsWrittenAsItIsReadNotHeldWhole() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let volunteer = try daemon.registerVolunteer("张三", points: 1).id
        #expect(daemon.stop() == 0)
        let filled = try Command.run(
            "/usr/bin/env",
            [
                "python3", "-c",
                """
                import sqlite3, sys
                db = sqlite3.connect(sys.argv[1])
                db.executemany(
                    "INSERT INTO ledger_entry (volunteer_id, delta, kind, source, created_at)"
                    " VALUES (?, 2, 'patrol_award', ?, '2026-01-01T08:00:00Z')",
                    ((int(sys.argv[2]), f"patrol:{n}") for n in range(200000)))
                db.execute("UPDATE volunteer SET balance = balance + 400000, earned = earned + 400000 WHERE id = ?", (int(sys.argv[2]),))
                db.commit()
                """,
                daemon.directory.file("state/yizhan.sqlite"), String(volunteer),
            ])
        #expect(filled.status == 0, "\(filled.errors)")
        try daemon.start()
        let pid = try Self.daemonPID(daemon)
        func peakKB() -> Int {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            return Int(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }?.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        let before = peakKB()
        let export = try UnixHTTPClient(socketPath: daemon.adminSocket, timeout: .seconds(90)).send("GET", "/v1/export/ledger.csv")
        let grown = peakKB() - before
        #expect(export.status == 200)
        #expect(grown * 1024 < export.body.count, "peak grew \(grown) kB for an export of \(export.body.count / 1024) kB")

        let lines = String(decoding: export.body, as: UTF8.self).split(separator: "\r\n")
        #expect(lines.first?.hasPrefix("\u{FEFF}id,volunteer_id,volunteer_name,") == true)
        let ids = lines.dropFirst().compactMap { $0.split(separator: ",").first.flatMap { Int($0) } }
        #expect(ids.count == 200_001 && ids == Array(1...200_001), "\(ids.count) rows, each once and in order")
        #expect(try daemon.ledgerVerifies())
    }

    @Test func idempotencyKeysAreBoundedBoundToTheirRequestAndAnsweredOnce() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        @Sendable func create(_ name: String, key: String) throws -> UnixHTTPClient.Response {
            try daemon.client.send("POST", "/v1/volunteers", json: ["name": name], headers: ["Idempotency-Key": key])
        }
        let first = try create("甲", key: "k-1")
        #expect(first.status == 201)
        let retry = try create("甲", key: "k-1")
        #expect(retry.status == 201 && retry.body == first.body, "a retry gets the first answer")
        let other = try create("乙", key: "k-1")
        #expect(other.status == 422 && other.json.map { "\($0)" }?.contains("idempotency_key_reused") == true)
        #expect(try create("丙", key: String(repeating: "k", count: 200)).status == 400, "a key longer than 128 is refused")
        // A 70 KiB key does not fit in a request head: refused before anything is kept.
        let huge = try? daemon.client.send(
            "POST", "/v1/volunteers", json: ["name": "丁"], headers: ["Idempotency-Key": String(repeating: "k", count: 70 * 1024)])
        #expect(huge.map { $0.status >= 400 } ?? true)

        // Twenty requests with one key at once create one volunteer.
        let replies = Acknowledgements()
        DispatchQueue.concurrentPerform(iterations: 20) { _ in
            // A volunteer's id for a 201, the status otherwise (409 while the first is answered).
            if let reply = try? create("戊", key: "k-2") {
                _ = replies.add(reply.status == 201 ? reply.json?["id"] as? Int ?? -1 : reply.status)
            }
        }
        #expect(replies.all.subtracting([409]).count == 1, "one volunteer for one key: \(replies.all)")
        let volunteers = try #require(try daemon.get("/v1/volunteers")["items"] as? [[String: Any]])
        #expect(volunteers.filter { $0["name"] as? String == "戊" }.count == 1)

        // A QR badge's code is shown once: a retry gets the badge without it, and no reply
        // kept in the database holds it.
        let id = try #require(first.json?["id"] as? Int)
        func issue() throws -> UnixHTTPClient.Response {
            try daemon.client.send(
                "POST", "/v1/volunteers/\(id)/badges", json: ["kind": "qr", "print": true], headers: ["Idempotency-Key": "b-1"])
        }
        let jobs = try daemon.events()
        let badge = try issue()
        let code = try #require(badge.json?["code"] as? String)
        let again = try issue()
        #expect(again.status == 201 && !(again.json?["code"] is String) && again.json?["id"] as? Int == badge.json?["id"] as? Int)
        // Its slip printed once; the stored copy then forgets the code, and is not reprinted.
        let job = try #require(try jobs.next(.printJob))
        #expect(job.state == .printed)
        #expect(try daemon.api.call(API.printJobs()).items.map(\.id) == [job.id])
        #expect(try daemon.post("/v1/print-jobs/\(job.id)/reprint").status == 409)
        #expect(daemon.stop() == 0)
        #expect(
            !Self.stateFiles(daemon).contains { $0.range(of: Data(code.dropFirst(5).utf8)) != nil }, "the token is nowhere in the state")
    }

    /// Every file under the state directory, as bytes.
    static func stateFiles(_ daemon: DaemonProcess) -> [Data] {
        let state = daemon.directory.file("state")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: state)) ?? []
        return names.compactMap { FileManager.default.contents(atPath: state + "/" + $0) }
    }

    @Test func scansFromTheKioskSocketCannotArmARealScanner() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let volunteer = try daemon.registerVolunteer("甲", points: 100)
        let kiosk = daemon.kioskClient
        let armed = try kiosk.send("POST", "/v1/scans", json: ["code": "YZ:I:towel", "scanner": "front"])
        #expect(armed.json?["outcome"] as? String == "attention")
        let scans = try daemon.events()
        try daemon.scanThroughFIFO(volunteer.badge)
        #expect(try scans.next(.scan)?.reason == .patrolStarted)
        #expect(try daemon.api.call(API.patrols(state: .open)).items.count == 1)
        #expect(try daemon.balance(volunteer.id) == 100, "no towel redeemed")
        #expect(try daemon.get("/v1/redemptions")["items"].map { ($0 as? [Any])?.isEmpty == true } == true)
    }

    @Test func aHugeAdjustmentIsRefusedAndTheLedgerStaysSound() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let volunteer = try daemon.registerVolunteer("甲", points: 10)
        for delta in [Int.max, Int.max / 2, 100_001, -Int.max] {
            let reply = try daemon.post("/v1/adjustments", ["volunteer_id": volunteer.id, "delta": delta, "note": "x"])
            #expect(reply.status == 400 || reply.status == 422, "delta \(delta): \(reply.status)")
        }
        #expect(try daemon.post("/v1/adjustments", ["volunteer_id": volunteer.id, "delta": 1, "note": "x"]).status == 201)
        for code in [volunteer.badge, "YZ:C:extinguisher-1", "YZ:C:water-dispenser", volunteer.badge] {
            #expect(try daemon.post("/v1/scans", ["code": code]).json?["outcome"] as? String == "accepted")
        }
        #expect(try daemon.balance(volunteer.id) == 13)
        #expect(try daemon.ledgerVerifies())
        #expect(daemon.stop() == 0)
    }

    @Test func namesWithControlBytesNeverReachThePrinter() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        #expect(try daemon.post("/v1/volunteers", ["name": String(repeating: "名", count: 65)]).status == 400)
        #expect(try daemon.post("/v1/volunteers", ["name": "甲", "phone": String(repeating: "1", count: 33)]).status == 400)
        let reply = try daemon.post("/v1/volunteers", ["name": "甲\u{1D}V\u{1B}@乙"])
        #expect(reply.json?["name"] as? String == "甲V@乙")
        let id = try #require(reply.json?["id"] as? Int)
        let jobs = try daemon.events()
        #expect(try daemon.post("/v1/volunteers/\(id)/badges", ["kind": "qr", "print": true]).status == 201)
        #expect(try jobs.next(.printJob)?.state == .printed)
        #expect(daemon.stop() == 0)
        // In GBK 甲 is BC D7 and 乙 is D2 D2: the cleaned name is printed, the raw one never.
        let printed = try Data(contentsOf: URL(fileURLWithPath: daemon.slips))
        #expect(printed.range(of: Data([0xBC, 0xD7, 0x56, 0x40, 0xD2, 0xD2])) != nil)
        #expect(printed.range(of: Data([0xBC, 0xD7, 0x1D, 0x56])) == nil)
    }

    @Test func aNearMissBadgeScanIsLoggedWithoutItsToken() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let volunteer = try daemon.registerVolunteer("甲", points: 10)
        let token = String(volunteer.badge.dropFirst(5))
        // A keyboard layout typing ';' for ':', caps lock, a stray suffix: each rejected.
        let scans = try daemon.events()
        try daemon.scanThroughFIFO("YZ;B;" + token, "yz:b:" + token, volunteer.badge + "!")
        #expect(try scans.next(3, .scan).map(\.outcome) == [.error, .error, .error])
        #expect(daemon.stop() == 0)
        let log = try String(contentsOfFile: daemon.directory.file("log/yizhand.log"), encoding: .utf8)
        #expect(log.components(separatedBy: "scan rejected").count == 4, "each logged")
        #expect(!log.contains(token.dropFirst(3).prefix(8)), "no part of the token past a safe prefix is logged")
    }

    @Test func madeUpScannerIdsAreForgottenBeyondTheBound() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let volunteer = try daemon.registerVolunteer("甲", points: 100)
        let kiosk = daemon.kioskClient
        func scan(_ code: String, on scanner: String) throws -> String? {
            try kiosk.send("POST", "/v1/scans", json: ["code": code, "scanner": scanner]).json?["reason"] as? String
        }
        // A selection on one made-up id, then 100 more ids, each with a selection of its own:
        // the daemon keeps 64 scanners, so the first one's selection is gone well within its
        // 30 s, and a badge there starts a patrol instead of redeeming.
        #expect(try scan("YZ:I:soap", on: "first") == "item_selected")
        for index in 0..<100 { _ = try scan("YZ:I:soap", on: "made-up-\(index)") }
        #expect(try scan(volunteer.badge, on: "first") == "patrol_started")
        #expect(try daemon.balance(volunteer.id) == 100)
        #expect(daemon.stop() == 0)
    }
}
