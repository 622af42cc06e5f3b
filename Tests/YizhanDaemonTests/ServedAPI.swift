import Hummingbird
import Logging
import NIOCore
import NIOPosix
import SystemPackage
import YizhanSystem
import YizhanTestSupport

@testable import YizhanAPI
@testable import YizhanDaemon

/// The daemon's own `APIServer` on a Unix socket in a directory of its own, on one loop
/// unless asked for more, for tests of the server's pipeline. A test makes what it awaits
/// on `loop` (the first) before `start`, and ends with `stop()`; should it throw first, the
/// server is cancelled and the directory removed when this is let go.
final class ServedAPI {
    let loops: MultiThreadedEventLoopGroup
    let loop: any EventLoop
    let directory: TemporaryDirectory
    var path: String { directory.file("api.sock") }
    private var serving: Task<Void, Never>?

    init(loops count: Int = 1) throws {
        loops = MultiThreadedEventLoopGroup(numberOfThreads: count)
        loop = loops.next()
        directory = try TemporaryDirectory()
    }

    /// Serves `router` within `limits`, its reads held for the scans `scansFirst` is told of;
    /// returns once the socket listens.
    func start(_ router: Router<StationRequestContext>, limits: APIServer.Limits, scansFirst: ScansFirst = ScansFirst()) async throws {
        let running = loop.makePromise(of: Void.self)
        let server = APIServer(
            router: router, loops: loops, scansFirst: scansFirst, timeSlice: 0, path: path, limits: limits,
            onRunning: { running.succeed() }, logger: Logger(label: "test"))
        serving = Task {
            do { try await server.run() } catch { running.fail(error) }
        }
        try await running.futureResult.get()
    }

    /// A client connected to the socket, its reads and writes limited to 10 s.
    func connect() throws -> SystemPackage.FileDescriptor {
        try Kernel.connectUnix(path, timeout: .seconds(10))
    }

    /// Sends `method path` on `client`, asking that the connection end after its answer.
    static func ask(_ method: String, _ path: String, on client: SystemPackage.FileDescriptor) throws {
        try Kernel.writeAll(client, Array("\(method) \(path) HTTP/1.1\r\nHost: station\r\nConnection: close\r\n\r\n".utf8))
    }

    /// The answer's body on `client`, read to the connection's end; the client is closed.
    static func body(_ client: SystemPackage.FileDescriptor) throws -> String {
        defer { try? client.close() }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while case let count = try Kernel.read(client, into: &buffer), count > 0 { received += buffer[..<count] }
        return String(decoding: received, as: UTF8.self).components(separatedBy: "\r\n\r\n").last ?? ""
    }

    func stop() async throws {
        serving?.cancel()
        await serving?.value
        serving = nil
        try await loops.shutdownGracefully()
    }

    deinit {
        serving?.cancel()
        directory.remove()
    }
}
