import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP proxy on 127.0.0.1 to a server on the same host that passes everything both ways
/// until the server has sent `cutAfter` bytes on a connection, then drops both of its ends:
/// a network or a server lost in the middle of a long answer, at a point the test chooses.
/// After `mend()` it cuts no more connections.
public final class CuttingProxy: @unchecked Sendable {
    public let port: Int
    private let socket: Int32
    private let cutAfter: Atomic<Int>

    public init(to target: Int, cutAfter: Int) throws {
        socket = try listeningSocket(port: 0)
        port = boundPort(socket)
        self.cutAfter = Atomic(cutAfter)
        let listener = socket
        Thread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                guard let server = connectedSocket(port: target) else {
                    Glibc.close(client)
                    continue
                }
                // Either way ending ends both; the second to end closes the descriptors, so
                // neither reads one the other has closed and the process reused.
                let ended = Ends()
                let answerLimit = self.cutAfter.load(ordering: .sequentiallyConsistent)
                for (source, destination, limit) in [(client, server, Int.max), (server, client, answerLimit)] {
                    Thread {
                        Self.pass(from: source, to: destination, upTo: limit)
                        shutdown(client, Int32(SHUT_RDWR))
                        shutdown(server, Int32(SHUT_RDWR))
                        if ended.count.add(1, ordering: .sequentiallyConsistent).newValue == 2 {
                            Glibc.close(client)
                            Glibc.close(server)
                        }
                    }.start()
                }
            }
        }.start()
    }

    /// Copies until either end closes or `limit` bytes have gone.
    private static func pass(from source: Int32, to destination: Int32, upTo limit: Int) {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        var passed = 0
        while passed < limit {
            let count = read(source, &buffer, min(buffer.count, limit - passed))
            guard count > 0, send(destination, buffer, count, Int32(MSG_NOSIGNAL)) == count else { return }
            passed += count
        }
    }

    private final class Ends: Sendable {
        let count = Atomic<Int>(0)
    }

    /// Passes every connection from now on whole.
    public func mend() {
        cutAfter.store(.max, ordering: .sequentiallyConsistent)
    }

    /// Stops taking connections; those it passes go on until cut.
    public func close() {
        shutdown(socket, Int32(SHUT_RDWR))
        Glibc.close(socket)
    }
}
