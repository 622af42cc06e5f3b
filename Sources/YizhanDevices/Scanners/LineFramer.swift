/// Splits a byte stream into scans at line ends (LF, CR or CRLF), as simulated scanners and
/// serial scanners send them. A line longer than the limit is reported as an overflow, not
/// cut into pieces that could each look like a scan.
public struct LineFramer: Sendable {
    /// One framed piece of input.
    public enum Frame: Sendable, Hashable {
        case line([UInt8])
        /// A line of this many bytes, too long to be a scan; its bytes begin with `prefix`.
        case overflow(length: Int, prefix: [UInt8])
        /// Characters that stopped before their terminator came.
        case incomplete([UInt8])

        /// A finished scan: a line, an overflow when longer than `limit`, nothing when empty.
        static func scan(_ bytes: [UInt8], limit: Int) -> Frame? {
            if bytes.isEmpty { return nil }
            return bytes.count > limit ? .overflow(length: bytes.count, prefix: Array(bytes.prefix(64))) : .line(bytes)
        }
    }

    public let limit: Int
    private var buffer: [UInt8] = []
    private var overflowLength = 0
    private var overflowPrefix: [UInt8] = []
    private var lastWasCR = false

    public init(limit: Int = 512) {
        self.limit = limit
    }

    /// Whether characters of an unfinished line are waiting for their terminator.
    public var isInsideLine: Bool { !buffer.isEmpty || overflowLength > 0 }

    /// The characters stopped: what there is of the line is incomplete, and dropped.
    public mutating func pause() -> Frame? {
        defer {
            buffer.removeAll(keepingCapacity: true)
            overflowLength = 0
            overflowPrefix = []
        }
        if overflowLength > 0 { return .overflow(length: overflowLength, prefix: overflowPrefix) }
        return buffer.isEmpty ? nil : .incomplete(buffer)
    }

    /// Feeds bytes and returns the frames they complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Frame] {
        var frames: [Frame] = []
        for byte in bytes {
            if byte == 0x0A && lastWasCR {
                lastWasCR = false
                continue
            }
            lastWasCR = byte == 0x0D
            if byte == 0x0A || byte == 0x0D {
                if overflowLength > 0 {
                    frames.append(.overflow(length: overflowLength, prefix: overflowPrefix))
                } else if !buffer.isEmpty {
                    frames.append(.line(buffer))
                }
                buffer.removeAll(keepingCapacity: true)
                overflowLength = 0
                overflowPrefix = []
                continue
            }
            if overflowLength > 0 {
                overflowLength += 1
            } else if buffer.count == limit {
                overflowLength = buffer.count + 1
                overflowPrefix = Array(buffer.prefix(64))
                buffer.removeAll(keepingCapacity: true)
            } else {
                buffer.append(byte)
            }
        }
        return frames
    }
}
