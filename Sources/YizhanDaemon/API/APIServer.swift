import CLinux
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import YizhanAPI
import YizhanSystem

/// The API's HTTP server on one Unix socket. Hummingbird's `Application` would serve the
/// router as well, but it also refreshes a cached `Date` header every second, a wake-up an
/// idle station board pays around the clock; here the date is formatted when a response
/// needs it, at most once a second (`httpDate()`).
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
    let path: String
    let limits: Limits
    let onRunning: @Sendable () -> Void
    let logger: Logger

    init(
        router: Router<StationRequestContext>, path: String, limits: Limits, onRunning: @escaping @Sendable () -> Void, logger: Logger
    ) {
        responder = router.buildResponder()
        self.path = path
        self.limits = limits
        self.onRunning = onRunning
        self.logger = logger
    }

    func run() async throws {
        let responder = self.responder
        let logger = self.logger
        let stalled = TimeAmount.seconds(limits.stalled.components.seconds)
        let executors = EventLoopTaskExecutor.executors(of: .singleton)
        // The loops inherit a short time slice when an executor's thread starts them; with
        // the kernel's default they give way to the scan path's threads when those wake.
        for loop in MultiThreadedEventLoopGroup.singleton.makeIterator() {
            loop.execute { _ = yizhan_request_time_slice(0) }
        }
        let channel = HTTP1Channel.Configuration(
            additionalChannelHandlers: [StalledClientHandler(timeout: stalled)],
            idleTimeout: .seconds(limits.idle.components.seconds),
            httpDecoderConfiguration: .init(
                maxHeaderFieldSize: limits.headBytes, maxHeaderListSize: limits.headBytes, maxHeaderFieldCount: 64))
        let server = try HTTPServerBuilder.http1(configuration: channel).buildServer(
            configuration: ServerConfiguration(
                address: .unixDomainSocket(path: path), serverName: nil,
                availableConnectionsDelegate: .maximum(limits.connections, logger: logger)),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger,
            responder: { request, writer, channel in
                let context = StationRequestContext(source: ApplicationRequestContextSource(channel: channel, logger: logger))
                var response: Response
                do {
                    response = try await withTaskExecutorPreference(executors.each[ObjectIdentifier(channel.eventLoop)]) {
                        try await responder.respond(to: request, context: context)
                    }
                } catch {
                    response = Response(status: .internalServerError)
                }
                response.headers[.date] = Self.httpDate()
                try await writer.write(response: response.head, body: response.body)
            },
            onServerRunning: { _ in onRunning() })
        // Every connection's task is a child of this one and keeps its executor.
        try await withTaskExecutorPreference(executors.any) {
            try await server.run()
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
/// for `timeout`. Hummingbird's idle timeout spares a connection with a response in
/// progress, and a response's writer waits for room without end: without this, a client
/// that opens the event stream and never reads holds its connection, its task and its
/// buffered bytes for ever, and a clean stop waits for it.
final class StalledClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any

    private let timeout: TimeAmount
    private var closing: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    /// A reply to a station client is small; what a client does not take is held in the
    /// daemon only up to this (NIO's default lets 64 KiB of small writes pile up).
    func handlerAdded(context: ChannelHandlerContext) {
        // On the channel's loop already: set at once, without a future to wait on.
        try? context.channel.syncOptions?.setOption(ChannelOptions.writeBufferWaterMark, value: .init(low: 8 * 1024, high: 16 * 1024))
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
