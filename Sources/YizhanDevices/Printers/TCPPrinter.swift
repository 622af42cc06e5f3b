import ESCPOS
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A network printer on TCP port 9100 (raw). Before each job it asks the printer's status
/// with `DLE EOT` and holds the job back while it is offline, open or out of paper; the job
/// goes out on the same connection.
public struct TCPPrinter: PrinterTransport {
    public let host: String
    public let port: Int
    public let timeout: Duration

    public init(host: String, port: Int, timeout: Duration = .seconds(10)) {
        self.host = host
        self.port = port
        self.timeout = timeout
    }

    public func send(_ bytes: [UInt8]) async throws(PrinterSendError) -> PrinterCondition {
        let descriptor = try connect()
        defer { close(descriptor) }
        let condition = RealTimeStatus.condition(
            printer: query(descriptor, 1), offlineCause: query(descriptor, 2), paper: query(descriptor, 4))
        guard condition.canPrint else { throw .notReady(condition.rawValue) }
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0 {
                if errno == EINTR { continue }
                let reason = "send to \(host):\(port): \(String(cString: strerror(errno)))"
                throw sent == 0 ? .notReady(reason) : .brokeOff(reason)
            }
            sent += count
        }
        // Sent is not received: the bytes may sit in our socket buffer when the printer goes.
        // A printer that answers status requests answers one more after the job: that is the
        // receipt. (One that never answers gets its jobs sent blind.)
        guard condition == .unknown || query(descriptor, 1).map(RealTimeStatus.isWellFormed) == true else {
            throw .brokeOff("no answer from \(host):\(port) after the job")
        }
        return condition
    }

    /// Sends `DLE EOT n` and reads the one-byte reply; nil when none comes in time.
    private func query(_ descriptor: Int32, _ n: UInt8) -> UInt8? {
        let request = RealTimeStatus.request(n)
        guard request.withUnsafeBytes({ Glibc.send(descriptor, $0.baseAddress, 3, Int32(MSG_NOSIGNAL)) }) == 3 else { return nil }
        var reply: UInt8 = 0
        return recv(descriptor, &reply, 1, 0) == 1 ? reply : nil
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
