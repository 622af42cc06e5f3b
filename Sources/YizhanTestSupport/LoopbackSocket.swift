import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP socket listening on 127.0.0.1 at `port` (0: one the kernel picks).
func listeningSocket(port: Int) throws -> Int32 {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var yes: Int32 = 1
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    guard withLoopback(port: port, { bind(socket, $0, $1) == 0 }), listen(socket, 16) == 0 else {
        Glibc.close(socket)
        throw PostgresCluster.failure("cannot listen on 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
    }
    return socket
}

/// A TCP socket connected to 127.0.0.1 at `port`, or nil.
func connectedSocket(port: Int) -> Int32? {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard withLoopback(port: port, { connect(socket, $0, $1) == 0 }) else {
        Glibc.close(socket)
        return nil
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

/// Calls `body` with the address 127.0.0.1:`port` as the socket calls take it.
private func withLoopback<Result>(port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}
