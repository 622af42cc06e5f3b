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
    }

    public var limit: Int { line.limit }
    private var line: ScanBuffer
    private var lastWasCR = false

    public init(limit: Int = 512) {
        line = ScanBuffer(limit: limit)
    }

    /// Whether characters of an unfinished line are waiting for their terminator.
    public var isInsideLine: Bool { !line.isEmpty }

    /// The characters stopped: what there is of the line is incomplete, and dropped.
    public mutating func pause() -> Frame? {
        line.breakOff()
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
                if let frame = line.finish() { frames.append(frame) }
            } else {
                line.append(CollectionOfOne(byte))
            }
        }
        return frames
    }
}
