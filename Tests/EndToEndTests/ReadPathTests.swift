import CLinux
import Foundation
import Synchronization
import Testing
import YizhanTestSupport

/// The status and the catalogue are answered from what was last encoded while nothing has
/// changed. Through the built daemon, with other clients asking all the while so the kept
/// answers are in use: every change shows in the very next answer, even within one second.
@Suite(.serialized) struct ReadPathTests {
    @Test func everyChangeShowsInTheNextStatusAndCatalogue() throws {
        let daemon = try DaemonProcess()
        defer { daemon.directory.remove() }
        try daemon.start()
        let asking = Atomic(true)
        let readers = (0..<4).map { _ in
            Thread {
                let client = daemon.client
                while asking.load(ordering: .relaxed) {
                    _ = try? client.send("GET", "/v1/status")
                    _ = try? client.send("GET", "/v1/catalog")
                }
            }
        }
        for reader in readers { reader.start() }
        defer { asking.store(false, ordering: .relaxed) }

        func openPatrols() throws -> Int? { try daemon.get("/v1/status")["open_patrols"] as? Int }
        func towelStock() throws -> Int? {
            (try daemon.get("/v1/catalog")["items"] as? [[String: Any]])?.first { $0["id"] as? String == "towel" }?["stock"] as? Int
        }
        #expect(try openPatrols() == 0)
        // Two patrols: the station's daily cap.
        for round in 1...2 {
            let (_, badge) = try daemon.registerVolunteer("巡查员\(round)", points: 1)
            let reply = try daemon.post("/v1/scans", ["code": badge]).json
            #expect(reply?["reason"] as? String == "patrol_started", "\(reply ?? [:])")
            #expect(try openPatrols() == round, "the patrol just started is counted")
        }
        for stock in [3, 0, 7, 8, 2] {
            #expect(try daemon.client.send("PATCH", "/v1/catalog/towel", json: ["stock": stock]).status == 200)
            #expect(try towelStock() == stock, "the stock just set is shown")
        }
        #expect(daemon.stop() == 0)
    }

    /// The scan path's threads run in the kernel's shortest slices, so that one woken by a
    /// scan preempts an admin socket's loop kept busy by readers, which keeps the default;
    /// the kiosk socket's loop, which carries the screen's events, runs in the shortest too.
    /// Read back from the kernel (`se.slice` in `/proc/PID/task/TID/sched`), on a kernel
    /// that takes a slice (Linux 6.12 and later).
    @Test(.enabled(if: Self.kernelTakesSlices(), "this kernel keeps no per-thread time slice"))
    func theScanPathAndTheKioskLoopRunInShortSlicesAndTheAdminLoopInTheDefault() throws {
        let daemon = try DaemonProcess()
        defer { daemon.directory.remove() }
        try daemon.start()
        #expect(try daemon.post("/v1/scans", ["code": "YZ:K:CANCEL"]).status == 200)
        let pid = try #require(daemon.pid)
        var slices: [String: Set<UInt64>] = [:]
        for task in try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") {
            let name = try String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8).trimmingCharacters(in: .newlines)
            let scanPath = name.hasPrefix("yizhan-pool") || name == "yizhan-devices" || task == "\(pid)"
            let kind = name.hasPrefix("NIO-") ? "loop" : scanPath ? "scan path" : "other"
            if let slice = Self.slice(of: "/proc/\(pid)/task/\(task)") { slices[kind, default: []].insert(slice) }
        }
        #expect(slices["scan path"] == [100_000], "\(slices)")
        #expect(slices["loop"] == [Self.defaultSlice, 100_000], "\(slices)")
        let kiosk = try #require(daemon.loopAnswering(daemon.kioskSocket))
        let admin = try #require(daemon.loopAnswering(daemon.adminSocket))
        #expect(Self.slice(of: "/proc/\(pid)/task/\(kiosk)") == 100_000)
        #expect(Self.slice(of: "/proc/\(pid)/task/\(admin)") == Self.defaultSlice)
        #expect(daemon.stop() == 0)
    }

    /// A thread's slice in nanoseconds, as the kernel reports it.
    static func slice(of task: String) -> UInt64? {
        let text = (try? String(contentsOfFile: task + "/sched", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("se.slice ") }
        return line?.split(separator: " ").last.flatMap { UInt64($0) }
    }

    /// The slice a thread that asked for none has here.
    static let defaultSlice = slice(of: "/proc/self") ?? 0

    /// Whether a thread that asks for a 0.1 ms slice is then shown with it.
    static func kernelTakesSlices() -> Bool {
        let taken = Mutex(false)
        let done = DispatchSemaphore(value: 0)
        Thread {
            if yizhan_request_time_slice(100_000) == 0 { taken.withLock { $0 = slice(of: "/proc/thread-self") == 100_000 } }
            done.signal()
        }.start()
        done.wait()
        return taken.withLock { $0 }
    }
}
