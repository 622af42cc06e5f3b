import ESCPOS
import Foundation
import YizhanClient
import YizhanConfig
import YizhanCore
import YizhanDevices
import YizhanWire

/// What hostile bytes can reach: each target feeds one input to one parser and checks what
/// must hold of its answer. A crash or a failed check is a finding.
enum FuzzTarget: String, CaseIterable {
    case scanCode = "scan-code"
    case lineFramer = "line-framer"
    case keyEvents = "key-events"
    case hidPOS = "hid-pos"
    case printerStatus = "printer-status"
    case config
    case requestBody = "request-body"
    case chunkedAnswer = "chunked-answer"

    func run(_ bytes: [UInt8]) {
        switch self {
        case .scanCode: Self.scanCode(bytes)
        case .lineFramer: Self.lineFramer(bytes)
        case .keyEvents: Self.keyEvents(bytes)
        case .hidPOS: Self.hidPOS(bytes)
        case .printerStatus: Self.printerStatus(bytes)
        case .config: Self.config(bytes)
        case .requestBody: Self.requestBody(bytes)
        case .chunkedAnswer: Self.chunkedAnswer(bytes)
        }
    }

    /// Scanner bytes to a code: text only when short, printable and UTF-8; the log form
    /// printable ASCII and bounded.
    static func scanCode(_ bytes: [UInt8]) {
        if case .success(let text) = ScanRejection.text(from: bytes) {
            check(text.utf8.count <= ScanCode.maximumLength && !text.unicodeScalars.contains { $0.value < 0x20 }, "accepted a bad scan")
            _ = ScanCode.parse(text)
        }
        let logged = ScanRejection.sanitised(bytes)
        check(logged.utf8.allSatisfy { $0 >= 0x20 } && logged.count <= ScanRejection.loggedPrefix * 4 + 24, "a log line that is not clean")
    }

    /// Serial framing, fed in two pieces: lines never hold a line end or exceed the limit.
    static func lineFramer(_ bytes: [UInt8]) {
        var framer = LineFramer(limit: 64)
        let split = Int(bytes.first ?? 0) % (bytes.count + 1)
        let frames = framer.feed(bytes[..<split]) + framer.feed(bytes[split...]) + [framer.pause()].compactMap { $0 }
        for frame in frames {
            switch frame {
            case .line(let line), .incomplete(let line):
                check(!line.isEmpty && line.count <= 64 && !line.contains(0x0A) && !line.contains(0x0D), "a bad line")
            case .overflow(let length, let prefix): check(length > 64 && prefix.count <= 64, "a bad overflow")
            }
        }
    }

    /// One keymap for all inputs: compiling it takes milliseconds. libFuzzer calls from one
    /// thread; modifiers held at the end of an input carry into the next, as on a device.
    nonisolated(unsafe) static let keyboard = try! KeyboardDecoder(layout: "us")

    /// Raw `input_event`s from a keyboard-wedge scanner: scans hold no control characters.
    static func keyEvents(_ bytes: [UInt8]) {
        var framer = KeyEventFramer(decoder: keyboard, endsOnPause: bytes.first.map { $0 & 1 == 1 } ?? false, limit: 64)
        for frame in framer.feed(bytes) + [framer.pause()].compactMap({ $0 }) {
            if case .line(let line) = frame {
                check(
                    line.count <= 64 && String(decoding: line, as: UTF8.self).unicodeScalars.allSatisfy { $0.value >= 0x20 }, "a bad scan")
            }
        }
    }

    /// A HID report descriptor (its length in the first byte) and reports after it.
    static func hidPOS(_ bytes: [UInt8]) {
        let length = min(Int(bytes.first ?? 0), max(0, bytes.count - 1))
        guard var decoder = try? HIDPOSDecoder(descriptor: Array(bytes.dropFirst().prefix(length)), limit: 64) else { return }
        for frame in decoder.feed(Array(bytes.dropFirst(1 + length))) {
            if case .line(let line) = frame { check(!line.isEmpty && line.count <= 64, "a bad scan") }
        }
    }

    /// `DLE EOT` replies: only well-formed bytes say anything, and ready means ready.
    static func printerStatus(_ bytes: [UInt8]) {
        let reply = { (index: Int) in index < bytes.count ? bytes[index] : nil }
        let (printer, cause, paper) = (reply(0), reply(1), reply(2))
        let condition = RealTimeStatus.condition(printer: printer, offlineCause: cause, paper: paper)
        if let printer, let paper, RealTimeStatus.isWellFormed(printer), RealTimeStatus.isWellFormed(paper) {
            if condition == .ready { check(printer & 0x08 == 0 && paper & 0x6C == 0, "ready while not") }
        } else {
            check(condition == .unknown, "a malformed reply read as a condition")
        }
    }

    /// Any text as the config file: a config or a list of problems, nothing else.
    static func config(_ bytes: [UInt8]) {
        do {
            _ = try ConfigLoader.parse(String(decoding: bytes, as: UTF8.self), file: "fuzz.toml")
        } catch {
            check(!error.problems.isEmpty, "an error without a problem")
        }
    }

    /// A request body, as every route's body type: a body or a refusal with its code, and a
    /// body only from a JSON object with no field the type does not list.
    static func requestBody(_ bytes: [UInt8]) {
        let data = Data(bytes)
        for type in requestBodyTypes {
            do {
                _ = try type.decode(from: data)
                let object = bytes.isEmpty ? [:] : (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
                check(object.map { Set($0.keys).isSubset(of: type.fields) } == true, "accepted a body with unknown fields")
            } catch {
                check(!error.message.isEmpty, "a refusal without a reason")
            }
        }
    }

    /// A chunked answer from the daemon's socket, fed whole, in two pieces and a byte at a
    /// time: the same data and the same verdict however the socket splits it, and never
    /// more data than bytes.
    static func chunkedAnswer(_ bytes: [UInt8]) {
        struct Outcome: Equatable {
            var data: [UInt8] = []
            var ended = false
        }
        func decode(_ pieces: [ArraySlice<UInt8>]) -> Outcome? {
            var body = ChunkedBody()
            var outcome = Outcome()
            for piece in pieces {
                do throws(UnixHTTPClient.Failure) { try body.decode(piece) { outcome.data += $0 } } catch { return nil }
            }
            outcome.ended = body.isEnded
            return outcome
        }
        let split = Int(bytes.first ?? 0) % (bytes.count + 1)
        let whole = decode([bytes[...]])
        check(decode([bytes[..<split], bytes[split...]]) == whole, "a different answer in two pieces")
        check(decode(bytes.indices.map { bytes[$0...$0] }) == whole, "a different answer a byte at a time")
        check((whole?.data.count ?? 0) <= bytes.count, "more data than bytes")
    }

    static func check(_ condition: Bool, _ finding: String) {
        if !condition { fatalError(finding) }
    }
}
