import CLinux
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization
import YizhanAPI
import YizhanSystem

/// The API's HTTP server on one Unix socket: NIO's HTTP/1 parser in front of Hummingbird's
/// router (`RequestDispatcher` says why not Hummingbird's own server, nor NIO's other
/// HTTP/1 handlers). It keeps no timer: the `Date` header is formatted when a response
/// needs it, at most once a second (`httpDate()`), where Hummingbird's `Application`
/// refreshes its own every second, a wake-up an idle station board would pay around the
/// clock.
///
/// A socket's connections live on the loops it is given (`Daemon` says how many), each on
/// the loop that accepted it (`Acceptors`); the loops run in the time slice given.
///
/// What one client can hold is bounded (`Limits`): past the connection limit the server
/// stops accepting and further clients wait in the kernel's listen backlog, costing the
/// daemon no descriptor; a connection with no request in progress is closed after the
/// idle time; a client that stops taking what it is sent is disconnected; request heads are
/// small.
struct APIServer: Service {
    /// What clients of one socket may hold.
    struct Limits: Sendable {
        var connections: Int
        var idle: Duration
        /// A request head (line and headers) larger than this is refused.
        var headBytes = 16 * 1024
        /// A client that takes nothing of what it is sent for this long is disconnected
        /// (an event-stream client that stopped reading).
        var stalled: Duration = .seconds(10)
    }

    let responder: RouterResponder<StationRequestContext>
    let loops: MultiThreadedEventLoopGroup
    let scansFirst: ScansFirst
    /// The slice the loops' threads ask the kernel for, in nanoseconds; 0 for its default.
    let timeSlice: UInt64
    let path: String
    /// Clients past the connection limit wait here, in the kernel.
    private let backlog: Int32 = 256
    let limits: Limits
    let onRunning: @Sendable () -> Void
    let logger: Logger

    init(
        router: Router<StationRequestContext>, loops: MultiThreadedEventLoopGroup, scansFirst: ScansFirst, timeSlice: UInt64,
        path: String, limits: Limits, onRunning: @escaping @Sendable () -> Void, logger: Logger
    ) {
        responder = router.buildResponder()
        self.loops = loops
        self.scansFirst = scansFirst
        self.timeSlice = timeSlice
        self.path = path
        self.limits = limits
        self.onRunning = onRunning
        self.logger = logger
    }

