import Foundation
import YizhanSystem

/// A small HTTP/1.1 client for the daemon's Unix sockets: one request per connection,
/// blocking, with a timeout. Enough for `yizhanctl` and the tests; it is not a general
/// HTTP client.
public struct UnixHTTPClient: Sendable {
    public let socketPath: String
    public var timeout: Duration

    public init(socketPath: String, timeout: Duration = .seconds(30)) {
        self.socketPath = socketPath
        self.timeout = timeout
    }

    /// A response: status, lower-cased headers, body.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: Data

        public init(status: Int, headers: [String: String], body: Data) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        /// The body as a JSON object, or nil.
        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        }
    }

    /// Why a request got no HTTP response.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case connect(String, Errno)
        case io(String, Errno)
        case malformedResponse
        /// The connection ended before the answer did: the daemon stopped or failed part way.
        case cutShort

        public var description: String {
            switch self {
            case .connect(let path, let code): "cannot connect to \(path): \(code)"
            case .io(let call, let code): "\(call): \(code)"
            case .malformedResponse: "the daemon's answer was not HTTP"
            case .cutShort: "the daemon's answer broke off before its end"
            }
        }
    }

    /// Sends one request and reads the whole response.
    public func send(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) throws(Failure)
        -> Response
    {
        try open(method, path, body: body, headers: headers).whole()
    }

    /// Sends one request and reads the response's head; its body is read as it arrives
    /// (`StreamedResponse.next`), for an answer too long to hold (an export).
    public func open(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) throws(Failure)
        -> StreamedResponse
    {
        let descriptor = try connect()
        var head = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body {
            head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        } else if method != "GET" && method != "DELETE" {
            head += "Content-Length: 0\r\n"
        }
        head += "\r\n"
        do { try writeAll(descriptor, Array(head.utf8) + Array(body ?? Data())) } catch {
            try? descriptor.close()
            throw error
        }
        guard let response = try StreamedResponse.read(from: descriptor) else { throw .cutShort }
        return response
    }

    /// Sends bytes as they are, then reads whatever comes back: the response, or nil when
    /// the daemon closed the connection without one (for tests with malformed requests).
    public func sendRaw(_ bytes: [UInt8]) throws -> Response? {
        let descriptor = try connect()
        // The daemon may answer and close before reading all of a bad request.
        do { try writeAll(descriptor, bytes) } catch {
            guard case .io(_, let code) = error, code == .brokenPipe || code == .connectionReset else {
                try? descriptor.close()
                throw error
            }
        }
        Kernel.shutdownWriting(descriptor)
        do {
            guard let response = try StreamedResponse.read(from: descriptor) else { return nil }
            return try response.whole()
        } catch {
            if case .io = error { return nil }  // reset before or while answering: no response
            throw error
        }
    }

    /// Sends a JSON-encodable dictionary, its keys sorted: a dictionary's order differs from
    /// one instance to the next, and a retry under an Idempotency-Key must send the same bytes.
    public func send(_ method: String, _ path: String, json: [String: Any], headers: [String: String] = [:]) throws -> Response {
        try send(method, path, body: try JSONSerialization.data(withJSONObject: json, options: .sortedKeys), headers: headers)
    }

    /// A new connection to the socket, with this client's timeouts on its reads and writes.
    public func connect() throws(Failure) -> FileDescriptor {
        do { return try Kernel.connectUnix(socketPath, timeout: timeout) } catch { throw .connect(socketPath, error) }
    }

    private func writeAll(_ descriptor: FileDescriptor, _ bytes: [UInt8]) throws(Failure) {
        do { try Kernel.writeAll(descriptor, bytes) } catch { throw .io("write", error) }
    }
}
