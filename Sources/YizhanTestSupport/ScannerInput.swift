import Foundation

/// What scanners send, built independently of the daemon's decoders: key presses of a US
/// keyboard-wedge scanner (as raw `input_event`s or evemu lines) and HID POS reports.
public enum ScannerInput {
    /// US-layout keys: (Linux key code, with Shift).
    static let usKeys: [Character: (code: UInt16, shifted: Bool)] = {
        var keys: [Character: (UInt16, Bool)] = ["-": (12, false), "_": (12, true), ":": (39, true), ".": (52, false), "/": (53, false)]
        for (index, digit) in "1234567890".enumerated() { keys[digit] = (UInt16(2 + index), false) }
        let rows: [(String, UInt16)] = [("qwertyuiop", 16), ("asdfghjkl", 30), ("zxcvbnm", 44)]
        for (row, first) in rows {
            for (index, letter) in row.enumerated() {
                keys[letter] = (first + UInt16(index), false)
                keys[Character(letter.uppercased())] = (first + UInt16(index), true)
            }
        }
        return keys
    }()

    static let leftShift: UInt16 = 42
    static let enter: UInt16 = 28

    /// The key presses and releases that type `text` on a US layout, then Enter if asked.
    public static func keyStrokes(_ text: String, enter: Bool) -> [(code: UInt16, value: Int32)] {
        var strokes: [(UInt16, Int32)] = []
        for character in text {
            guard let (code, shifted) = usKeys[character] else { preconditionFailure("no US key for \(character)") }
            if shifted { strokes.append((leftShift, 1)) }
            strokes += [(code, 1), (code, 0)]
            if shifted { strokes.append((leftShift, 0)) }
        }
        if enter { strokes += [(Self.enter, 1), (Self.enter, 0)] }
        return strokes
    }

    /// `struct input_event`s (64-bit: timeval, type, code, value), each key followed by a
    /// SYN_REPORT, as the kernel delivers them from a keyboard.
    public static func inputEvents(_ text: String, enter: Bool) -> [UInt8] {
        var bytes: [UInt8] = []
        func event(type: UInt16, code: UInt16, value: Int32) {
            bytes += [UInt8](repeating: 0, count: 16)
            withUnsafeBytes(of: type.littleEndian) { bytes += $0 }
            withUnsafeBytes(of: code.littleEndian) { bytes += $0 }
            withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
        }
        for (code, value) in keyStrokes(text, enter: enter) {
            event(type: 1, code: code, value: value)
            event(type: 0, code: 0, value: 0)
        }
        return bytes
    }

    /// Evemu event lines for scans typed at the given times (seconds from opening).
    public static func evemu(_ scans: [(text: String, at: Double, enter: Bool)]) -> String {
        var lines: [String] = []
        for scan in scans {
            var time = scan.at
            for (code, value) in keyStrokes(scan.text, enter: scan.enter) {
                lines.append(String(format: "E: %.6f 0001 %04x %04d", time, code, value))
                lines.append(String(format: "E: %.6f 0000 0000 0000", time))
                time += 0.002
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A HID POS barcode scanner's report descriptor, laid out as the HID Point of Sale
    /// usage tables describe the Scanned Data Report: report id 2, a vendor byte, three
    /// symbology identifier bytes, 56 bytes of decoded data, the Decode Data Continued bit
    /// and seven bits of padding. 62 bytes a report with its id.
    public static let hidPOSDescriptor: [UInt8] = [
        0x05, 0x8C,  // Usage Page (Bar Code Scanner)
        0x09, 0x02,  // Usage (Bar Code Scanner)
        0xA1, 0x01,  // Collection (Application)
        0x85, 0x02,  //   Report ID (2)
        0x09, 0x12,  //   Usage (Scanned Data Report)
        0xA1, 0x02,  //   Collection (Logical)
        0x15, 0x00, 0x26, 0xFF, 0x00,  // Logical Minimum (0), Logical Maximum (255)
        0x75, 0x08, 0x95, 0x01,  //     Report Size (8), Report Count (1)
        0x06, 0x00, 0xFF, 0x09, 0x01, 0x81, 0x02,  // Usage Page (vendor), Usage (1), Input (Data, Var, Abs)
        0x05, 0x8C,  //     Usage Page (Bar Code Scanner)
        0x09, 0xFB, 0x09, 0xFC, 0x09, 0xFD, 0x95, 0x03, 0x81, 0x02,  // Symbology Identifier 1–3, Input
        0x09, 0xFE, 0x95, 0x38, 0x82, 0x02, 0x01,  // Decoded Data, Report Count (56), Input (Buffered Bytes)
        0x75, 0x01, 0x95, 0x01, 0x09, 0xFF, 0x81, 0x02,  // Decode Data Continued: one bit
        0x75, 0x07, 0x81, 0x03,  //     padding: Input (Constant)
        0xC0,  //   End Collection
        0xC0,  // End Collection
    ]

    /// The reports that carry `text` as a QR code (AIM `]Q1`), `chunk` bytes a report, the
    /// Continued bit set on all but the last.
    public static func hidPOSReports(_ text: String, chunk: Int = 56) -> [[UInt8]] {
        let data = Array(text.utf8)
        return stride(from: 0, to: data.count, by: chunk).map { start in
            let piece = data[start..<min(data.count, start + chunk)]
            let continued: UInt8 = start + chunk < data.count ? 1 : 0
            return [0x02, UInt8(piece.count)] + Array("]Q1".utf8) + piece + [UInt8](repeating: 0, count: 56 - piece.count) + [continued]
        }
    }
}
