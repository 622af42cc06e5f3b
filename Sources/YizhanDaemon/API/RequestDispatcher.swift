import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTPTypes

/// The last handler of a connection's pipeline: hands each request, once read whole, to
/// the router in a task of its own on the connection's event loop, and writes the answer.
///
/// Hummingbird's own server wraps every connection in an async channel and a task that
/// reads it; setting those up and tearing them down cost more than a station's answer, and
/// held a client that connects for each request to a quarter of what a static file server
/// answers. Here the connection is plain NIO (the parser, pipelining, idle timeout and
/// quiescing are NIO's and Hummingbird's handlers) and only a request is a task: about
/// half of what the file server answers (docs/benchmarks.md).
///
/// A body is kept up to one byte over `bodyLimit`, whatever more is sent: enough for a
/// route that reads it to refuse it as too large.
///
/// A connection's last answer is given `lingering` to go before the connection is closed
/// anyway. An event stream cut for falling behind ends with fewer unsent bytes than make
/// NIO call the connection unwritable, so `StalledClientHandler` never starts its clock;
/// if its client has stopped reading, the end waits behind a full kernel buffer and,
/// without this, the connection would be held until the idle timeout.
final class RequestDispatcher: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart
    typealias Respond = @Sendable (Request, any Channel) async -> Response

    private let respond: Respond
    private let executor: any TaskExecutor
    private let bodyLimit: Int
    private let lingering: TimeAmount

    private var head: HTTPRequest?
    private var body = ByteBuffer()
    /// A request is with its task and its response has not ended. Pipelined requests wait
    /// in NIO's pipelining handler until it has.
    private var responding = false
    /// The client or the response asked for this (`Connection: close`), or the client has
    /// shut its side.
    private var closeAfterResponse = false
    /// The last response is on its way: whatever else the client sent is not answered.
    private var closing = false

    init(executor: any TaskExecutor, bodyLimit: Int, lingering: TimeAmount, respond: @escaping Respond) {
        self.executor = executor
        self.bodyLimit = bodyLimit
        self.lingering = lingering
        self.respond = respond
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(let part):
            let room = bodyLimit + 1 - body.readableBytes
            if body.readableBytes == 0, part.readableBytes <= room {
                body = part
            } else if room > 0, let kept = part.getSlice(at: part.readerIndex, length: min(room, part.readableBytes)) {
                body.writeImmutableBuffer(kept)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            responding = true
            if head.headerFields[.connection]?.lowercased() == "close" { closeAfterResponse = true }
            let request = Request(head: head, body: RequestBody(buffer: body))
            body = ByteBuffer()
            let channel = context.channel
            let respond = self.respond
            Task(executorPreference: executor) {
                let response = await respond(request, channel)
                // A streamed body may be a while coming (the event stream): its head goes now.
                let streamed = response.body.contentLength == nil
                if streamed {
                    channel.writeAndFlush(HTTPResponsePart.head(response.head), promise: nil)
                } else {
                    channel.write(HTTPResponsePart.head(response.head), promise: nil)
                }
                do {
                    try await response.body.write(ConnectionBodyWriter(channel: channel, streamed: streamed))
                } catch {
                    channel.close(promise: nil)
                }
            }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        // A response may end its connection too (the event stream does).
        if case .head(let head) = part, head.headerFields[.connection]?.lowercased() == "close" { closeAfterResponse = true }
        guard case .end = part else {
            context.write(data, promise: promise)
            return
        }
        responding = false
        guard closeAfterResponse else {
            context.write(data, promise: promise)
            return
        }
        closing = true
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let overdue = context.eventLoop.scheduleTask(in: lingering) { bound.value.close(promise: nil) }
        let written = context.write(data)
        written.whenComplete { _ in
            overdue.cancel()
            bound.value.close(promise: nil)
        }
        written.cascade(to: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case ChannelEvent.inputClosed = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // The client has sent all it will (a technician's `socat` does this): what it asked
        // is answered first.
        if responding {
            closeAfterResponse = true
        } else {
            context.close(promise: nil)
        }
    }

    /// A request NIO could not parse has been answered 400 by its protocol error handler;
    /// one HTTP types refuse, or a failed write, ends the connection.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Writes a response's body to its connection. A body of known length was made whole by
/// its route: its parts go out with the end in one flush. A streamed body (the event
/// stream) is flushed part by part; once NIO reports the connection unwritable a write
/// waits for its part to go, so that a client that stops reading holds no more than NIO's
/// write buffer of it (`StalledClientHandler` closes its connection in the end), and a
/// write on a connection that has closed throws, which ends the stream's task.
struct ConnectionBodyWriter: ResponseBodyWriter {
    let channel: any Channel
    let streamed: Bool

    mutating func write(_ buffer: ByteBuffer) async throws {
        guard streamed else {
            channel.write(HTTPResponsePart.body(buffer), promise: nil)
            return
        }
        guard channel.isActive else { throw ChannelError.ioOnClosedChannel }
        let written = channel.eventLoop.makePromise(of: Void.self)
        channel.writeAndFlush(HTTPResponsePart.body(buffer), promise: written)
        if !channel.isWritable { try await written.futureResult.get() }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        channel.writeAndFlush(HTTPResponsePart.end(trailingHeaders), promise: nil)
    }
}
