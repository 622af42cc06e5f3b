import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import NIOPosix
import Synchronization
import Testing
import YizhanSystem
import YizhanTestSupport

@testable import YizhanDaemon

/// The dispatcher's last answer on a connection, over a real Unix socket.
@Suite struct ConnectionClosingTests {
    /// A streamed answer that ends while the kernel holds all the client will take and NIO
    /// a little more, under its high water mark: what an event stream cut for falling
    /// behind leaves when its client has stopped reading. The connection is still closed,
    /// `lingering` after the answer's end, not at the idle timeout.
    @Test func anAnswerItsClientStoppedReadingIsGivenUpAfterLingering() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let executors = EventLoopTaskExecutor.executors(of: loops)
        let answered = Mutex<(any Channel)?>(nil)
        let respond: RequestDispatcher.Respond = { _, channel in
            answered.withLock { $0 = channel }
            // Writes until the kernel refuses some: NIO then holds a kilobyte or so, far
            // under its high water mark, so the connection stays writable.
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
        let server = try await ServerBootstrap(group: loops)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
                    try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                    try pipeline.addHandler(
                        RequestDispatcher(
                            executor: executors[ObjectIdentifier(channel.eventLoop)]!, bodyLimit: 1024, lingering: .milliseconds(300),
                            respond: respond))
                }
            }
            .bind(unixDomainSocketPath: directory.file("api.sock")).get()

        // Should the connection be held, the reads below fail rather than wait forever.
        let client = try Kernel.connectUnix(directory.file("api.sock"), timeout: .seconds(10))
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
        #expect(waited >= .milliseconds(300), "the answer was given \(waited) to go, not less than lingering")

        // The client sees what was sent, then the end of the connection.
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while case let count = try Kernel.read(client, into: &buffer), count > 0 { received += count }
        #expect(received > 1024, "the answer's first part reached the client")
        try await server.close()
        try await loops.shutdownGracefully()
    }
}
