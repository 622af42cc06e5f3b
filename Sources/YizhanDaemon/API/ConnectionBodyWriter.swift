import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1

/// Writes an answer to its connection as HTTP/1.1 bytes. An answer of known length was
/// made whole by its route: its head and body go out in one write, at the end. A streamed
/// answer (the event stream) goes out chunked, its head at once and each part as it comes;
/// once NIO reports the connection unwritable a write waits for its part to go, so that a
/// client that stops reading holds no more than NIO's write buffer of it
/// (`StalledClientHandler` closes its connection in the end), and a write on a connection
/// that has closed throws, which ends the stream's task.
struct ConnectionBodyWriter: ResponseBodyWriter {
    /// How the answer is framed, from the request it answers.
    struct Framing {
        let version: HTTPVersion
        let keepAlive: Bool
        /// A `HEAD` request: the head only.
        let head: Bool
    }

    let channel: any Channel
    let streamed: Bool
    /// Chunks for a streamed answer; an HTTP/1.0 client reads the stream to the
    /// connection's end instead.
    let chunked: Bool
    let withoutBody: Bool
    let closes: Bool
    /// What is not written yet: the head and the body of an answer of known length.
    private var pending: ByteBuffer

    init(channel: any Channel, response: HTTPResponse, contentLength: Int?, framing: Framing) {
        self.channel = channel
        streamed = contentLength == nil
        withoutBody = framing.head
        chunked = streamed && !withoutBody && framing.version != .http1_0
        closes = !framing.keepAlive || (streamed && !chunked && !withoutBody) || response.headerFields[.connection]?.lowercased() == "close"
        pending = channel.allocator.buffer(capacity: 256 + (withoutBody ? 0 : contentLength ?? 0))
        Self.writeHead(response, chunked: chunked, closes: closes, into: &pending)
        if streamed {
            channel.writeAndFlush(ResponseBytes(bytes: pending), promise: nil)
            pending.clear()
        }
    }

    mutating func write(_ buffer: ByteBuffer) async throws {
        guard !withoutBody, buffer.readableBytes > 0 else { return }
        guard streamed else {
            pending.writeImmutableBuffer(buffer)
            return
        }
        guard channel.isActive else { throw ChannelError.ioOnClosedChannel }
        var part = buffer
        if chunked {
            part = channel.allocator.buffer(capacity: buffer.readableBytes + 12)
            part.writeString(String(buffer.readableBytes, radix: 16))
            part.writeStaticString("\r\n")
            part.writeImmutableBuffer(buffer)
            part.writeStaticString("\r\n")
        }
        let written = channel.eventLoop.makePromise(of: Void.self)
        channel.writeAndFlush(ResponseBytes(bytes: part), promise: written)
        if !channel.isWritable { try await written.futureResult.get() }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        if chunked { pending.writeStaticString("0\r\n\r\n") }
        channel.writeAndFlush(ResponseBytes(bytes: pending, ends: true, closes: closes), promise: nil)
    }

    /// The status line and the fields, with the framing the body needs: `Content-Length`
    /// is the route's (Hummingbird sets it for a body of known length).
    static func writeHead(_ response: HTTPResponse, chunked: Bool, closes: Bool, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("HTTP/1.1 ")
        buffer.writeString(String(response.status.code))
        buffer.writeStaticString(" ")
        buffer.writeString(response.status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        for field in response.headerFields where field.name != .connection {
            buffer.writeString(field.name.rawName)
            buffer.writeStaticString(": ")
            buffer.writeString(field.value)
            buffer.writeStaticString("\r\n")
        }
        if chunked { buffer.writeStaticString("transfer-encoding: chunked\r\n") }
        if closes { buffer.writeStaticString("connection: close\r\n") }
        buffer.writeStaticString("\r\n")
    }
}
