import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// The API's HTTP server on one Unix socket. Hummingbird's `Application` would serve the
/// router as well, but it also refreshes a cached `Date` header every second, a wake-up an
/// idle station board pays around the clock; here the date is formatted per response.
///
/// What one client can hold is bounded (`Limits`): past the connection limit the server
/// stops accepting and further clients wait in the kernel's listen backlog, costing the
/// daemon no descriptor; a connection with no request in progress is closed after the
/// idle time; request heads are small.
struct APIServer: Service {
    /// What clients of one socket may hold.
    struct Limits: Sendable {
        var connections: Int
        var idle: Duration
        /// A request head (line and headers) larger than this is refused.
        var headBytes = 16 * 1024
    }

    let responder: RouterResponder<BasicRequestContext>
    let path: String
    let limits: Limits
    let onRunning: @Sendable () -> Void
    let logger: Logger

    init(
        router: Router<BasicRequestContext>, path: String, limits: Limits, onRunning: @escaping @Sendable () -> Void, logger: Logger
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
        let channel = HTTP1Channel.Configuration(
            idleTimeout: .nanoseconds(Int64(limits.idle.components.seconds) * 1_000_000_000),
            httpDecoderConfiguration: .init(
                maxHeaderFieldSize: limits.headBytes, maxHeaderListSize: limits.headBytes, maxHeaderFieldCount: 64))
        let server = try HTTPServerBuilder.http1(configuration: channel).buildServer(
            configuration: ServerConfiguration(
                address: .unixDomainSocket(path: path), serverName: nil,
                availableConnectionsDelegate: .maximum(limits.connections, logger: logger)),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger,
            responder: { request, writer, channel in
                let context = BasicRequestContext(source: ApplicationRequestContextSource(channel: channel, logger: logger))
                var response: Response
                do {
                    response = try await responder.respond(to: request, context: context)
                } catch {
                    response = Response(status: .internalServerError)
                }
                response.headers[.date] = Self.httpDate()
                try await writer.write(response: response.head, body: response.body)
            },
            onServerRunning: { _ in onRunning() })
        try await server.run()
    }

    /// `Sun, 29 Nov 2026 11:56:58 GMT` (RFC 9110, IMF-fixdate).
    static func httpDate() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 40)
        let length = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
