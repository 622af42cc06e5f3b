import Dispatch
import Foundation
import Hummingbird
import NIOCore
import Testing
import YizhanSystem
import YizhanTestSupport

@testable import YizhanAPI
@testable import YizhanDaemon

/// A socket's connections, taken by the server channels of its loops in turn and within
/// its limit, through the API server's own pipeline on a real Unix socket.
@Suite struct AcceptorsTests {
    /// The server did not take the connections expected within 20 s.
    struct NotTaken: Error {}

    /// Holds each of the server's loops busy until the returned semaphore is signalled once
    /// for each, so that clients connecting meanwhile are all waiting at its next wake-up.
    static func hold(_ api: ServedAPI) -> DispatchSemaphore {
        let (holding, released) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let loops = Array(api.loops.makeIterator())
        for loop in loops {
            loop.execute {
                holding.signal()
                released.wait()
            }
        }
        for _ in loops { holding.wait() }
        return released
    }

    static func release(_ released: DispatchSemaphore, _ api: ServedAPI) {
        for _ in api.loops.makeIterator() { released.signal() }
    }

    /// Twelve clients connect while the server's loops are busy, so that their next wake-up
    /// finds them all waiting: the server takes its limit (4), not a turn's whole batch,
    /// and one more each time one of its connections closes, on whichever loop. The rest
    /// wait in the kernel's backlog.
    @Test(arguments: [1, 2]) func clientsWaitingTogetherAreTakenOnlyUpToTheLimit(loops: Int) async throws {
        let api = try ServedAPI(loops: loops)
        let path = api.path
        try await api.start(Router(context: StationRequestContext.self), limits: .init(connections: 4, idle: .seconds(60)))

        let released = Self.hold(api)
        var clients = try (0..<12).map { _ in try api.connect() }
        defer { for client in clients { try? client.close() } }
        Self.release(released, api)

        // The server's connections once it has taken some other than `old`, read after a
        // task on each of its loops: a wake-up's accepts are done by then.
        func taken(besides old: Set<Substring> = []) async throws -> Set<Substring> {
            guard waitUntil(timeout: .seconds(20), { !connections(of: getpid(), acceptedOn: path).subtracting(old).isEmpty }) else {
                throw NotTaken()
            }
            for loop in api.loops.makeIterator() { try await loop.submit {}.get() }
            return connections(of: getpid(), acceptedOn: path)
        }
        let first = try await taken()
        #expect(first.count == 4, "taken at once of 12 waiting")

        // The first client leaves: the server takes the next in the backlog, one only.
        try clients.removeFirst().close()
        let second = try await taken(besides: first)
        #expect(second.count == 4, "taken after one left")

        try await api.stop()
    }

    /// A server on two loops whose one route answers which loop it ran on.
    static func servedOnTwoLoops() async throws -> ServedAPI {
        let api = try ServedAPI(loops: 2)
        var threads: [pthread_t] = []
        for loop in api.loops.makeIterator() { threads.append(try await loop.submit { pthread_self() }.get()) }
        let router = Router(context: StationRequestContext.self)
        router.get("/loop") { [threads] _, _ -> String in
            threads.firstIndex { pthread_equal($0, pthread_self()) != 0 }.map(String.init) ?? "none"
        }
        try await api.start(router, limits: .init(connections: 64, idle: .seconds(60)))
        return api
    }

    /// Sixteen clients that connect together, as a busy manager's tools do, are shared
    /// between the loops: each takes half in its turn, and each client's requests run on
    /// the loop that took it.
    @Test func clientsConnectingTogetherAreSharedBetweenTheLoops() async throws {
        let api = try await Self.servedOnTwoLoops()
        let released = Self.hold(api)
        let clients = try (0..<16).map { _ in try api.connect() }
        Self.release(released, api)
        let answers = try clients.map { client in
            try ServedAPI.ask("GET", "/loop", on: client)
            return try ServedAPI.body(client)
        }
        #expect(answers.filter { $0 == "0" }.count == 8 && answers.filter { $0 == "1" }.count == 8, "\(answers)")
        try await api.stop()
    }

    /// Clients that come one after another are each taken and answered: the loops take
    /// turns, and neither is woken for a connection the other has taken (NIO's server
    /// channel stops a debug build on that).
    @Test func clientsOneAfterAnotherAreAllAnswered() async throws {
        let api = try await Self.servedOnTwoLoops()
        var answers: [String] = []
        for _ in 0..<200 {
            let client = try api.connect()
            try ServedAPI.ask("GET", "/loop", on: client)
            answers.append(try ServedAPI.body(client))
        }
        #expect(Set(answers) == ["0", "1"], "\(Set(answers))")
        try await api.stop()
    }
}
