import Foundation
import YizhanWire

/// The daemon's API, typed: an endpoint in, the reply it promises out, a refusal as the
/// API's own error.
public struct APIClient: Sendable {
    public let http: UnixHTTPClient
    /// Every time read so far, with the offset the station wrote it in.
    public let times = ReceivedTimes()

    public init(socketPath: String, timeout: Duration = .seconds(30)) {
        http = UnixHTTPClient(socketPath: socketPath, timeout: timeout)
    }

    /// Why a call got no reply.
    public enum Failure: Error, CustomStringConvertible {
        /// No HTTP answer: the daemon is not running, or the path is not its socket.
        case unreachable(UnixHTTPClient.Failure)
        /// The API refused the call, with its code (`not_found`) and message.
        case refused(status: Int, code: String, message: String)
        /// An answer that is not the reply the route promises.
        case malformedReply(String)

        public var description: String {
            switch self {
            case .unreachable(let failure): "\(failure)"
            case .refused(_, let code, let message): "\(code): \(message)"
            case .malformedReply(let why): "the daemon's answer was not understood: \(why)"
            }
        }
    }

    /// Calls `endpoint` and decodes its reply.
    public func call<Reply>(_ endpoint: Endpoint<Reply>, headers: [String: String] = [:]) throws(Failure) -> Reply {
        try decode(Reply.self, from: try send(endpoint, headers: headers))
    }

    /// Calls `endpoint` and returns the reply's JSON as the daemon wrote it.
    public func send<Reply>(_ endpoint: Endpoint<Reply>, headers: [String: String] = [:]) throws(Failure) -> Data {
        try send(endpoint.method, endpoint.path, body: endpoint.body, headers: headers).body
    }

    /// Sends a request as given and returns the answer when the API accepted it.
    public func send(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) throws(Failure)
        -> UnixHTTPClient.Response
    {
        let response = try open(method, path, body: body, headers: headers)
        do { return try response.whole() } catch { throw .unreachable(error) }
    }

    /// Sends a request as given and returns the answer, its body still to read as it
    /// arrives, when the API accepted it.
    public func open(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) throws(Failure)
        -> StreamedResponse
    {
        let response: StreamedResponse
        do { response = try http.open(method, path, body: body, headers: headers) } catch { throw .unreachable(error) }
        guard (200..<300).contains(response.status) else {
            let body = (try? response.whole().body) ?? Data()
            let refusal = try? WireCoding.decoder().decode(ErrorReply.self, from: body)
            throw .refused(
                status: response.status, code: refusal?.error.code ?? "\(response.status)",
                message: refusal?.error.message ?? String(decoding: body.prefix(200), as: UTF8.self))
        }
        return response
    }

    public func decode<Reply: Decodable>(_ type: Reply.Type, from body: Data) throws(Failure) -> Reply {
        do {
            return try WireCoding.decoder(times: times).decode(type, from: body)
        } catch {
            throw .malformedReply("\(error)")
        }
    }
}
