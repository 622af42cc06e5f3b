import Foundation
import Hummingbird
import Logging

/// Hummingbird at its own speed, the API part's second baseline: an `Application` with a
/// route for each of the daemon's answers that returns the answer's bytes as they are,
/// on a Unix socket. Between it and nginx is what the framework costs; between it and
/// `yizhand` is what the daemon adds. Runs as a process of its own, as nginx does
/// (`yizhan-bench serve SOCKET FILE…`), so that it does not share the bench's threads.
enum BareHummingbird {
    /// Serves each of `files` at `/` and its name.
    static func start(socket: String, files: [String]) throws -> SocketServer {
        try SocketServer(CommandLine.arguments[0], ["serve", socket] + files, socket: socket)
    }

    /// The server itself, in the child process: runs until `SIGTERM`.
    static func serve(socket: String, files: [String]) async throws {
        let router = Router()
        for file in files {
            let body = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: file)))
            router.get(RouterPath("/" + URL(fileURLWithPath: file).lastPathComponent)) { _, _ in
                Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: body))
            }
        }
        var logger = Logger(label: "hummingbird")
        logger.logLevel = .warning
        let app = Application(
            router: router, configuration: ApplicationConfiguration(address: .unixDomainSocket(path: socket)), logger: logger)
        try await app.runService()
    }
}
