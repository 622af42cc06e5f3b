import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// The HTTP/1 end of a connection, after NIO's parser: hands each request, once read
/// whole, to the router in a task of its own on the connection's event loop, and writes
/// each answer as the bytes that go on the wire.
///
/// Hummingbird's own server wraps every connection in an async channel and a task that
/// reads it; setting those up and tearing them down cost more than a station's answer.
/// NIO's own HTTP/1 handlers behind the parser cost the next share: an answer went out as
/// three writes (head, body, end) through six outbound handlers, each converting or
/// checking it, 42 % of a loaded loop's time (docs/benchmarks.md). Here an answer is
/// encoded once by its task (`ConnectionBodyWriter`) and written once, and what those
/// handlers did for a server is done here:
/// - requests a client writes without waiting for answers are answered in order, one at a
///   time, and the connection is not read while any wait;
/// - a request the parser cannot read is answered 400, after the answers owed before it,
///   and the connection closed;
/// - `Connection: close`, or HTTP/1.0 without keep-alive, is answered, then the connection
///   closed; a client that shuts its side is answered what it asked first;
/// - a connection with no answer in progress is closed after the idle time, or at once
///   when the server stops; one with an answer in progress after it.
///
/// A read waits to be answered while a scan is in hand (`ScansFirst`).
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
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ResponseBytes
    typealias OutboundOut = ByteBuffer
    typealias Respond = @Sendable (Request, any Channel) async -> Response

    /// A request read whole, waiting for the answers before it.
    private struct Waiting {
        let request: Request
        let version: HTTPVersion
        let keepAlive: Bool
    }

    private let respond: Respond
    private let executor: any TaskExecutor
    private let scansFirst: ScansFirst
    private let bodyLimit: Int
    private let lingering: TimeAmount
    private let idle: TimeAmount

    /// The request being read.
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var waiting = CircularBuffer<Waiting>()
    /// A request is with its task and its answer has not ended.
    private var responding = false
    /// No request read from now on is answered: the connection ends after those read.
    private var endsAfterWaiting = false
    /// What followed the requests read could not be parsed: it is answered 400 after them.
    private var refused = false
    /// The last bytes are on their way: nothing more is read or written.
    private var closing = false
    /// NIO asked to read while requests waited: it reads once the last of them is taken.
    private var readHeld = false
    /// When the connection last finished an answer or read part of a request.
    private var lastActive = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?
    /// The next request is a read held for a scan: when to look again.
    private var held: Scheduled<Void>?

    init(
        executor: any TaskExecutor, scansFirst: ScansFirst, bodyLimit: Int, lingering: TimeAmount, idle: Duration,
        respond: @escaping Respond
    ) {
        self.executor = executor
        self.scansFirst = scansFirst
        self.bodyLimit = bodyLimit
        self.lingering = lingering
        self.idle = TimeAmount(idle)
        self.respond = respond
    }

    func handlerAdded(context: ChannelHandlerContext) {
        checkIdle(context: context, at: .now() + idle)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        held?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing, !refused else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard !endsAfterWaiting else { return }
            self.head = head
            lastActive = .now()
        case .body(let part):
            guard head != nil else { return }
            lastActive = .now()
            let room = bodyLimit + 1 - body.readableBytes
            if body.readableBytes == 0, part.readableBytes <= room {
                body = part
            } else if room > 0, let kept = part.getSlice(at: part.readerIndex, length: min(room, part.readableBytes)) {
                body.writeImmutableBuffer(kept)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let body = self.body
            self.body = ByteBuffer()
            guard let converted = try? HTTPRequest(head, secure: false, splitCookie: false) else {
                // A method or target HTTP types refuse: as unreadable as a parser error.
                refuse(context: context)
                return
            }
            if !head.isKeepAlive { endsAfterWaiting = true }
            let request = Request(head: converted, body: RequestBody(buffer: body))
            waiting.append(Waiting(request: request, version: head.version, keepAlive: head.isKeepAlive))
            answerNext(context: context)
        }
    }

    /// Reading stops only while a request read whole waits for the one being answered: a
    /// client that waits for each answer is read throughout, and NIO keeps the socket in
    /// its `epoll` set instead of taking it out and putting it back for every request.
    func read(context: ChannelHandlerContext) {
        if waiting.isEmpty {
            context.read()
        } else {
            readHeld = true
        }
    }

    /// Hands the next request waiting to its task (reading on if it was the last), or
    /// with none ends the connection if it is to end.
    private func answerNext(context: ChannelHandlerContext) {
        guard !responding, !closing, held == nil else { return }
        if let method = waiting.first?.request.method, method == .get || method == .head, let wait = scansFirst.readsWait {
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            held = context.eventLoop.scheduleTask(in: .nanoseconds(Int64(min(wait, ScansFirst.recheck)))) {
                let (dispatcher, context) = bound.value
                dispatcher.held = nil
                dispatcher.answerNext(context: context)
            }
            return
        }
        guard let next = waiting.popFirst() else {
            if refused {
                writeLast(Self.badRequest, context: context, promise: nil)
            } else if endsAfterWaiting {
                context.close(promise: nil)
            }
            return
        }
        if waiting.isEmpty, readHeld {
            readHeld = false
            context.read()
        }
        responding = true
        let channel = context.channel
        let respond = self.respond
        Task(executorPreference: executor) {
            let response = await respond(next.request, channel)
            let writer = ConnectionBodyWriter(
                channel: channel, response: response.head, contentLength: response.body.contentLength,
                framing: .init(version: next.version, keepAlive: next.keepAlive, head: next.request.method == .head))
            do {
                try await response.body.write(writer)
            } catch {
                channel.close(promise: nil)
            }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        guard part.ends else {
            context.writeAndFlush(wrapOutboundOut(part.bytes), promise: promise)
            return
        }
        responding = false
        lastActive = .now()
        if idleCheck == nil { checkIdle(context: context, at: lastActive + idle) }
        // An answer may end its connection too (the event stream's does).
        if part.closes {
            endsAfterWaiting = true
            waiting.removeAll()
        }
        guard waiting.isEmpty, endsAfterWaiting || refused else {
            context.writeAndFlush(wrapOutboundOut(part.bytes), promise: promise)
            answerNext(context: context)
            return
        }
        var last = part.bytes
        if refused { last.writeImmutableBuffer(Self.badRequest) }
        writeLast(last, context: context, promise: promise)
    }

    /// Writes the connection's last bytes and closes it once they have gone, or after
    /// `lingering` if they have not.
    private func writeLast(_ bytes: ByteBuffer, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        closing = true
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let overdue = context.eventLoop.scheduleTask(in: lingering) { bound.value.close(promise: nil) }
        let written = context.writeAndFlush(wrapOutboundOut(bytes))
        written.whenComplete { _ in
            overdue.cancel()
            bound.value.close(promise: nil)
        }
        written.cascade(to: promise)
    }

    /// The parser gave up on what the client sent: the requests read before it are
    /// answered, then this, then the connection ends.
    private func refuse(context: ChannelHandlerContext) {
        head = nil
        body = ByteBuffer()
        refused = true
        answerNext(context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case ChannelEvent.inputClosed:
            // The client has sent all it will (a technician's `socat` does this): what it
            // asked is answered first.
            endsAfterWaiting = true
            head = nil
            answerNext(context: context)
        case is ChannelShouldQuiesceEvent:
            // The server is stopping: the answer in progress, if any, is the last; a
            // request not yet read whole is not answered.
            endsAfterWaiting = true
            waiting.removeAll()
            head = nil
            answerNext(context: context)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// A request NIO could not parse is refused; any other error (a failed read or write)
    /// ends the connection.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case is HTTPParserError where endsAfterWaiting:
            // The parser refuses anything after a request that ended its connection
            // (`Connection: close`); it is not read, so nothing in it is refused.
            break
        case is HTTPParserError:
            refuse(context: context)
        case ByteToMessageDecoderError.dataReceivedInErrorState:
            // More bytes after the parser's error, which was dealt with above.
            break
        default:
            context.close(promise: nil)
        }
    }

    /// Closes the connection once it has been idle for `idle`: nothing of a request read,
    /// no answer in progress. A request that stops half-way is idle too. The check looks
    /// when that would be, rather than a timer being set for each request; it finds an
    /// answer in progress (a screen's event stream, for hours) and is set again only when
    /// that answer ends, so that an open stream costs the board no wake-ups.
    private func checkIdle(context: ChannelHandlerContext, at deadline: NIODeadline) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleCheck = context.eventLoop.scheduleTask(deadline: deadline) {
            let (dispatcher, context) = bound.value
            dispatcher.idleCheck = nil
            let due = dispatcher.lastActive + dispatcher.idle
            if dispatcher.responding || !dispatcher.waiting.isEmpty {
                return
            } else if due > .now() {
                dispatcher.checkIdle(context: context, at: due)
            } else {
                context.close(promise: nil)
            }
        }
    }

    /// The answer to a request that could not be read, in the API's error format.
    static let badRequest: ByteBuffer = {
        let body = #"{"error":{"code":"http_error","message":"the request could not be read as HTTP/1.1"}}"#
        return ByteBuffer(
            string: "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n"
                + "connection: close\r\n\r\n" + body)
    }()
}

/// Bytes of an answer, as its task hands them to the connection.
struct ResponseBytes: Sendable {
    var bytes: ByteBuffer
    /// The answer is complete with these.
    var ends = false
    /// The answer said `Connection: close`: the connection ends with it.
    var closes = false
}
