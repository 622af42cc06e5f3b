import Foundation
import Testing
import YizhanClient
import YizhanTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// HTTP/1.1 as a client may use one connection to the daemon: requests written together
/// are answered in order, a body over the limit is refused without ending the connection,
/// and `Connection: close` is answered before the daemon closes.
@Suite struct ConnectionTests {
    /// Splits what a connection received into responses with a `Content-Length`.
    static func answers(in bytes: [UInt8]) throws -> [UnixHTTPClient.Response] {
        var answers: [UnixHTTPClient.Response] = []
        var rest = bytes[...]
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while !rest.isEmpty {
            let end = try #require(rest.indices.first { rest[$0...].starts(with: separator) }, "a response head ends")
            let lines = String(decoding: rest[..<end], as: UTF8.self).components(separatedBy: "\r\n")
            let status = try #require(lines.first.flatMap { Int($0.split(separator: " ")[1]) })
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1)
                headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces)
            }
            let length = try #require(headers["content-length"].flatMap(Int.init), "every answer here has a length")
            let bodyStart = end + separator.count
            answers.append(UnixHTTPClient.Response(status: status, headers: headers, body: Data(rest[bodyStart..<(bodyStart + length)])))
            rest = rest[(bodyStart + length)...]
        }
        return answers
    }

    @Test func requestsWrittenTogetherAreAnsweredInOrderAndAnOversizedBodyDoesNotEndTheConnection() throws {
        signal(SIGPIPE, SIG_IGN)
        let daemon = try DaemonProcess()
        defer { daemon.directory.remove() }
        try daemon.start()
        let client = UnixHTTPClient(socketPath: daemon.adminSocket, timeout: .seconds(20))
        let descriptor = try client.connect()
        defer { try? descriptor.close() }

        // 200,000 bytes in chunks, no length announced: past the 64 KiB limit only as it
        // arrives. Then a volunteer created, and the list asked for with the last request.
        let huge = String(repeating: "x", count: 200_000)
        let oversized =
            "POST /v1/volunteers HTTP/1.1\r\nHost: station\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + String(huge.utf8.count, radix: 16) + "\r\n" + huge + "\r\n0\r\n\r\n"
        let volunteer = #"{"name":"甲"}"#
        let requests =
            "GET /v1/health HTTP/1.1\r\nHost: station\r\n\r\n" + oversized
            + "POST /v1/volunteers HTTP/1.1\r\nHost: station\r\nContent-Type: application/json\r\nContent-Length: \(volunteer.utf8.count)\r\n\r\n"
            + volunteer + "GET /v1/volunteers HTTP/1.1\r\nHost: station\r\nConnection: close\r\n\r\n"
        var unsent = Array(requests.utf8)[...]
        while !unsent.isEmpty {
            let sent = unsent.withUnsafeBytes { send(descriptor.rawValue, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            try #require(sent > 0, "send: \(String(cString: strerror(errno)))")
            unsent = unsent.dropFirst(sent)
        }

        // Read to the end: the daemon closes after the fourth answer (a read that waits
        // past the client's timeout throws instead).
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while case let count = read(descriptor.rawValue, &buffer, buffer.count), count != 0 {
            #expect(count > 0, "read: \(String(cString: strerror(errno)))")
            guard count > 0 else { return }
            received += buffer.prefix(count)
        }
        let answers = try Self.answers(in: received)
        #expect(answers.map(\.status) == [200, 413, 201, 200])
        guard answers.count == 4 else { return }
        #expect(String(decoding: answers[1].body, as: UTF8.self).contains("body_too_large"))
        let listed = try #require(answers[3].json)
        let names = (listed["items"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(names == ["甲"], "only the volunteer whose body was whole was created")
        #expect(daemon.stop() == 0)
    }

    @Test func eventClientsThatHangUpAreForgottenAtTheNextEvent() throws {
        signal(SIGPIPE, SIG_IGN)
        let daemon = try DaemonProcess()
        defer { daemon.directory.remove() }
        try daemon.start()
        func subscribers() throws -> Int? { try daemon.metric("yizhan_event_subscribers").map { Int($0) } }

        // Five screens follow the stream, each reading its answer's head, which says the
        // connection ends with the stream.
        let kiosk = daemon.kioskClient
        var screens: [Int32] = []
        for _ in 0..<5 {
            let descriptor = try kiosk.connect().rawValue
            screens.append(descriptor)
            let request = Array("GET /v1/events HTTP/1.1\r\nHost: station\r\n\r\n".utf8)
            #expect(request.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == request.count)
            var head = [UInt8](repeating: 0, count: 1024)
            let count = read(descriptor, &head, head.count)
            #expect(count > 0, "the stream's head comes before any event")
            let text = String(decoding: head.prefix(max(0, count)), as: UTF8.self).lowercased()
            #expect(text.contains("\r\nconnection: close\r\n"), "\(text)")
        }
        #expect(try subscribers() == 5)

        // They hang up; the next events find them gone, and the daemon lets them go.
        for screen in screens { close(screen) }
        for _ in 0..<2 { #expect(try daemon.post("/v1/scans", ["code": "YZ:K:CANCEL"]).status == 200) }
        let left = try daemon.waitUntil { try subscribers() == 0 }
        #expect(left, "subscribers left: \(String(describing: try? subscribers()))")
        #expect(daemon.stop() == 0)
    }
}
