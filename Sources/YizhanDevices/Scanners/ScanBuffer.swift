/// The characters of a scan in progress, held up to one past the limit: a device that never
/// sends its terminator (or a continuation bit that never clears) costs a bounded buffer,
/// and the scan ends as an overflow that still knows how long it was. Every framer (lines,
/// key events, HID POS reports) keeps its scan in one.
struct ScanBuffer: Sendable {
    let limit: Int
    private(set) var bytes: [UInt8] = []
    /// Every byte appended, kept or not.
    private(set) var length = 0

    init(limit: Int) {
        self.limit = limit
    }

    var isEmpty: Bool { length == 0 }

    mutating func append(_ more: some Collection<UInt8>) {
        length += more.count
        let room = limit + 1 - bytes.count
        if room > 0 { bytes += more.prefix(room) }
    }

    /// Drops trailing bytes matching `isFraming` (a line end a scanner adds as a suffix).
    mutating func dropTrailing(where isFraming: (UInt8) -> Bool) {
        guard length == bytes.count else { return }  // an overflow's end was not kept
        while let last = bytes.last, isFraming(last) {
            bytes.removeLast()
            length -= 1
        }
    }

    /// The finished scan (nil when empty), and the buffer emptied.
    mutating func finish() -> LineFramer.Frame? {
        defer { removeAll() }
        guard length > 0 else { return nil }
        return length > limit ? .overflow(length: length, prefix: Array(bytes.prefix(64))) : .line(bytes)
    }

    /// The scan broke off before its end: an overflow if it was already too long, else what
    /// there is as incomplete (nil when empty); the buffer emptied.
    mutating func breakOff() -> LineFramer.Frame? {
        guard length <= limit else { return finish() }
        defer { removeAll() }
        return bytes.isEmpty ? nil : .incomplete(bytes)
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        length = 0
    }
}
