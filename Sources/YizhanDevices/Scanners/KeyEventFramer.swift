/// Turns the `input_event`s of a keyboard-wedge scanner into scans: key events become text
/// through the scanner's layout, a terminator key ends a scan, and `pause()` ends one that
/// has no terminator when the characters stop.
public struct KeyEventFramer {
    /// `struct input_event` on 64-bit Linux: a 16-byte timeval, then type, code and value.
    static let eventSize = 24
    static let keyEvent: UInt16 = 1
    static let autorepeat: Int32 = 2

    private let decoder: KeyboardDecoder
    public let limit: Int
    private var pending: [UInt8] = []
    private var scan: [UInt8] = []

    public init(decoder: KeyboardDecoder, limit: Int = 512) {
        self.decoder = decoder
        self.limit = limit
    }

    /// Whether characters of an unfinished scan are waiting for more.
    public var isInsideScan: Bool { !scan.isEmpty }

    /// Feeds bytes read from the device (whole events or pieces of them) and returns the
    /// scans they complete.
    public mutating func feed(_ bytes: [UInt8]) -> [LineFramer.Frame] {
        pending += bytes
        var frames: [LineFramer.Frame] = []
        var start = 0
        while pending.count - start >= Self.eventSize {
            let type = pending.littleEndian(UInt16.self, at: start + 16)
            let code = pending.littleEndian(UInt16.self, at: start + 18)
            let value = Int32(bitPattern: pending.littleEndian(UInt32.self, at: start + 20))
            start += Self.eventSize
            guard type == Self.keyEvent, value != Self.autorepeat else { continue }
            switch decoder.key(code: code, pressed: value == 1) {
            case .text(let text): scan += Array(text.utf8)
            case .terminator: if let frame = finish() { frames.append(frame) }
            case nil: break
            }
        }
        pending.removeFirst(start)
        return frames
    }

    /// The characters stopped without a terminator: the scan so far is complete.
    public mutating func pause() -> LineFramer.Frame? {
        finish()
    }

    private mutating func finish() -> LineFramer.Frame? {
        defer { scan.removeAll(keepingCapacity: true) }
        guard !scan.isEmpty else { return nil }
        return scan.count > limit ? .overflow(length: scan.count, prefix: Array(scan.prefix(64))) : .line(scan)
    }
}

extension [UInt8] {
    fileprivate func littleEndian<Value: FixedWidthInteger>(_: Value.Type, at offset: Int) -> Value {
        var value: Value = 0
        for index in 0..<MemoryLayout<Value>.size { value |= Value(self[offset + index]) << (8 * index) }
        return value
    }
}
