/// A chunked HTTP body decoded as its bytes arrive, however the socket splits them: each
/// chunk's data is handed on as soon as it is read, so an answer of any length (an export,
/// the event stream) is never held whole. A body that has not reached its last, empty
/// chunk is not ended: whoever reads it treats the connection closing then as an answer
/// cut short, never as the whole.
public struct ChunkedBody: Sendable {
    private enum State: Sendable {
        /// Reading a chunk's size line, these bytes of it so far.
        case size([UInt8])
        /// Reading a chunk's data, this many bytes left.
        case data(Int)
        /// Reading the CRLF after a chunk's data, this many bytes of it left.
        case dataEnd(Int)
        case ended
    }

    /// Longer size lines are refused: a size has at most 8 digits, and no server of ours
    /// sends extensions.
    static let longestSizeLine = 256

    private var state = State.size([])

    public init() {}

    /// True once the last chunk has been read; bytes after it (trailers) are ignored.
    public var isEnded: Bool {
        if case .ended = state { return true }
        return false
    }

    /// Decodes `bytes`, handing each run of data to `take`; throws `malformedResponse` at
    /// the first byte that breaks the framing.
    public mutating func decode(_ bytes: ArraySlice<UInt8>, _ take: (ArraySlice<UInt8>) -> Void) throws(UnixHTTPClient.Failure) {
        let malformed = UnixHTTPClient.Failure.malformedResponse
        var index = bytes.startIndex
        while index < bytes.endIndex {
            switch state {
            case .ended:
                return
            case .size(var line):
                let end = bytes[index...].firstIndex(of: 10) ?? bytes.endIndex
                line += bytes[index..<end]
                guard line.count <= Self.longestSizeLine else { throw malformed }
                index = end
                guard end < bytes.endIndex else {
                    state = .size(line)
                    return
                }
                index += 1
                guard line.last == 13, let size = Self.size(line.dropLast()) else { throw malformed }
                state = size == 0 ? .ended : .data(size)
            case .data(let left):
                let end = index + min(left, bytes.endIndex - index)
                take(bytes[index..<end])
                state = left == end - index ? .dataEnd(2) : .data(left - (end - index))
                index = end
            case .dataEnd(let left):
                guard bytes[index] == (left == 2 ? 13 : 10) else { throw malformed }
                index += 1
                state = left == 2 ? .dataEnd(1) : .size([])
            }
        }
    }

    /// The size on a chunk's first line (hex digits, then optional `;extensions`); nil for
    /// anything else, a sign or more than 8 digits included, so no server can make a
    /// client index outside what it received.
    static func size(_ line: some Collection<UInt8>) -> Int? {
        let digits = line.prefix { $0 != UInt8(ascii: ";") }
        guard (1...8).contains(digits.count), digits.allSatisfy({ $0 < 0x80 && Character(UnicodeScalar($0)).isHexDigit }) else {
            return nil
        }
        return Int(String(decoding: digits, as: UTF8.self), radix: 16)
    }
}
