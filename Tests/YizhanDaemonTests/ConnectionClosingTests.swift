import Foundation
import Hummingbird
import NIOCore
import Testing
import YizhanSystem
import YizhanTestSupport

@testable import YizhanAPI
@testable import YizhanDaemon

/// A connection's last answer, through the API server's own pipeline on a real Unix socket.
@Suite struct ConnectionClosingTests {
    /// The connection was still open 10 s after its answer began.
    struct HeldOpen: Error {}

    /// A streamed answer that ends while the kernel holds all the client will take and NIO
    /// a little more, under its high water mark: what an event stream cut for falling
    /// behind leaves when its client has stopped reading. The connection is still closed,
    /// the stalled limit after the answer's end, not at the idle timeout.
    @Test func anAnswerItsClientStoppedReadingIsGivenUpAfterTheStalledLimit() async throws {
        // What the test waits for is promised on the server's loop and timed there: the
        // test's own task may wait seconds for a thread while other suites run.
        let api = try ServedAPI()
        let loop = api.loop
        let answered = loop.makePromise(of: (any Channel).self)
        let ended = loop.makePromise(of: NIODeadline.self)
        let router = Router(context: StationRequestContext.self)
        router.get("/events") { _, context -> Response in
            let channel = try #require(context.channel)
            answered.succeed(channel)
            // Writes until the kernel refuses some: NIO then holds a kilobyte or so, under
            // its high water mark, so the connection stays writable.
            return Response(
                status: .ok,
                body: ResponseBody { writer in
                    let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 1024)
                    while try await channel.getOption(ChannelOptions.bufferedWritableBytes).get() == 0 {
                        try await writer.write(chunk)
                    }
                    ended.succeed(.now())
                    try await writer.finish(nil)
                })
        }
        try await api.start(router, limits: .init(connections: 4, idle: .seconds(60), stalled: .milliseconds(300)))

        // Should the connection be held, the reads below fail rather than wait forever.
        let client = try api.connect()
        defer { try? client.close() }
        try ServedAPI.ask("GET", "/events", on: client)

        // The answer's connection closes with the client still not reading, given up on
        // if it has not within 10 s.
        let closed = loop.makePromise(of: NIODeadline.self)
        answered.futureResult.flatMap { $0.closeFuture }.whenComplete { _ in closed.succeed(.now()) }
        loop.scheduleTask(in: .seconds(10)) { closed.fail(HeldOpen()) }
        let closing = try await closed.futureResult.get()
        let waited = closing - (try await ended.futureResult.get())
        #expect(waited >= .milliseconds(300), "the answer was given \(waited) to go, not less than the stalled limit")

        // The client sees what was sent, then the end of the connection.
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while case let count = try Kernel.read(client, into: &buffer), count > 0 { received += count }
        #expect(received > 1024, "the answer's first part reached the client")
        try await api.stop()
    }
}
