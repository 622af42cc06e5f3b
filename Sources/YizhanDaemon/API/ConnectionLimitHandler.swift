import Logging
import NIOCore

/// A listening socket's connection limit: at the limit the server stops accepting, so
/// further clients wait in the kernel's listen backlog and cost the daemon no descriptor,
/// and it accepts again as its connections close.
///
/// Clients that connect together are accepted in one wake-up of the loop, up to `batch`
/// of them (NIO's default is four; sixteen gives 8-15 % more connections a second). The
/// loop takes a whole batch once it is woken, so a check made only before each wake-up, as
/// Hummingbird's handler makes it, lets the limit be passed by a batch less one: the batch
/// is cut to the connections left before the loop is asked to accept.
///
/// A socket at its limit is said in the log, at most once a minute: a screen that cannot
/// connect to a kiosk socket someone has filled is otherwise a mystery to the technician.
final class ConnectionLimitHandler: ChannelDuplexHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    typealias OutboundIn = Never
    typealias OutboundOut = Never

    private let limit: Int
    private let batch: Int
    private let logger: Logger
    private var open = 0
    /// A read was held back at the limit; the next close asks for it.
    private var waiting = false
    /// When the log last said the socket was full.
    private var lastSaid: NIODeadline?

    init(limit: Int, batch: Int = 16, logger: Logger) {
        self.limit = limit
        self.batch = batch
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let connection = unwrapInboundIn(data)
        open += 1
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        connection.closeFuture.hop(to: context.eventLoop).whenComplete { _ in
            let (handler, context) = bound.value
            handler.open -= 1
            if handler.waiting {
                handler.waiting = false
                handler.read(context: context)
            }
        }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        let left = min(limit - open, batch)
        guard left > 0 else {
            waiting = true
            sayFull()
            return
        }
        try? context.channel.syncOptions?.setOption(ChannelOptions.maxMessagesPerRead, value: UInt(left))
        context.read()
    }

    private func sayFull() {
        let now = NIODeadline.now()
        if let lastSaid, now - lastSaid < .minutes(1) { return }
        lastSaid = now
        logger.warning("socket at its connection limit; new clients wait", metadata: ["limit": "\(limit)"])
    }
}
