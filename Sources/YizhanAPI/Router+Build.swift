import Foundation
import HTTPTypes
import Hummingbird
import Synchronization
import YizhanCore
import YizhanStore

/// Builds the router for one socket. The executable and the tests use the same function.
/// `recorder` hears every route added, for checking the OpenAPI document against them.
public func buildRouter(environment: APIEnvironment, surface: APISurface, recorder: RouteRecorder? = nil) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
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
    }
    return router
}

/// Turns errors that never reached a handler (no such route, wrong method) into the
/// API's JSON error format.
/// On the kiosk socket a route that is not there is one kept for the admin socket.
struct JSONErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let surface: APISurface

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && surface == .kiosk {
            return APIError(.forbidden, "admin_only", "this route is not served on the kiosk socket").reply.response
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
    let router: Router<BasicRequestContext>
    let environment: APIEnvironment
    let recorder: RouteRecorder?

    typealias Handler = @Sendable (inout Request, BasicRequestContext) async throws -> APIReply

    func add(_ method: HTTPRequest.Method, _ path: RouterPath, _ handler: @escaping Handler) {
        recorder?.record(method, "\(path)")
        let environment = self.environment
        let route = "\(method.rawValue) \(path)"
        router.on(path, method: method) { request, context -> Response in
            var request = request
            let key = method == .get ? nil : request.headers[idempotencyKey]
            if let key, let earlier = try? environment.store.idempotentReply(key: key, route: route + " " + request.uri.path) {
                return APIReply(status: HTTPResponse.Status(code: earlier.status), body: earlier.body).response
            }
            let reply: APIReply
            do {
                reply = try await handler(&request, context)
            } catch {
                reply = APIError(from: error).reply
            }
            if method != .get {
                environment.logger.info(
                    "api \(route)",
                    metadata: ["path": "\(request.uri.path)", "status": "\(reply.status.code)", "surface": "\(environment.surfaceName)"])
            }
            if let key, reply.status.code < 500 {
                try? environment.store.storeIdempotentReply(
                    IdempotentReply(status: reply.status.code, body: reply.body), key: key, route: route + " " + request.uri.path,
                    at: environment.clock.now().wall)
            }
            return reply.response
        }
    }

}

extension APIEnvironment {
    func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> APIReply {
        APIReply.json(value, status: status, calendar: calendar)
    }
}
