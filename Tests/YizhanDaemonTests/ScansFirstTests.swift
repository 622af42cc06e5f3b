import Foundation
import Hummingbird
import Synchronization
import Testing
import YizhanSystem
import YizhanTestSupport

@testable import YizhanAPI
@testable import YizhanDaemon

/// Reads held while a scan is in hand (`ScansFirst`), through the API server's own pipeline
/// on a real Unix socket. Each read's route notes when it was answered, by the same clock
/// the hold keeps.
@Suite struct ScansFirstTests {
    /// When the read route was routed, once it has been.
    final class Answered: Sendable {
        let at = Mutex<UInt64?>(nil)
    }

    /// A server with a read route and a write route.
    final class Served {
        let api: ServedAPI
        let answered = Answered()

        init(_ scansFirst: ScansFirst) async throws {
            api = try ServedAPI()
            let router = Router(context: StationRequestContext.self)
            router.get("/status") { [answered] _, _ -> String in
                answered.at.withLock { $0 = Kernel.monotonicNanoseconds }
                return "read"
            }
            router.post("/scans") { _, _ -> String in "written" }
            try await api.start(router, limits: .init(connections: 4, idle: .seconds(60)), scansFirst: scansFirst)
        }

        /// Sends `method path` on a connection of its own, to be closed after its answer.
        func ask(_ method: String, _ path: String) throws -> FileDescriptor {
            let client = try api.connect()
            try ServedAPI.ask(method, path, on: client)
            return client
        }
    }

    /// A read that arrives during a scan is answered only a moment after the scan's outcome;
    /// a write that arrives after it is answered while the scan is still in hand.
    @Test func aReadWaitsForTheScanInHandAndAWriteDoesNot() async throws {
        let scansFirst = ScansFirst(inHand: .seconds(60), afterOutcome: .milliseconds(50))
        let served = try await Served(scansFirst)
        scansFirst.began()
        let read = try served.ask("GET", "/status")
        let write = try served.ask("POST", "/scans")
        #expect(try ServedAPI.body(write) == "written")
        #expect(served.answered.at.withLock { $0 } == nil, "the read was answered with the scan in hand")

        let outcome = Kernel.monotonicNanoseconds
        scansFirst.ended()
        #expect(try ServedAPI.body(read) == "read")
        let answered = try #require(served.answered.at.withLock { $0 })
        #expect(answered >= outcome + 50_000_000, "the read was answered \((Int64(answered) - Int64(outcome)) / 1000) µs after the outcome")
        try await served.api.stop()
    }

    /// A scan whose outcome is slow to come (a commit on a slow card) holds reads only so long.
    @Test func aScanInHandTooLongLetsReadsGo() async throws {
        let scansFirst = ScansFirst(inHand: .milliseconds(100), afterOutcome: .seconds(60))
        let served = try await Served(scansFirst)
        let began = Kernel.monotonicNanoseconds
        scansFirst.began()
        #expect(try ServedAPI.body(served.ask("GET", "/status")) == "read")
        let answered = try #require(served.answered.at.withLock { $0 })
        #expect(answered >= began + 100_000_000, "the read was answered \((Int64(answered) - Int64(began)) / 1000) µs after the scan began")
        try await served.api.stop()
    }
}
