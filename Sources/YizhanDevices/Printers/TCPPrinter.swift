import ESCPOS
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A network printer on TCP port 9100 (raw), one connection a job, with the status
/// exchange of `PrinterLink` around it.
public struct TCPPrinter: PrinterTransport {
    public let host: String
    public let port: Int
    public let timeout: Duration

    public init(host: String, port: Int, timeout: Duration = .seconds(10)) {
        self.host = host
        self.port = port
        self.timeout = timeout
    }

    public func send(_ bytes: [UInt8]) throws(PrinterSendError) -> PrinterCondition {
        let descriptor = try connect()
        defer { close(descriptor) }
        return try DescriptorLink(descriptor: descriptor, name: "\(host):\(port)", isSocket: true).send(bytes)
    }

    private func connect() throws(PrinterSendError) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else {
            throw .notReady("cannot resolve \(host)")
        }
        defer { freeaddrinfo(results) }
        let descriptor = socket(
            first.pointee.ai_family, first.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), first.pointee.ai_protocol)
        guard descriptor >= 0 else { throw .notReady("socket: \(String(cString: strerror(errno)))") }
        var wait = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        guard Glibc.connect(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let reason = "connect to \(host):\(port): \(String(cString: strerror(errno)))"
            close(descriptor)
            throw .notReady(reason)
        }
        return descriptor
    }
}
