import Foundation
import YizhanClient
import YizhanDevices
import YizhanTestSupport

/// The scanner side: how fast key events become scans, and how long a scan takes from the
/// device to its outcome on the event stream of the built daemon.
extension Bench {
    /// Keycode → scan decoding through libxkbcommon, against the simplest decoder there is:
    /// a fixed US table with Shift, which knows no layout, CapsLock, NumLock or keypad.
    static func decoding(scans: Int) throws {
        let text = "YZ:C:extinguisher-1"
        let oneScan = ScannerInput.inputEvents(text, enter: true)
        let stream = Array([[UInt8]](repeating: oneScan, count: scans).joined())
        let events = stream.count / 24

        var framer = KeyEventFramer(decoder: try KeyboardDecoder(layout: "us"), endsOnPause: false)
        let start = ContinuousClock.now
        var decoded = 0
        for offset in stride(from: 0, to: stream.count, by: 4096) {
            decoded += framer.feed(Array(stream[offset..<min(stream.count, offset + 4096)])).count
        }
        let xkb = seconds(ContinuousClock.now - start)

        let baselineStart = ContinuousClock.now
        let baselineScans = fixedTableDecode(stream)
        let baseline = seconds(ContinuousClock.now - baselineStart)
        precondition(decoded == scans && baselineScans == scans, "both decoders read every scan")

        print("keycode → scan decoding, \(scans) scans of \(text.count) characters (\(events) input events):")
        for (name, time) in [("fixed US table with Shift (baseline)", baseline), ("KeyEventFramer + libxkbcommon (real path)", xkb)] {
            print("  " + padded(name) + String(format: " %10.0f events/s  %8.0f scans/s", Double(events) / time, Double(scans) / time))
        }
        print(String(format: "  cost %.1f× the baseline; %.1f µs a scan", xkb / baseline, xkb / Double(scans) * 1e6))
    }

    /// Counts the scans in an event stream with a fixed table: the baseline's work.
    static func fixedTableDecode(_ stream: [UInt8]) -> Int {
        let plain = Array("\0\u{1B}1234567890-=\u{8}\tqwertyuiop[]\n\0asdfghjkl;'`\0\\zxcvbnm,./".utf8)
        let shifted = Array("\0\u{1B}!@#$%^&*()_+\u{8}\tQWERTYUIOP{}\n\0ASDFGHJKL:\"~\0|ZXCVBNM<>?".utf8)
        var shift = false
        var scan: [UInt8] = []
        var count = 0
        var offset = 0
        while offset + 24 <= stream.count {
            defer { offset += 24 }
            let type = Int(stream[offset + 16]) | Int(stream[offset + 17]) << 8
            let code = Int(stream[offset + 18]) | Int(stream[offset + 19]) << 8
            let value = stream[offset + 20]
            guard type == 1 else { continue }
            if code == 42 || code == 54 {
                shift = value != 0
            } else if value == 1 && code == 28 {
                if !scan.isEmpty { count += 1 }
                scan.removeAll(keepingCapacity: true)
            } else if value == 1 && code < plain.count {
                scan.append(shift ? shifted[code] : plain[code])
            }
        }
        return count
    }

    /// Scan → outcome through the real path: bytes written to a serial scanner's pty, read
    /// by the built `yizhand`, committed, and seen as the `scan` event on its socket.
    static func deviceToOutcome(scans: Int) throws -> Figures {
        let pty = try PseudoTerminal()
        let daemon = try DaemonProcess(
            scanners: "[[scanner]]\nid = \"serial\"\nkind = \"serial\"\npath = \"\(pty.path)\"\nbaud = 115200")
        defer {
            daemon.stop()
            daemon.directory.remove()
        }
        try daemon.start()
        guard let id = try daemon.post("/v1/volunteers", ["name": "bench"]).json?["id"] as? Int,
            let badge = try daemon.post("/v1/volunteers/\(id)/badges", ["kind": "qr"]).json?["code"] as? String
        else { throw CocoaError(.featureUnsupported) }
        let events = try EventStream(client: daemon.client, after: nil)
        func scan(_ code: String) throws {
            pty.send(code + "\r\n")
            while let event = try events.next(), event.type != "scan" {}
        }
        try scan(badge)
        var samples: [Double] = []
        for _ in 0..<scans {
            let start = ContinuousClock.now
            try scan("YZ:C:extinguisher-1")
            samples.append(seconds(ContinuousClock.now - start))
        }
        return figures(samples)
    }
}
