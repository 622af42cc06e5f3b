/// Turns the `input_event`s of a keyboard-wedge scanner into scans: key events become text
/// through the scanner's layout and a terminator key ends a scan. When the characters stop
/// (`pause()`), a reader that sends no terminator has finished its scan; for one that does,
/// the scan is incomplete.
///
/// When the kernel drops events because its buffer for this reader filled (`SYN_DROPPED`),
/// the scan they belonged to lost some characters: it ends incomplete at its terminator (or
/// pause), never as the shorter code its remaining characters spell, and the layout's state
/// starts afresh, so that a lost Shift release does not garble the scans after.
public struct KeyEventFramer {
    /// `struct input_event` on 64-bit Linux: a 16-byte timeval, then type, code and value.
    static let eventSize = 24
    static let synEvent: UInt16 = 0
    static let synDropped: UInt16 = 3
    static let keyEvent: UInt16 = 1
    static let autorepeat: Int32 = 2

    private let decoder: KeyboardDecoder
    /// Whether a pause ends a scan (readers configured with no terminator keys).
    public let endsOnPause: Bool
    public var limit: Int { scan.limit }
    private var pending: [UInt8] = []
    private var scan: ScanBuffer
    /// Events of the scan in progress were dropped by the kernel.
    private var lostEvents = false

    public init(decoder: KeyboardDecoder, endsOnPause: Bool, limit: Int = 512) {
        self.decoder = decoder
        self.endsOnPause = endsOnPause
        scan = ScanBuffer(limit: limit)
    }

    /// Whether an unfinished scan is waiting for more.
    public var isInsideScan: Bool { !scan.isEmpty || lostEvents }

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
            if type == Self.synEvent && code == Self.synDropped {
                decoder.reset()
                lostEvents = true
            }
            guard type == Self.keyEvent, value != Self.autorepeat else { continue }
            switch decoder.key(code: code, pressed: value == 1) {
            case .text(let text): scan.append(text.utf8)
            case .terminator: if let frame = lostEvents ? brokenOff() : scan.finish() { frames.append(frame) }
            case nil: break
            }
        }
        pending.removeFirst(start)
        return frames
    }

    /// The characters stopped without a terminator.
    public mutating func pause() -> LineFramer.Frame? {
        lostEvents ? brokenOff() : endsOnPause ? scan.finish() : scan.breakOff()
    }

    /// The scan that lost events, as incomplete (with what came of it, maybe nothing).
    private mutating func brokenOff() -> LineFramer.Frame? {
        lostEvents = false
        return scan.breakOff() ?? .incomplete([])
    }
}

extension [UInt8] {
    fileprivate func littleEndian<Value: FixedWidthInteger>(_: Value.Type, at offset: Int) -> Value {
        var value: Value = 0
        for index in 0..<MemoryLayout<Value>.size { value |= Value(self[offset + index]) << (8 * index) }
        return value
    }
}
