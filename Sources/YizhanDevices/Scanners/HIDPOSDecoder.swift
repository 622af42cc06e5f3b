/// Turns the input reports of a HID POS barcode scanner (usage page 0x8C) into scans.
///
/// The layout of the reports comes from the device's report descriptor, so scanners that
/// put the decoded data at different places in their reports are read alike: the bytes of
/// the Decoded Data usage (0xFE) are a scan's text, NUL-padded; while the Decode Data
/// Continued bit (0xFF) is set, the next report carries more of the same scan.
public struct HIDPOSDecoder: Sendable {
    static let barcodeScannerPage: UInt16 = 0x8C
    static let decodedData: UInt16 = 0xFE
    static let decodeDataContinued: UInt16 = 0xFF
    /// hidraw hands over at most 4096 bytes a report.
    static let maximumReportBits = 4096 * 8
    static let maximumFields = 4096

    /// One input value of a report: its usage and where its bits are.
    struct Field: Sendable {
        var page: UInt16
        var usage: UInt16
        var bitOffset: Int
        var bitSize: Int
    }

    /// The input reports by report id (0 when the device does not number its reports).
    let reports: [UInt8: [Field]]
    /// Each input report's length in bytes, including its id byte.
    let lengths: [UInt8: Int]
    let numbered: Bool
    public let limit: Int
    private var scan: ScanBuffer

    public enum DescriptorError: Error, Equatable, CustomStringConvertible {
        case malformed(offset: Int)
        case notABarcodeScanner

        public var description: String {
            switch self {
            case .malformed(let offset): "the report descriptor is malformed at byte \(offset)"
            case .notABarcodeScanner: "the device has no HID POS scanned data (usage page 0x8C, Decoded Data)"
            }
        }
    }

    public init(descriptor: [UInt8], limit: Int = 512) throws(DescriptorError) {
        let parsed = try Self.inputReports(descriptor)
        guard parsed.fields.values.contains(where: { $0.contains { $0.page == Self.barcodeScannerPage && $0.usage == Self.decodedData } })
        else { throw .notABarcodeScanner }
        reports = parsed.fields
        numbered = parsed.numbered
        lengths = parsed.bits.mapValues { ($0 + 7) / 8 + (parsed.numbered ? 1 : 0) }
        self.limit = limit
        scan = ScanBuffer(limit: limit)
    }

    /// Feeds what the device node gave and returns the scans completed. The kernel hands over
    /// one report per read; a stream of several is split by the reports' known lengths, and
    /// a report of an unknown id ends what can be understood of the read.
    public mutating func feed(_ bytes: [UInt8]) -> [LineFramer.Frame] {
        var frames: [LineFramer.Frame] = []
        var start = 0
        while start < bytes.count {
            let id = numbered ? bytes[start] : 0
            guard let length = lengths[id], length > 0, let fields = reports[id] else { break }
            let report = Array(bytes[start..<min(bytes.count, start + length)])
            start += length
            let body = numbered ? Array(report.dropFirst()) : report
            var data: [UInt8] = []
            var continued = false
            for field in fields where field.page == Self.barcodeScannerPage {
                switch field.usage {
                case Self.decodedData: data.append(UInt8(truncatingIfNeeded: Self.value(of: field, in: body)))
                case Self.decodeDataContinued: continued = Self.value(of: field, in: body) != 0
                default: break
                }
            }
            while data.last == 0 { data.removeLast() }
            guard !data.isEmpty || !scan.isEmpty else { continue }
            scan.append(data)
            if continued { continue }
            // A scanner set to add a suffix adds it here too; it is framing, not the scan.
            scan.dropTrailing { $0 == 0x0D || $0 == 0x0A }
            if let frame = scan.finish() { frames.append(frame) }
        }
        return frames
    }

    static func value(of field: Field, in body: [UInt8]) -> UInt32 {
        var value: UInt32 = 0
        for bit in 0..<min(field.bitSize, 32) {
            let position = field.bitOffset + bit
            guard position / 8 < body.count else { break }
            if body[position / 8] >> (position % 8) & 1 == 1 { value |= 1 << bit }
        }
        return value
    }

    /// Walks the descriptor's items (HID 1.11, 6.2.2) and lays out every Input item.
    static func inputReports(_ descriptor: [UInt8]) throws(DescriptorError) -> (
        fields: [UInt8: [Field]], bits: [UInt8: Int], numbered: Bool
    ) {
        struct Globals {
            var page: UInt16 = 0
            var size = 0
            var count = 0
            var id: UInt8 = 0
        }
        var globals = Globals()
        var stack: [Globals] = []
        var usages: [UInt32] = []
        var usageMinimum: UInt32?
        var fields: [UInt8: [Field]] = [:]
        var fieldCount = 0
        var bits: [UInt8: Int] = [:]
        var numbered = false
        var offset = 0
        while offset < descriptor.count {
            let prefix = descriptor[offset]
            if prefix == 0xFE {  // a long item: skipped, as no standard usage needs one
                guard offset + 1 < descriptor.count else { throw .malformed(offset: offset) }
                offset += 3 + Int(descriptor[offset + 1])
                continue
            }
            let size = [0, 1, 2, 4][Int(prefix & 3)]
            guard offset + size < descriptor.count else { throw .malformed(offset: offset) }
            var data: UInt32 = 0
            for index in 0..<size { data |= UInt32(descriptor[offset + 1 + index]) << (8 * index) }
            let type = (prefix >> 2) & 3
            let tag = prefix >> 4
            offset += 1 + size
            switch (type, tag) {
            case (0, 0x8):  // Input
                let constant = data & 1 == 1
                var position = bits[globals.id, default: 0]
                for index in 0..<globals.count {
                    if !constant {
                        // Wrapping: a hostile Usage Minimum near 2³² must not trap; such usages match nothing.
                        let usage =
                            usages.isEmpty ? (usageMinimum.map { $0 &+ UInt32(index) } ?? 0) : usages[min(index, usages.count - 1)]
                        let page = usage > 0xFFFF ? UInt16(usage >> 16) : globals.page
                        fields[globals.id, default: []].append(
                            Field(page: page, usage: UInt16(truncatingIfNeeded: usage), bitOffset: position, bitSize: globals.size))
                        fieldCount += 1
                    }
                    position += globals.size
                }
                bits[globals.id] = position
                // A report longer than hidraw can deliver is a broken or hostile descriptor,
                // and would cost every report a walk over all its fields.
                guard position <= Self.maximumReportBits, fieldCount <= Self.maximumFields else {
                    throw .malformed(offset: offset - 1 - size)
                }
                usages = []
                usageMinimum = nil
            case (0, _):  // Output, Feature, Collection, End Collection: they end the local items
                usages = []
                usageMinimum = nil
            case (1, 0x0): globals.page = UInt16(truncatingIfNeeded: data)
            case (1, 0x7): globals.size = Int(data)
            case (1, 0x8):
                guard data > 0 && data < 256 else { throw .malformed(offset: offset - 1 - size) }
                globals.id = UInt8(data)
                numbered = true
            case (1, 0x9): globals.count = Int(data)
            case (1, 0xA): stack.append(globals)
            case (1, 0xB):
                guard let top = stack.popLast() else { throw .malformed(offset: offset - 1 - size) }
                globals = top
            case (2, 0x0): usages.append(size == 4 ? data : data & 0xFFFF)
            case (2, 0x1): usageMinimum = data
            default: break
            }
            guard globals.size <= 32, globals.count <= 4096 else { throw .malformed(offset: offset - 1 - size) }
        }
        return (fields, bits, numbered)
    }
}
