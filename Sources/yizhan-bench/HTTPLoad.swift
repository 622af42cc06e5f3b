import Foundation
import YizhanClient

#if canImport(Glibc)
    import Glibc
#endif

/// HTTP/1.1 GET load on a Unix socket from one thread: `clients` connections, each sending
/// its next request as soon as the answer to the last is in, either on the same connection
/// (keep-alive) or on a new one (a connection a request). One thread on `poll` costs the
/// machine less than a thread a client, so more of its two cores are left to the server;
/// nginx and `yizhand` are measured with the same generator in the same run.
struct HTTPLoad {
    struct Result {
        var requests: Int
        var failures: Int
        var seconds: Double
        /// Request written to last byte of the answer read, in seconds, sorted.
        var latencies: [Double]

        var perSecond: Double { Double(requests) / seconds }
        func latency(_ quantile: Double) -> Double {
            latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(Double(latencies.count) * quantile))]
        }
    }

    var socketPath: String
    var path: String
    var clients: Int
    var keepAlive: Bool

    /// One connection's progress through its current request.
    private struct Connection {
        var descriptor: Int32 = -1
        var started = ContinuousClock.now
        var received: [UInt8] = []
        /// Bytes of head plus body once the head is in.
        var answer: Head?
    }

    /// What an answer's head says.
    private struct Head {
        /// Head plus body.
        var length: Int
        var ok: Bool
        var closes: Bool
    }

    func run(for duration: Duration) -> Result {
        let request = Array("GET \(path) HTTP/1.1\r\nHost: yizhan\r\n\(keepAlive ? "" : "Connection: close\r\n")\r\n".utf8)
        let client = UnixHTTPClient(socketPath: socketPath)
        var connections = [Connection](repeating: Connection(), count: clients)
        var waiting = [pollfd](repeating: pollfd(fd: -1, events: Int16(POLLIN), revents: 0), count: clients)
        var result = Result(requests: 0, failures: 0, seconds: 0, latencies: [])
        result.latencies.reserveCapacity(1 << 20)

        func start(_ index: Int) {
            if connections[index].descriptor < 0 {
                guard let descriptor = try? client.connect().rawValue else {
                    result.failures += 1
                    return
                }
                connections[index].descriptor = descriptor
                waiting[index].fd = descriptor
            }
            connections[index].started = .now
            connections[index].received.removeAll(keepingCapacity: true)
            connections[index].answer = nil
            // A request is a few dozen bytes: the socket's buffer always takes it whole.
            if request.withUnsafeBytes({ send(connections[index].descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) })
                != request.count
            {
                drop(index)
                result.failures += 1
            }
        }
        func drop(_ index: Int) {
            close(connections[index].descriptor)
            connections[index].descriptor = -1
            waiting[index].fd = -1
        }

        let begin = ContinuousClock.now
        let end = begin + duration
        for index in connections.indices { start(index) }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while ContinuousClock.now < end {
            // Connections a failed connect left closed are retried on each pass.
            for index in connections.indices where connections[index].descriptor < 0 { start(index) }
            guard poll(&waiting, nfds_t(waiting.count), 10) > 0 else { continue }
            for index in connections.indices where waiting[index].revents != 0 && connections[index].descriptor >= 0 {
                let count = buffer.withUnsafeMutableBytes { recv(connections[index].descriptor, $0.baseAddress, $0.count, 0) }
                guard count > 0 else {
                    drop(index)
                    result.failures += 1
                    start(index)
                    continue
                }
                connections[index].received.append(contentsOf: buffer[..<count])
                if connections[index].answer == nil { connections[index].answer = Self.head(connections[index].received) }
                guard let answer = connections[index].answer, connections[index].received.count >= answer.length else { continue }
                if answer.ok {
                    result.requests += 1
                    result.latencies.append(Bench.seconds(.now - connections[index].started))
                } else {
                    result.failures += 1
                }
                // nginx ends a keep-alive connection after its thousandth request.
                if !keepAlive || answer.closes { drop(index) }
                start(index)
            }
        }
        result.seconds = Bench.seconds(.now - begin)
        for index in connections.indices where connections[index].descriptor >= 0 { drop(index) }
        result.latencies.sort()
        return result
    }

    /// The answer's head once it is complete; nil before. Read as bytes: the generator's own
    /// cost is part of every figure.
    private static func head(_ bytes: [UInt8]) -> Head? {
        guard let end = find([13, 10, 13, 10], in: bytes) else { return nil }
        let head = bytes[..<end].map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
        var length = 0
        if let field = find(Array("\r\ncontent-length:".utf8), in: head) {
            var index = field + 17
            while index < head.count, head[index] == 32 { index += 1 }
            while index < head.count, head[index] >= 48, head[index] <= 57 {
                length = length * 10 + Int(head[index] - 48)
                index += 1
            }
        }
        return Head(
            length: end + 4 + length, ok: head.starts(with: Array("http/1.1 200".utf8)),
            closes: find(Array("\r\nconnection: close".utf8), in: head) != nil)
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        return (0...(bytes.count - needle.count)).first { offset in
            needle.indices.allSatisfy { bytes[offset + $0] == needle[$0] }
        }
    }
}
