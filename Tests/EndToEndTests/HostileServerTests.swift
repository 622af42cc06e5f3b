import Foundation
import Testing
import YizhanTestSupport

/// `yizhanctl` against a socket that answers with broken chunked bodies (a negative size, a
/// size past the end, an empty size line, a size too large for any reply, a body without
/// its last chunk): a clear error and exit status 2, never a trap.
@Suite struct HostileServerTests {
    /// One reply, served once by Python on a Unix socket, to whatever asks.
    static let server = """
        import socket, sys
        s = socket.socket(socket.AF_UNIX)
        s.bind(sys.argv[1])
        s.listen(1)
        c, _ = s.accept()
        c.recv(65536)
        c.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n" + sys.argv[2].encode())
        c.close()
        """

    @Test(arguments: ["-5\r\nabc\r\n0\r\n\r\n", "ff\r\n{}\r\n0\r\n\r\n", "\r\n{}\r\n", "7fffffffffffffff\r\n{}\r\n0\r\n\r\n"])
    func aBrokenChunkedReplyIsAnErrorNotACrash(body: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let run = try Self.yizhanctl(["status"], answered: body, in: directory)
        #expect(run.status == 2 && run.errors.contains("yizhanctl:"), "\(run.status) \(run.errors)")
    }

    /// An export that the daemon broke off (its store failed between two parts) arrives
    /// without its last chunk: an error, and no file, never a file cut short.
    @Test func anExportCutShortIsAnErrorNotAFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let output = directory.file("ledger.csv")
        let run = try Self.yizhanctl(["export", "ledger", "-o", output], answered: "9\r\nid,delta\n\r\n", in: directory)
        #expect(run.status == 2 && run.errors.contains("yizhanctl:"), "\(run.status) \(run.errors)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    /// `yizhanctl` with `arguments`, against a socket in `directory` that answers with a
    /// chunked `body`.
    static func yizhanctl(_ arguments: [String], answered body: String, in directory: TemporaryDirectory) throws -> Command {
        let socket = directory.file("hostile.sock")
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        python.arguments = ["-c", Self.server, socket, body]
        try python.run()
        defer { python.terminate() }
        let deadline = ContinuousClock.now + .seconds(10)
        while !FileManager.default.fileExists(atPath: socket) && ContinuousClock.now < deadline { usleep(10_000) }
        return try Command.run(Command.product("yizhanctl"), ["--socket", socket] + arguments)
    }
}