    func run() async throws {
        // A loop's thread inherits the slice of the thread that started it (an executor's
        // is the shortest): each asks for its own.
        for loop in loops.makeIterator() {
            loop.execute { [timeSlice] in _ = yizhan_request_time_slice(timeSlice) }
        }
        // One listening socket, and a server channel on each loop accepting from it in turn
        // (`Acceptors` says why).
        let listening: CInt
        do { listening = try Kernel.listenUnix(path, backlog: backlog).rawValue } catch {
            throw StartupError("cannot listen on \(path): \(error)")
        }
        let setup = connectionSetup(executors: EventLoopTaskExecutor.executors(of: loops))
        let all = Array(loops.makeIterator())
        var socketLogger = logger
        socketLogger[metadataKey: "socket"] = "\(path)"
        let acceptors = Acceptors(count: all.count, limit: limits.connections, logger: socketLogger)
        let quiescing = all.map { ServerQuiescingHelper(group: $0) }
        for (index, loop) in all.enumerated() {
            let descriptor = index == 0 ? listening : dup(listening)
            guard descriptor >= 0 else { throw StartupError("cannot listen on \(path) from \(all.count) loops: \(Kernel.lastError)") }
            _ = try await ServerBootstrap(group: loop, childGroup: loop)
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(acceptors.handler(index))
                        try channel.pipeline.syncOperations.addHandler(quiescing[index].makeServerChannelHandler(channel: channel))
                    }
                }
                .childChannelInitializer(setup)
                .withBoundSocket(descriptor).get()
        }
        // NIO's server channel listens again as it takes the socket, with a backlog of its own.
        Glibc.listen(listening, backlog)
        onRunning()
        // A stop closes the socket, then each connection once its response in progress has
        // ended (an event stream ends when the station says it is stopping).
        let stopped = all.map { $0.makePromise(of: Void.self) }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                for promise in stopped { try? await promise.futureResult.get() }
            } onGracefulShutdown: {
                for (quiescing, promise) in zip(quiescing, stopped) { quiescing.initiateShutdown(promise: promise) }
            }
        } onCancel: {
            for (quiescing, promise) in zip(quiescing, stopped) {
                quiescing.initiateShutdown(promise: nil)
                promise.succeed()
            }
        }
    }

    /// A connection's pipeline: NIO's HTTP/1 parser, the stalled-client limit, and the
    /// dispatcher, which answers and writes the answers itself.
    private func connectionSetup(
        executors: [ObjectIdentifier: EventLoopTaskExecutor]
    ) -> @Sendable (any Channel) -> EventLoopFuture<Void> {
        let responder = self.responder
        let logger = self.logger
        let limits = self.limits
        let scansFirst = self.scansFirst
        let respond: RequestDispatcher.Respond = { request, channel in
            let context = StationRequestContext(source: ApplicationRequestContextSource(channel: channel, logger: logger))
            var response: Response
            do {
                response = try await responder.respond(to: request, context: context)
            } catch {
                response = Response(status: .internalServerError)
            }
            response.headers[.date] = Self.httpDate()
            return response
        }
        return { channel in
            channel.eventLoop.makeCompletedFuture {
                // Set here rather than as the bootstrap's child option, which NIO sets through a
                // chain of futures for each connection.
                try channel.syncOptions?.setOption(ChannelOptions.allowRemoteHalfClosure, value: true)
                var head = NIOHTTPDecoderLimitConfiguration()
                head.maxHeaderFieldSize = limits.headBytes
                head.maxHeaderListSize = limits.headBytes
                head.maxHeaderFieldCount = 64
                let pipeline = channel.pipeline.syncOperations
                try pipeline.addHandler(
                    ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: head)))
                let stalled = TimeAmount(limits.stalled)
                try pipeline.addHandler(StalledClientHandler(timeout: stalled))
                try pipeline.addHandler(
                    RequestDispatcher(
                        executor: executors[ObjectIdentifier(channel.eventLoop)]!, scansFirst: scansFirst,
                        bodyLimit: maximumBodySize, lingering: stalled, idle: limits.idle, respond: respond))
            }
        }
    }

    /// The `Date` header last formatted, and the second it is for.
    private static let lastDate = Mutex<(second: Int, text: String)>((0, ""))

    /// `Sun, 29 Nov 2026 11:56:58 GMT` (RFC 9110, IMF-fixdate), formatted once a second at
    /// most, and only when a response is sent in it.
    static func httpDate() -> String {
        let now = Kernel.currentSecond
        if let kept = lastDate.withLock({ $0.second == now ? $0.text : nil }) { return kept }
        let text = Kernel.httpDate(at: now)
        lastDate.withLock { $0 = (now, text) }
        return text
    }
}

/// Closes a connection whose outbound buffer has stayed full (NIO reports it unwritable)
/// for `timeout`. The idle timeout (`RequestDispatcher`) spares a connection with a
/// response in progress, and a response's writer waits for room without end: without
/// this, a client that opens the event stream and never reads holds its connection, its
/// task and its buffered bytes for ever, and a clean stop waits for it.
final class StalledClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any

    private let timeout: TimeAmount
    private var closing: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    /// A reply to a station client is small; what a client does not take is held in the
    /// daemon only up to this. NIO's default lets 64 KiB of small writes pile up, and an
    /// event held costs about twelve times its bytes in buffers and promises (an event
    /// stream's chunk is three writes): 4 KiB keeps a stalled event client near 80 KB.
    func handlerAdded(context: ChannelHandlerContext) {
        // On the channel's loop already: set at once, without a future to wait on.
        try? context.channel.syncOptions?.setOption(ChannelOptions.writeBufferWaterMark, value: .init(low: 2 * 1024, high: 4 * 1024))
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            closing?.cancel()
            closing = nil
        } else if closing == nil {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            closing = context.eventLoop.scheduleTask(in: timeout) { bound.value.close(promise: nil) }
        }
        context.fireChannelWritabilityChanged()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closing?.cancel()
    }
}
