import Foundation
import HTTPTypes
import Hummingbird
import Synchronization
import YizhanCore
import YizhanStore

/// Builds the router for one socket. The executable and the tests use the same function.
/// `recorder` hears every route added, for checking the OpenAPI document against them.
public func buildRouter(environment: APIEnvironment, surface: APISurface, recorder: RouteRecorder? = nil) -> Router<StationRequestContext> {
    let router = Router(context: StationRequestContext.self)
    router.addMiddleware { JSONErrorMiddleware(surface: surface) }
    var environment = environment
    environment.surfaceName = surface.rawValue
    let routes = RouteTable(router: router, environment: environment, recorder: recorder)
    routes.addStationRoutes()
    routes.addEventRoute()
    if surface == .admin {
        routes.addVolunteerRoutes()
        routes.addPatrolAndHazardRoutes()
        routes.addRedemptionAndPrintRoutes()
        routes.addMaintenanceRoutes()
        routes.addReportRoutes()
        routes.addExportRoute()
        routes.addRotaRoutes()
    }
    return router
}

/// Turns errors that never reached a handler (no such route, wrong method) into the
/// API's JSON error format.
/// On the kiosk socket a route that is not there is one kept for the admin socket.
struct JSONErrorMiddleware: RouterMiddleware {
    typealias Context = StationRequestContext
    let surface: APISurface

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && surface == .kiosk {
            return APIError(.adminOnly, "this route is not served on the kiosk socket").reply.response
        } catch {
            return APIError(from: error).reply.response
        }
    }
}

/// Collects the routes a router serves, as `METHOD /path/{param}`.
public final class RouteRecorder: Sendable {
    private let routes = Mutex<[String]>([])

    public init() {}

    func record(_ method: HTTPRequest.Method, _ path: String) {
        let openAPIPath = path.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
        routes.withLock { $0.append("\(method.rawValue) \(openAPIPath)") }
    }

    public var all: [String] { routes.withLock { $0 } }
}

let idempotencyKey = HTTPField.Name("Idempotency-Key")!

/// Registers handlers that return an `APIReply`, with errors rendered as JSON and write
/// requests made idempotent by their `Idempotency-Key`.
struct RouteTable {
    let router: Router<StationRequestContext>
    let environment: APIEnvironment
    let recorder: RouteRecorder?

    typealias Handler = @Sendable (inout Request, StationRequestContext) async throws -> APIReply

    func add(_ method: HTTPRequest.Method, _ path: RouterPath, _ handler: @escaping Handler) {
        recorder?.record(method, "\(path)")
        let environment = self.environment
        let route = "\(method.rawValue) \(path)"
        router.on(path, method: method) { request, context -> Response in
            var request = request
            var context = context
            if method != .get { context.actor = await context.peerUser() }
            let reply: APIReply
            do {
                if method != .get, let key = request.headers[idempotencyKey] {
                    reply = try await environment.once(key: key, request: &request) { [context] in try await handler(&$0, context) }
                } else {
                    reply = try await handler(&request, context)
                }
            } catch {
                reply = APIError(from: error).reply
            }
            if method != .get {
                environment.logger.info(
                    "api \(route)",
                    metadata: [
                        "path": "\(request.uri.path)", "status": "\(reply.status.code)", "surface": "\(environment.surfaceName)",
                        "actor": "\(context.actor ?? "unknown")",
                    ])
            }
            return reply.response
        }
    }
}

extension APIEnvironment {
    /// Longest `Idempotency-Key` taken: a UUID is 36 characters.
    static let maximumIdempotencyKeyLength = 128

    /// Runs `handler` once for `key`: a retry of the same request gets the first answer; the
    /// same key with another request is refused (422), and while a request with the key is
    /// being answered another one with it is refused (409) instead of being run twice.
    /// Keys are scoped by socket, so a kiosk client cannot take an admin's key.
    func once(key: String, request: inout Request, _ handler: (inout Request) async throws -> APIReply) async throws -> APIReply {
        guard (1...Self.maximumIdempotencyKeyLength).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
        else {
            throw APIError(
                .invalidIdempotencyKey,
                "Idempotency-Key must be 1 to \(Self.maximumIdempotencyKeyLength) visible ASCII characters")
        }
        let body = try await request.bodyData()
        request.body = RequestBody(buffer: ByteBuffer(bytes: body))
        let fingerprint = IdempotentReply.fingerprint(method: request.method.rawValue, path: request.uri.path, body: body)
        let scoped = surfaceName + ":" + key
        guard idempotencyClaims.claim(scoped) else {
            throw APIError(.idempotencyKeyInUse, "a request with this Idempotency-Key is still being answered")
        }
        defer { idempotencyClaims.release(scoped) }
        if let earlier = try store.idempotentReply(key: scoped) {
            guard earlier.fingerprint == fingerprint else {
                throw APIError(.idempotencyKeyReused, "this Idempotency-Key was used for a different request")
            }
            return APIReply(status: HTTPResponse.Status(code: earlier.status), body: earlier.body)
        }
        let reply = try await handler(&request)
        if reply.status.code < 500 {
            try? store.storeIdempotentReply(
                IdempotentReply(status: reply.status.code, body: reply.replayBody ?? reply.body, fingerprint: fingerprint), key: scoped,
                at: clock.now().wall)
        }
        return reply
    }
}

/// The keys whose requests are being answered right now.
final class IdempotencyClaims: Sendable {
    private let keys = Mutex<Set<String>>([])

    func claim(_ key: String) -> Bool { keys.withLock { $0.insert(key).inserted } }
    func release(_ key: String) { _ = keys.withLock { $0.remove(key) } }
}

extension APIEnvironment {
    func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> APIReply {
        APIReply.json(value, status: status, calendar: calendar)
    }
}
