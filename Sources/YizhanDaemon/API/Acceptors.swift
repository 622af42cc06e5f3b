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
    private struct State {
        var open = 0
        /// The connections open on each acceptor's loop.
        var openOn: [Int]
        var turn = 0
        /// Each acceptor asked for connections and was told to wait.
        var waiting: [Bool]
        /// Asks each acceptor, on its loop, for connections again; nil once it has closed.
        var wakes: [(@Sendable () -> Void)?]
        /// When the log last said the socket was full.
        var lastSaid: NIODeadline?
    }

    private let limit: Int
    private let batch: Int
    private let logger: Logger
    private let state: Mutex<State>

    init(count: Int, limit: Int, logger: Logger) {
        self.limit = limit
        batch = max(16 / count, 1)
        self.logger = logger
        let none = Array(repeating: 0, count: count)
        state = Mutex(State(openOn: none, waiting: none.map { _ in false }, wakes: none.map { _ in nil }))
    }

    /// The handler for the server channel of acceptor `index`.
    func handler(_ index: Int) -> some ChannelHandler { AcceptorHandler(acceptors: self, index: index) }

    fileprivate func started(_ index: Int, wake: @escaping @Sendable () -> Void) {
        state.withLock { $0.wakes[index] = wake }
    }

    fileprivate func stopped(_ index: Int) {
        state.withLock { $0.wakes[index] = nil }
    }

    /// How many connections acceptor `index` may take now: none when it is not its turn or
    /// the socket is full, and then it is asked again when that changes.
    fileprivate func allowance(_ index: Int) -> Int {
        let (left, full) = state.withLock { state in
            let left = state.turn == index ? min(limit - state.open, batch) : 0
            state.waiting[index] = left <= 0
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
        state.withLock {
            $0.open += 1
            $0.openOn[index] += 1
        }
    }

    fileprivate func closed(on index: Int) {
        wakeTurn {
            $0.open -= 1
            $0.openOn[index] -= 1
        }
    }

    /// Hands the turn on to the next acceptor unless it has more connections in hand.
    fileprivate func batchTaken(by index: Int) {
        wakeTurn { state in
            let next = (index + 1) % state.openOn.count
            if state.openOn[next] <= state.openOn[index] { state.turn = next }
        }
    }

    /// Makes `change`, then asks the acceptor whose turn it is for connections if it waits
    /// and there is room.
    private func wakeTurn(after change: (inout State) -> Void) {
        let wake = state.withLock { state -> (@Sendable () -> Void)? in
            change(&state)
            guard state.waiting[state.turn], state.open < limit else { return nil }
            state.waiting[state.turn] = false
            return state.wakes[state.turn]
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
