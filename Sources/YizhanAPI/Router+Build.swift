import Foundation
import HTTPTypes
import Hummingbird
import YizhanCore
import YizhanStore

/// Builds the router for one socket. The executable and the tests use the same function.
public func buildRouter(environment: APIEnvironment, surface: APISurface) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.addMiddleware { JSONErrorMiddleware() }
    let routes = RouteTable(router: router, environment: environment)
    routes.addStationRoutes()
    if surface == .admin {
        routes.addVolunteerRoutes()
        routes.addPatrolAndHazardRoutes()
        routes.addRedemptionAndPrintRoutes()
        routes.addMaintenanceRoutes()
    }
    return router
}

/// Turns errors that never reached a handler (no such route, wrong method) into the
/// API's JSON error format.
struct JSONErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return APIError(from: error).reply.response
        }
    }
}

let idempotencyKey = HTTPField.Name("Idempotency-Key")!

/// Registers handlers that return an `APIReply`, with errors rendered as JSON and write
/// requests made idempotent by their `Idempotency-Key`.
struct RouteTable {
    let router: Router<BasicRequestContext>
    let environment: APIEnvironment

    typealias Handler = @Sendable (inout Request, BasicRequestContext) async throws -> APIReply

    func add(_ method: HTTPRequest.Method, _ path: RouterPath, _ handler: @escaping Handler) {
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
