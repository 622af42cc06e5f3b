import Logging
import NIOCore
import Synchronization

/// The server channels that accept one listening socket's connections, one on each of the
/// socket's loops, and the socket's connection limit.
///
/// Each loop accepts for itself, so that a connection lives on the loop that took it.
/// NIO's one server channel handing its children round a group costs each connection sent
/// to another loop two hops between threads, and two loops served no more connections a
/// second than one (docs/benchmarks.md). The loops take turns: only the one whose turn it
/// is asks for connections, and once it has taken a batch it hands the turn on, unless the
/// next loop has more connections in hand, and so more work waiting (handing on always
/// served 5 % fewer connections a second). Waiting on the socket together would be
/// quicker, but a connection wakes every loop that waits on it and only one gets it: NIO's
/// server channel holds that a wake-up finds a connection, and a debug build stops on that.
///
/// A turn takes at most `batch` clients, sixteen shared between the loops: NIO's default
/// is four, and sixteen gives 8-15 % more connections a second on one loop; on two, the
/// clients that connect together are split between them. At the connection limit no loop
/// accepts, so further clients wait in the kernel's listen backlog and cost the daemon no
/// descriptor, and the loop whose turn it is accepts again as connections close. A batch
/// is cut to the connections left before the loop is asked to accept: a check made only
/// before each wake-up, as Hummingbird's handler makes it, lets the limit be passed by a
/// batch less one.
///
/// A socket at its limit is said in the log, at most once a minute: a screen that cannot
/// connect to a kiosk socket someone has filled is otherwise a mystery to the technician.
final class Acceptors: Sendable {
    /// One server channel, as the others see it.
    private struct Acceptor {
        /// The connections open on its loop.
        var open = 0
        /// It asked for connections and was told to wait.
        var waiting = false
        /// Asks it, on its loop, for connections again; nil once it has closed.
        var wake: (@Sendable () -> Void)?
    }

    private struct State {
        var acceptors: [Acceptor]
        var turn = 0
        /// When the log last said the socket was full.
        var lastSaid: NIODeadline?

        /// The socket's connections, on every loop.
        var open: Int { acceptors.reduce(0) { $0 + $1.open } }
    }

    private let limit: Int
    private let batch: Int
    private let logger: Logger
    private let state: Mutex<State>

    init(count: Int, limit: Int, logger: Logger) {
        self.limit = limit
        batch = max(16 / count, 1)
        self.logger = logger
        state = Mutex(State(acceptors: Array(repeating: Acceptor(), count: count)))
    }

    /// The handler for the server channel of acceptor `index`.
    func handler(_ index: Int) -> some ChannelHandler { AcceptorHandler(acceptors: self, index: index) }

    fileprivate func started(_ index: Int, wake: @escaping @Sendable () -> Void) {
        state.withLock { $0.acceptors[index].wake = wake }
    }

    fileprivate func stopped(_ index: Int) {
        state.withLock { $0.acceptors[index].wake = nil }
    }

    /// How many connections acceptor `index` may take now: none when it is not its turn or
    /// the socket is full, and then it is asked again when that changes.
    fileprivate func allowance(_ index: Int) -> Int {
        let (left, full) = state.withLock { state in
            let left = state.turn == index ? min(limit - state.open, batch) : 0
            state.acceptors[index].waiting = left <= 0
            guard state.turn == index, left <= 0 else { return (left, false) }
            let now = NIODeadline.now()
            if let lastSaid = state.lastSaid, now - lastSaid < .minutes(1) { return (left, false) }
            state.lastSaid = now
            return (left, true)
        }
        if full { logger.warning("socket at its connection limit; new clients wait", metadata: ["limit": "\(limit)"]) }
        return max(left, 0)
    }

    fileprivate func opened(on index: Int) {
        state.withLock { $0.acceptors[index].open += 1 }
    }

    fileprivate func closed(on index: Int) {
        wakeTurn { $0.acceptors[index].open -= 1 }
    }

    /// Hands the turn on to the next acceptor unless it has more connections in hand.
    fileprivate func batchTaken(by index: Int) {
        wakeTurn { state in
            let next = (index + 1) % state.acceptors.count
            if state.acceptors[next].open <= state.acceptors[index].open { state.turn = next }
        }
    }

    /// Makes `change`, then asks the acceptor whose turn it is for connections if it waits
    /// and there is room.
    private func wakeTurn(after change: (inout State) -> Void) {
        let wake = state.withLock { state -> (@Sendable () -> Void)? in
            change(&state)
            guard state.acceptors[state.turn].waiting, state.open < limit else { return nil }
            state.acceptors[state.turn].waiting = false
            return state.acceptors[state.turn].wake
        }
        wake?()
    }
}

/// One server channel's part of `Acceptors`: it asks for connections only when they say
/// so, counts the connections it takes, and ends its turn after each batch.
private final class AcceptorHandler: ChannelDuplexHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    typealias OutboundIn = Never
    typealias OutboundOut = Never

    private let acceptors: Acceptors
    private let index: Int
    /// The most connections the channel takes a wake-up, as last set: NIO finds the option
    /// being set by a string of dynamic casts.
    private var batch: UInt = 0

    init(acceptors: Acceptors, index: Int) {
        self.acceptors = acceptors
        self.index = index
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let loop = context.eventLoop
        acceptors.started(index) {
            loop.execute { bound.value.handler.read(context: bound.value.context) }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        acceptors.stopped(index)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        acceptors.opened(on: index)
        unwrapInboundIn(data).closeFuture.whenComplete { [acceptors, index] _ in acceptors.closed(on: index) }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        acceptors.batchTaken(by: index)
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        let left = acceptors.allowance(index)
        guard left > 0 else { return }
        if batch != UInt(left) {
            batch = UInt(left)
            try? context.channel.syncOptions?.setOption(ChannelOptions.maxMessagesPerRead, value: batch)
        }
        context.read()
    }
}
