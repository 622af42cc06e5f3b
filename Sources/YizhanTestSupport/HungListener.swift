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

/// A TCP socket listening on 127.0.0.1 at `port` (0: one the kernel picks).
func listeningSocket(port: Int) throws -> Int32 {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var yes: Int32 = 1
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    let bound = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
    guard bound, listen(socket, 16) == 0 else {
        Glibc.close(socket)
        throw PostgresCluster.failure("cannot listen on 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
    }
    return socket
}

/// The port a socket is bound to.
func boundPort(_ socket: Int32) -> Int {
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
