import Foundation
import Hummingbird
import Logging
import YizhanTestSupport

/// Hummingbird at its own speed, the API part's second baseline: an `Application` with a
/// route for each of the daemon's answers that returns the answer's bytes as they are,
/// on a Unix socket. Between it and nginx is what the framework costs; between it and
/// `yizhand` is what the daemon adds. Runs as a process of its own, as nginx does
/// (`yizhan-bench serve SOCKET FILE…`), so that it does not share the bench's threads.
final class BareHummingbird {
    let socket: String
    private let process = Process()

    /// Serves each of `files` at `/` and its name.
    init(socket: String, files: [String]) throws {
        self.socket = socket
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["serve", socket] + files
        try process.run()
        let deadline = ContinuousClock.now + .seconds(10)
        while !FileManager.default.fileExists(atPath: socket) && ContinuousClock.now < deadline { usleep(10_000) }
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
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
