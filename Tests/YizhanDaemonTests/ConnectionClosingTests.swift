import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
import YizhanSystem
import YizhanTestSupport

@testable import YizhanAPI
@testable import YizhanDaemon

/// A connection's last answer, through the API server's own pipeline on a real Unix socket.
@Suite struct ConnectionClosingTests {
    /// A streamed answer that ends while the kernel holds all the client will take and NIO
    /// a little more, under its high water mark: what an event stream cut for falling
    /// behind leaves when its client has stopped reading. The connection is still closed,
    /// the stalled limit after the answer's end, not at the idle timeout.
    @Test func anAnswerItsClientStoppedReadingIsGivenUpAfterTheStalledLimit() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let answered = Mutex<(any Channel)?>(nil)
        let router = Router(context: StationRequestContext.self)
        router.get("/events") { _, context -> Response in
            let channel = try #require(context.channel)
            answered.withLock { $0 = channel }
            // Writes until the kernel refuses some: NIO then holds a kilobyte or so, under
            // its high water mark, so the connection stays writable.
            return Response(
                status: .ok,
                body: ResponseBody { writer in
                    let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 1024)
                    while try await channel.getOption(ChannelOptions.bufferedWritableBytes).get() == 0 {
                        try await writer.write(chunk)
                    }
                    try await writer.finish(nil)
                })
        }
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let path = directory.file("api.sock")
        let server = APIServer(
            router: router, loops: loops, timeSlice: 0, path: path,
            limits: .init(connections: 4, idle: .seconds(60), stalled: .milliseconds(300)), onRunning: {},
            logger: Logger(label: "test"))
        let serving = Task { try await server.run() }
        defer { serving.cancel() }
        let started = ContinuousClock.now
        while !Kernel.isServed(path), ContinuousClock.now - started < .seconds(10) { try await Task.sleep(for: .milliseconds(10)) }

        // Should the connection be held, the reads below fail rather than wait forever.
        let client = try Kernel.connectUnix(path, timeout: .seconds(10))
        defer { try? client.close() }
        try Kernel.writeAll(client, Array("GET /events HTTP/1.1\r\nHost: station\r\nConnection: close\r\n\r\n".utf8))

        // The answer's connection closes with the client still not reading.
        let start = ContinuousClock.now
        var connection: (any Channel)?
        while connection == nil, ContinuousClock.now - start < .seconds(10) {
            connection = answered.withLock { $0 }
            try await Task.sleep(for: .milliseconds(10))
        }
        let answering = try #require(connection)
        while answering.isActive, ContinuousClock.now - start < .seconds(10) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!answering.isActive, "closed with its answer unsent, not held for a client that stopped reading")
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(300), "the answer was given \(waited) to go, not less than the stalled limit")

        // The client sees what was sent, then the end of the connection.
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while case let count = try Kernel.read(client, into: &buffer), count > 0 { received += count }
        #expect(received > 1024, "the answer's first part reached the client")
        serving.cancel()
        try await serving.value
        try await loops.shutdownGracefully()
    }
}
