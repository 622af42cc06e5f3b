import Foundation
import Glibc
import Testing
import YizhanSystem

@testable import YizhanClient

/// A daemon's answer read as it arrives: the same bytes however the socket splits them,
/// and an answer cut short never taken for the whole.
@Suite struct ResponseReadingTests {
    static let body = Array("9\r\nid,delta\n\r\n18;name=x\r\n1,5\n2,-3\n3,12\n4,7\n5,100\n\r\n0\r\n\r\n".utf8)
    static let data = Array("id,delta\n1,5\n2,-3\n3,12\n4,7\n5,100\n".utf8)

    /// Decodes `pieces` one after another: the data, and whether the last chunk came; nil
    /// when the framing is broken.
    static func decode(_ pieces: [ArraySlice<UInt8>]) -> (data: [UInt8], ended: Bool)? {
        var body = ChunkedBody()
        var data: [UInt8] = []
        do {
            for piece in pieces { try body.decode(piece) { data += $0 } }
        } catch {
            return nil
        }
        return (data, body.isEnded)
    }

    @Test func aBodySplitAnywhereDecodesAsWhole() throws {
        let whole = try #require(Self.decode([Self.body[...]]))
        #expect(whole.data == Self.data && whole.ended)
        for split in 0...Self.body.count {
            let halves = Self.decode([Self.body[..<split], Self.body[split...]])
            #expect(halves?.data == Self.data && halves?.ended == true, "split at \(split)")
        }
        let bytes = Self.decode(Self.body.indices.map { Self.body[$0...$0] })
        #expect(bytes?.data == Self.data && bytes?.ended == true)
    }

    @Test func aBodyWithoutItsLastChunkIsNotEnded() throws {
        let cut = try #require(Self.decode([Self.body.dropLast(5)]))
        #expect(cut.data == Self.data && !cut.ended)
    }

    @Test(arguments: [
        "-5\r\nabc\r\n0\r\n\r\n", "\r\n{}\r\n", "7fffffffffffffff\r\n{}\r\n0\r\n\r\n", "3\r\nabcX\r\n0\r\n\r\n", "3\nabc\r\n0\r\n\r\n",
        "zz\r\n", String(repeating: "0", count: 300),
    ])
    func aBrokenFramingIsRefused(body: String) {
        #expect(Self.decode([Array(body.utf8)[...]]) == nil)
    }

    /// The response's end as its head says: a length, the last chunk, or the connection's
    /// end; a connection that ends before the body does is an error.
    @Test(arguments: [
        ("Content-Length: 5\r\n\r\nhello", "hello"), ("Content-Length: 9\r\n\r\nhello", nil),
        ("Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "hello"), ("Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", nil),
        ("\r\nhello", "hello"), ("Content-Length: 0\r\n\r\n", ""), ("Content-Length: -1\r\n\r\n", nil),
    ])
    func aResponseEndsWhereItsHeadSays(rest: String, expected: String?) throws {
        let answer = try Self.read("HTTP/1.1 200 OK\r\n" + rest)
        #expect(answer == expected.map { Array($0.utf8) }, "\(rest.debugDescription)")
    }

    /// Bytes not yet sent are waited for until the deadline only, and then are none; a
    /// connection that ends before the body does is an answer cut short.
    @Test func aBodyIsWaitedForUntilTheDeadlineAndCutShortWhenItsConnectionEnds() throws {
        let (server, client) = try Self.connection()
        try Kernel.writeAll(server, Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel".utf8))
        let response = try #require(try StreamedResponse.read(from: client))
        #expect(try response.next(before: .now + .seconds(5)) == Array("hel".utf8))
        let waited = ContinuousClock.now
        #expect(try response.next(before: .now + .milliseconds(50)) == [])
        #expect(ContinuousClock.now - waited >= .milliseconds(50))
        try Kernel.writeAll(server, Array("lo\r\n".utf8))
        #expect(try response.next(before: .now + .seconds(5)) == Array("lo".utf8))
        try server.close()
        #expect(throws: UnixHTTPClient.Failure.cutShort) { try response.next(before: .now + .seconds(5)) }
    }

    /// The daemon's end and the client's of a connected socket pair.
    static func connection() throws -> (server: FileDescriptor, client: FileDescriptor) {
        var ends: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0)
        return (FileDescriptor(rawValue: ends[1]), FileDescriptor(rawValue: ends[0]))
    }

    /// `answer`, written whole into one end of a socket pair and its writing side shut,
    /// read from the other as a client reads the daemon: the body, or nil when refused.
    static func read(_ answer: String) throws -> [UInt8]? {
        let (server, client) = try Self.connection()
        try Kernel.writeAll(server, Array(answer.utf8))
        try server.close()
        guard let response = try? StreamedResponse.read(from: client) else { return nil }
        var body: [UInt8] = []
        do {
            while let more = try response.next() { body += more }
        } catch {
            return nil
        }
        return body
    }
}
