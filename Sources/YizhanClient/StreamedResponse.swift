import Foundation
import YizhanSystem

/// A response whose head has been read and whose body is read as it arrives, so that an
/// answer of any length passes through without being held whole. It owns its connection.
public final class StreamedResponse {
    public let status: Int
    /// Names lower-cased.
    public let headers: [String: String]
    private let descriptor: FileDescriptor
    private var framing: Framing
    /// Bytes read past the head, not yet decoded.
    private var pending: ArraySlice<UInt8>

    /// How the body's end is known.
    private enum Framing {
        case chunked(ChunkedBody)
        case length(left: Int)
        /// The connection closing.
        case close
        case ended
    }

    /// A head that has not ended within this many bytes is not HTTP.
    static let longestHead = 64 * 1024

    private init(status: Int, headers: [String: String], framing: Framing, descriptor: FileDescriptor, pending: ArraySlice<UInt8>) {
        self.status = status
        self.headers = headers
        self.framing = framing
        self.descriptor = descriptor
        self.pending = pending
    }

    deinit {
        try? descriptor.close()
    }

    /// Reads a response's head from `descriptor`, which it then owns (and closes when it
    /// cannot read one); nil when the connection closed before its first byte.
    static func read(from descriptor: FileDescriptor) throws(UnixHTTPClient.Failure) -> StreamedResponse? {
        var response: StreamedResponse?
        defer { if response == nil { try? descriptor.close() } }
        var bytes: [UInt8] = []
        let separator: [UInt8] = [13, 10, 13, 10]
        while true {
            if let end = bytes.firstRange(of: separator) {
                let (status, headers) = try parseHead(bytes[..<end.lowerBound])
                response = StreamedResponse(
                    status: status, headers: headers, framing: try framing(headers), descriptor: descriptor,
                    pending: bytes[end.upperBound...])
                return response
            }
            guard bytes.count < longestHead else { throw .malformedResponse }
            guard let more = try receive(descriptor) else {
                if bytes.isEmpty { return nil }
                throw .cutShort
            }
            bytes += more
        }
    }

    /// The body's next bytes as they arrive; nil once it has ended. Throws `cutShort` when
    /// the connection closes before the body's end (a chunked body without its last chunk,
    /// fewer bytes than its length): an answer cut short is never taken for the whole.
    public func next() throws(UnixHTTPClient.Failure) -> [UInt8]? {
        try next(before: nil)
    }

    /// `next()`, waiting for bytes only until `deadline` (nil: as long as the connection's
    /// timeout): none by then is `[]`.
    public func next(before deadline: ContinuousClock.Instant?) throws(UnixHTTPClient.Failure) -> [UInt8]? {
        while true {
            if pending.isEmpty, !isEnded {
                if let deadline, !Kernel.waitUntilReadable(descriptor, before: deadline) { return [] }
                guard let more = try Self.receive(descriptor) else {
                    if case .close = framing {
                        framing = .ended
                        return nil
                    }
                    throw .cutShort
                }
                pending = more[...]
            }
            switch framing {
            case .ended:
                return nil
            case .close:
                defer { pending = [] }
                return Array(pending)
            case .length(let left):
                let taken = pending.prefix(left)
                pending = pending.dropFirst(taken.count)
                framing = left == taken.count ? .ended : .length(left: left - taken.count)
                if !taken.isEmpty { return Array(taken) }
            case .chunked(var body):
                var data: [UInt8] = []
                try body.decode(pending) { data += $0 }
                pending = []
                framing = body.isEnded ? .ended : .chunked(body)
                if !data.isEmpty { return data }
            }
        }
    }

    /// The whole response, body and all.
    func whole() throws(UnixHTTPClient.Failure) -> UnixHTTPClient.Response {
        var body: [UInt8] = []
        while let more = try next() { body += more }
        return UnixHTTPClient.Response(status: status, headers: headers, body: Data(body))
    }

    private var isEnded: Bool {
        if case .ended = framing { return true }
        return false
    }

    /// What one `read` brings; nil at the end of the connection.
    private static func receive(_ descriptor: FileDescriptor) throws(UnixHTTPClient.Failure) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count: Int
        do { count = try Kernel.read(descriptor, into: &buffer) } catch { throw .io("read", error) }
        return count == 0 ? nil : Array(buffer.prefix(count))
    }

    /// How the end of a body with these headers is known.
    private static func framing(_ headers: [String: String]) throws(UnixHTTPClient.Failure) -> Framing {
        if headers["transfer-encoding"]?.lowercased() == "chunked" { return .chunked(ChunkedBody()) }
        guard let length = headers["content-length"] else { return .close }
        guard let length = Int(length), length >= 0 else { throw .malformedResponse }
        return length == 0 ? .ended : .length(left: length)
    }

    /// The status and the headers (names lower-cased) of a response's head.
    private static func parseHead(_ bytes: ArraySlice<UInt8>) throws(UnixHTTPClient.Failure) -> (Int, [String: String]) {
        let head = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw .malformedResponse }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers)
    }
}
