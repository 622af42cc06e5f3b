import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP listener that accepts connections and never answers: a district whose server or
/// network has hung. Connections are held until `close()`.
public final class HungListener: @unchecked Sendable {
    public let port: Int
    private let socket: Int32
    private let accepted = Mutex<[Int32]>([])

    /// Listens on 127.0.0.1 at `port`.
    public init(port: Int) throws {
        let socket = try listeningSocket(port: port)
        self.port = port
        self.socket = socket
        Thread { [weak self] in
            while true {
                let connection = accept(socket, nil, nil)
                guard connection >= 0, let self else { return }
                self.accepted.withLock { $0.append(connection) }
            }
        }.start()
    }

    /// How many connections it has taken.
    public var connections: Int { accepted.withLock { $0.count } }

    /// Stops listening and drops every connection it held.
    public func close() {
        shutdown(socket, Int32(SHUT_RDWR))
        Glibc.close(socket)
        accepted.withLock { connections in
            for connection in connections { Glibc.close(connection) }
            connections.removeAll()
        }
    }
}
