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
    public enum Failure: Error, CustomStringConvertible {
        case connect(String, Errno)
        case io(String, Errno)
        case malformedResponse

        public var description: String {
            switch self {
            case .connect(let path, let code): "cannot connect to \(path): \(code)"
            case .io(let call, let code): "\(call): \(code)"
            case .malformedResponse: "the daemon's answer was not HTTP"
            }
        }
    }

    /// Sends one request and reads the whole response.
    public func send(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) throws -> Response {
        let descriptor = try connect()
        defer { try? descriptor.close() }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body {
            head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        } else if method != "GET" && method != "DELETE" {
            head += "Content-Length: 0\r\n"
        }
        head += "\r\n"
        try writeAll(descriptor, Array(head.utf8) + Array(body ?? Data()))
        return try parse(try readAll(descriptor))
    }

    /// Sends bytes as they are, then reads whatever comes back: the response, or nil when
    /// the daemon closed the connection without one (for tests with malformed requests).
    public func sendRaw(_ bytes: [UInt8]) throws -> Response? {
        let descriptor = try connect()
        defer { try? descriptor.close() }
        // The daemon may answer and close before reading all of a bad request.
        do { try writeAll(descriptor, bytes) } catch {
            guard case .io(_, let code) = error, code == .brokenPipe || code == .connectionReset else { throw error }
        }
        Kernel.shutdownWriting(descriptor)
        let answer = (try? readAll(descriptor)) ?? []
        return answer.isEmpty ? nil : try parse(answer)
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

    func writeAll(_ descriptor: FileDescriptor, _ bytes: [UInt8]) throws(Failure) {
        do { try Kernel.writeAll(descriptor, bytes) } catch { throw .io("write", error) }
    }

    private func readAll(_ descriptor: FileDescriptor) throws(Failure) -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count: Int
            do { count = try Kernel.read(descriptor, into: &buffer) } catch { throw .io("read", error) }
            if count == 0 { return data }
            data += buffer.prefix(count)
        }
    }

    private func parse(_ bytes: [UInt8]) throws -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) else { throw Failure.malformedResponse }
        let head = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure.malformedResponse }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(bytes[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            body = try dechunk(body)
        }
        return Response(status: status, headers: headers, body: Data(body))
    }

    /// A chunked body's bytes. One without its last, empty chunk was cut short (the server
    /// failed in the middle of a streamed answer, an export): it is malformed, never taken
    /// for the whole.
    private func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard let lineEnd = bytes[index...].indices.first(where: { bytes[$0] == 13 }),
                let size = Self.chunkSize(bytes[index..<lineEnd])
            else { throw Failure.malformedResponse }
            if size == 0 { return output }
            let start = lineEnd + 2
            guard size <= bytes.count - start else { throw Failure.malformedResponse }
            output += bytes[start..<(start + size)]
            index = start + size + 2
        }
        throw Failure.malformedResponse
    }

    /// The size on a chunk's first line (hex digits, then optional `;extensions`); nil for
    /// anything else, a sign or more than 8 digits included, so no server can make a
    /// client index outside what it received.
    static func chunkSize(_ line: some Collection<UInt8>) -> Int? {
        let digits = line.prefix { $0 != UInt8(ascii: ";") }
        guard (1...8).contains(digits.count), digits.allSatisfy({ $0 < 0x80 && Character(UnicodeScalar($0)).isHexDigit }) else {
            return nil
        }
        return Int(String(decoding: digits, as: UTF8.self), radix: 16)
    }
}
