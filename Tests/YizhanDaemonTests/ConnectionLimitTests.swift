import Dispatch
import Foundation
import Hummingbird
import NIOCore
import Testing
import YizhanSystem
import YizhanTestSupport

@testable import YizhanAPI
@testable import YizhanDaemon

/// The connection limit, through the API server's own pipeline on a real Unix socket.
@Suite struct ConnectionLimitTests {
    /// The server did not take the connections expected within 20 s.
    struct NotTaken: Error {}

    /// Twelve clients connect while the server's loop is busy, so that its next wake-up
    /// finds them all waiting: it takes its limit (4), not the loop's whole batch (16),
    /// and one more each time one of its connections closes. The rest wait in the
    /// kernel's backlog.
    @Test func clientsWaitingTogetherAreTakenOnlyUpToTheLimit() async throws {
        let api = try ServedAPI()
        let (loop, path) = (api.loop, api.path)
        try await api.start(Router(context: StationRequestContext.self), limits: .init(connections: 4, idle: .seconds(60)))

        // The loop is held while the clients connect, so that one wake-up finds all twelve.
        let (holding, released) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        loop.execute {
            holding.signal()
            released.wait()
        }
        holding.wait()
        var clients = try (0..<12).map { _ in try Kernel.connectUnix(path, timeout: .seconds(10)) }
        defer { for client in clients { try? client.close() } }
        released.signal()

        // The server's connections once it has taken some other than `old`, read after
        // a task on its loop: a wake-up's accepts are done by then.
        func taken(besides old: Set<Substring> = []) async throws -> Set<Substring> {
            guard waitUntil(timeout: .seconds(20), { !connections(of: getpid(), acceptedOn: path).subtracting(old).isEmpty }) else {
                throw NotTaken()
            }
            try await loop.submit {}.get()
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
}
