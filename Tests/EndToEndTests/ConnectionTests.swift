import Foundation
import Testing
import YizhanClient
import YizhanTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// HTTP/1.1 as a client may use one connection to the daemon: requests written together
/// are answered in order, a body over the limit is refused without ending the connection,
/// what cannot be parsed is refused after the answers owed, `Connection: close` is answered
/// before the daemon closes, and HTTP/1.0 clients and `HEAD` get answers framed for them.
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

    /// Writes `requests` on a new connection and reads what comes back until the daemon
    /// closes it (a read that waits past the client's timeout throws instead).
    static func exchange(_ requests: String, through client: UnixHTTPClient) throws -> [UInt8] {
        let connection = try client.connect()
        defer { try? connection.close() }
        let descriptor = connection.rawValue
        var unsent = Array(requests.utf8)[...]
        while !unsent.isEmpty {
            let sent = unsent.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            try #require(sent > 0, "send: \(String(cString: strerror(errno)))")
            unsent = unsent.dropFirst(sent)
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while case let count = read(descriptor, &buffer, buffer.count), count != 0 {
            try #require(count > 0, "read: \(String(cString: strerror(errno)))")
            received += buffer.prefix(count)
        }
        return received
    }

    @Test func requestsWrittenTogetherAreAnsweredInOrderAndAnOversizedBodyDoesNotEndTheConnection() throws {
        let daemon = try DaemonProcess()
        defer { daemon.directory.remove() }
        try daemon.start()
        let client = daemon.client

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
        let answers = try Self.answers(in: Self.exchange(requests, through: client))
        #expect(answers.map(\.status) == [200, 413, 201, 200])
        guard answers.count == 4 else { return }
        #expect(String(decoding: answers[1].body, as: UTF8.self).contains("body_too_large"))
        let listed = try #require(answers[3].json)
        let names = (listed["items"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(names == ["甲"], "only the volunteer whose body was whole was created")
        #expect(daemon.stop() == 0)
    }

    /// What the parser cannot read is answered 400, in the API's error format, after the
    /// answers owed to the requests before it; nothing after it is read, and the connection
    /// ends.
    @Test func whatCannotBeReadIsRefusedAfterTheAnswersOwedBeforeIt() throws {
        let daemon = try DaemonProcess()
        defer { daemon.directory.remove() }
        try daemon.start()
        let client = daemon.client
        let volunteer = #"{"name":"乙"}"#
        let create =
            "POST /v1/volunteers HTTP/1.1\r\nHost: station\r\nContent-Type: application/json\r\nContent-Length: \(volunteer.utf8.count)\r\n\r\n"
            + volunteer
        // A header name with a space and a control byte in it, between two creations.
        let requests =
            "GET /v1/health HTTP/1.1\r\nHost: station\r\n\r\n" + create + "GET /v1/health HTTP/1.1\r\nHo st\u{01}: x\r\n\r\n" + create
        let answers = try Self.answers(in: Self.exchange(requests, through: client))
        #expect(answers.map(\.status) == [200, 201, 400])
        if answers.count == 3 {
            #expect(answers[2].headers["connection"] == "close")
            #expect(
                (answers[2].json?["error"] as? [String: Any])?["code"] as? String == "http_error",
                "\(String(decoding: answers[2].body, as: UTF8.self))")
        }

        // The first bytes of a TLS handshake, where a request should be: refused at once.
        let handshake = "\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}\u{03}\u{03}\r\n\r\n"
        #expect(try Self.answers(in: Self.exchange(handshake, through: client)).map(\.status) == [400])
        // A head over the 16 KiB limit.
        let oversized = "GET /v1/health HTTP/1.1\r\nHost: station\r\nX-Filler: \(String(repeating: "x", count: 20_000))\r\n\r\n"
        #expect(try Self.answers(in: Self.exchange(oversized, through: client)).map(\.status) == [400])

        let listed = try daemon.get("/v1/volunteers")["items"] as? [[String: Any]] ?? []
        #expect(listed.compactMap { $0["name"] as? String } == ["乙"], "the creation after the refusal was not read")
        #expect(daemon.stop() == 0)
    }

    /// An HTTP/1.0 client is answered and let go unless it asks to keep its connection; an
    /// answer to `HEAD` is the head alone, the next answer straight after it; the event
    /// stream goes to an HTTP/1.0 client unchunked, to the connection's end.
    @Test func eachClientGetsTheFramingItReads() throws {
        let daemon = try DaemonProcess()
        defer { daemon.directory.remove() }
        try daemon.start()
        let client = daemon.client
        func exchange(_ requests: String) throws -> [UInt8] { try Self.exchange(requests, through: client) }

        let once = try Self.answers(in: exchange("GET /v1/health HTTP/1.0\r\n\r\nGET /v1/status HTTP/1.0\r\n\r\n"))
        #expect(once.map(\.status) == [200], "the second request came after the first answer ended the connection")
        #expect(once.first?.headers["connection"] == "close")
        let kept = try Self.answers(
            in: exchange("GET /v1/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /v1/status HTTP/1.0\r\n\r\n"))
        #expect(kept.map(\.status) == [200, 200])

        let heads = String(
            decoding: try exchange(
                "HEAD /v1/status HTTP/1.1\r\nHost: station\r\n\r\nGET /v1/health HTTP/1.1\r\nHost: station\r\nConnection: close\r\n\r\n"),
            as: UTF8.self)
        // The routes are GET routes: HEAD is answered 404, its error body left out.
        let parts = heads.components(separatedBy: "\r\n\r\n")
        #expect(parts.count == 3 && parts[0].hasPrefix("HTTP/1.1 404 Not Found\r\n"), "\(heads)")
        #expect(parts[0].lowercased().contains("content-length: "), "the head says how long the answer would be")
        #expect(parts.count == 3 && parts[1].hasPrefix("HTTP/1.1 200 OK\r\n"), "no body between the two heads: \(heads)")

        // The event stream to an HTTP/1.0 screen, then a scan for it to carry.
        let screen = try daemon.kioskClient.connect()
        defer { try? screen.close() }
        let request = Array("GET /v1/events HTTP/1.0\r\n\r\n".utf8)
        #expect(request.withUnsafeBytes { send(screen.rawValue, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == request.count)
        var received: [UInt8] = []
        func readUntil(_ text: String, _ what: Comment) throws {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !String(decoding: received, as: UTF8.self).contains(text) {
                let count = read(screen.rawValue, &buffer, buffer.count)
                try #require(count > 0, what)
                received += buffer.prefix(count)
            }
        }
        try readUntil("\r\n\r\n", "the stream's head comes")
        #expect(try daemon.post("/v1/scans", ["code": "YZ:K:CANCEL"]).status == 200)
        try readUntil("event: scan", "the scan's event comes")
        let text = String(decoding: received, as: UTF8.self)
        let head = text.components(separatedBy: "\r\n\r\n")[0].lowercased()
        #expect(!head.contains("transfer-encoding"), "\(head)")
        #expect(head.contains("connection: close"), "\(head)")
        #expect(text.components(separatedBy: "\r\n\r\n")[1].hasPrefix("id: "), "the events themselves, no chunk sizes: \(text)")
        #expect(daemon.stop() == 0)
    }

    /// A station's screen follows the event stream all day. While an answer is in progress
    /// its connection's idle check rests, so the loop that holds the stream is not woken:
    /// over eight idle times from the stream's head, its thread goes to sleep after the
    /// check made when the connection opened and for nothing after that.
    @Test func anOpenEventStreamWakesNothing() throws {
        let daemon = try DaemonProcess()
        defer { daemon.directory.remove() }
        try daemon.writeConfig(
            api: "[api]\nadmin_socket = \"\(daemon.adminSocket)\"\nkiosk_socket = \"\(daemon.kioskSocket)\"\nidle_seconds = 5")
        try daemon.start()
        let pid = try #require(daemon.pid)
        let loop = try #require(daemon.loopAnswering(daemon.kioskSocket))
        // Its own going to sleep: a busy machine's preemptions are not the loop's doing.
        func wakeUps() -> UInt64 { voluntarySwitches("/proc/\(pid)/task/\(loop)") ?? 0 }

        let screen = try daemon.kioskClient.connect()
        defer { try? screen.close() }
        let request = Array("GET /v1/events HTTP/1.1\r\nHost: station\r\n\r\n".utf8)
        #expect(request.withUnsafeBytes { send(screen.rawValue, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == request.count)
        var head = [UInt8](repeating: 0, count: 1024)
        try #require(read(screen.rawValue, &head, head.count) > 0, "the stream's head comes")
        let before = wakeUps()
        // Eight idle times and a second: the window measured, not a wait for something. A
        // check each idle time wakes the loop nine times in it; the one check made when the
        // stream opened wakes it once, and a loaded machine (a page read back from disk, a
        // lock another thread holds) has added up to two more.
        sleep(41)
        let wokeUp = wakeUps() - before
        #expect(wokeUp <= 4, "the loop holding the stream woke \(wokeUp) times")
        #expect(try daemon.metric("yizhan_event_subscribers") == 1, "the stream is still followed")
        #expect(daemon.stop() == 0)
    }

    @Test func eventClientsThatHangUpAreForgottenAtTheNextEvent() throws {
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
