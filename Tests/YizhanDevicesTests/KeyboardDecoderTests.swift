import Testing
import YizhanDevices
import YizhanTestSupport

/// Key sequences as a scanner sends them for each layout, from the layouts' published
/// charts, decoded back to the scan's text.
@Suite struct KeyboardDecoderTests {
    /// Linux key codes used below.
    enum Key {
        static let leftShift: UInt16 = 42
        static let rightAlt: UInt16 = 100  // AltGr
        static let leftAlt: UInt16 = 56
        static let capsLock: UInt16 = 58
        static let numLock: UInt16 = 69
        static let enter: UInt16 = 28
        static let kpEnter: UInt16 = 96
        static let tab: UInt16 = 15
    }

    /// One keystroke: the key with modifiers held around it.
    struct Stroke {
        var code: UInt16
        var modifiers: [UInt16] = []
        static func shift(_ code: UInt16) -> Stroke { Stroke(code: code, modifiers: [Key.leftShift]) }
        static func altGr(_ code: UInt16) -> Stroke { Stroke(code: code, modifiers: [Key.rightAlt]) }
    }

    func decode(_ layout: String, _ strokes: [Stroke], terminator: UInt16 = Key.enter) throws -> (text: String, terminated: Bool) {
        let decoder = try KeyboardDecoder(layout: layout)
        var text = ""
        var terminated = false
        func event(_ code: UInt16, _ pressed: Bool) {
            switch decoder.key(code: code, pressed: pressed) {
            case .text(let piece): text += piece
            case .terminator: terminated = true
            case nil: break
            }
        }
        for stroke in strokes {
            for modifier in stroke.modifiers { event(modifier, true) }
            event(stroke.code, true)
            event(stroke.code, false)
            for modifier in stroke.modifiers.reversed() { event(modifier, false) }
        }
        event(terminator, true)
        event(terminator, false)
        return (text, terminated)
    }

    @Test func usLayout() throws {
        // Y Z : C : a / b @ " and keypad 1 2
        let strokes: [Stroke] = [
            .shift(21), .shift(44), .shift(39), .shift(46), .shift(39), .init(code: 30), .init(code: 53), .init(code: 48),
            .shift(3), .shift(40), .init(code: 79), .init(code: 80),
        ]
        #expect(try decode("us", strokes) == ("YZ:C:a/b@\"12", true))
    }

    @Test func gbLayoutSwapsTheAtSignAndTheQuote() throws {
        let strokes: [Stroke] = [.shift(21), .shift(44), .shift(39), .init(code: 53), .shift(40), .shift(3)]
        #expect(try decode("gb", strokes).text == "YZ:/@\"")
    }

    @Test func deLayoutHasZAndYSwappedAndAltGrForTheAtSign() throws {
        // Y is on the Z key and Z on the Y key; ":" is Shift+.; "/" is Shift+7; "@" is AltGr+Q; "\"" is Shift+2.
        let strokes: [Stroke] = [.shift(44), .shift(21), .shift(52), .shift(8), .altGr(16), .shift(3), .init(code: 21)]
        #expect(try decode("de", strokes).text == "YZ:/@\"z")
    }

    @Test func frLayoutIsAZERTY() throws {
        // A is on the Q key; digits need Shift; ":" is its own key; "/" is Shift+:; "@" is AltGr+à; "\"" is the 3 key.
        let strokes: [Stroke] = [.shift(16), .shift(2), .init(code: 52), .shift(52), .altGr(11), .init(code: 4), .init(code: 30)]
        #expect(try decode("fr", strokes).text == "A1:/@\"q")
    }

    @Test func capsLockAndNumLockAreFollowed() throws {
        let strokes: [Stroke] = [
            .init(code: Key.capsLock), .init(code: 30), .shift(30), .init(code: Key.capsLock), .init(code: 30),
            .init(code: 82), .init(code: Key.numLock), .init(code: 82), .init(code: Key.numLock), .init(code: 73),
        ]
        #expect(try decode("us", strokes).text == "Aaa09", "NumLock off turns keypad 0 into Insert")
    }

    @Test func altAndKeypadDigitsTypeACharacterByItsCode() throws {
        // Alt held, keypad 6 4 → "@"; Alt held, keypad 1 9 9 7 0 → "丂" (U+4E02).
        let decoder = try KeyboardDecoder(layout: "us")
        var text = ""
        for sequence in [[77, 75], [79, 73, 73, 71, 82]] as [[UInt16]] {
            _ = decoder.key(code: Key.leftAlt, pressed: true)
            for code in sequence {
                _ = decoder.key(code: code, pressed: true)
                _ = decoder.key(code: code, pressed: false)
            }
            if case .text(let piece) = decoder.key(code: Key.leftAlt, pressed: false) { text += piece }
        }
        #expect(text == "@丂")
    }

    @Test func theTerminatorIsConfigurable() throws {
        #expect(try decode("us", [.init(code: 30)], terminator: Key.kpEnter) == ("a", true))
        let tabOnly = try KeyboardDecoder(layout: "us", terminators: [.tab])
        #expect(tabOnly.key(code: Key.enter, pressed: true) == nil)
        #expect(tabOnly.key(code: Key.tab, pressed: true) == .terminator)
    }

    @Test func anUnknownLayoutIsAnError() {
        #expect(throws: DeviceError.self) { try KeyboardDecoder(layout: "klingon") }
    }
}

/// Raw `input_event`s as the device node gives them, in pieces of any size.
@Suite struct KeyEventFramerTests {
    @Test func eventsSplitAnywhereMakeTheSameScans() throws {
        let stream = ScannerInput.inputEvents("YZ:C:extinguisher-1", enter: true) + ScannerInput.inputEvents("04A1B2C3", enter: true)
        for piece in [1, 7, 24, 25, 1000] {
            var framer = KeyEventFramer(decoder: try KeyboardDecoder(layout: "us"), endsOnPause: false)
            var frames: [LineFramer.Frame] = []
            for start in stride(from: 0, to: stream.count, by: piece) {
                frames += framer.feed(Array(stream[start..<min(stream.count, start + piece)]))
            }
            #expect(frames == [.line(Array("YZ:C:extinguisher-1".utf8)), .line(Array("04A1B2C3".utf8))], "pieces of \(piece)")
            #expect(!framer.isInsideScan)
        }
    }

    @Test func aPauseEndsAScanFromAReaderWithoutTerminatorAndRepeatsAreIgnored() throws {
        var framer = KeyEventFramer(decoder: try KeyboardDecoder(layout: "us", terminators: []), endsOnPause: true, limit: 4)
        var events = ScannerInput.inputEvents("12", enter: false)
        // An autorepeat of "2" (value 2) adds nothing.
        events += [UInt8](repeating: 0, count: 16) + [1, 0, 3, 0, 2, 0, 0, 0]
        #expect(framer.feed(events).isEmpty)
        #expect(framer.isInsideScan)
        #expect(framer.pause() == .line(Array("12".utf8)))
        #expect(framer.pause() == nil, "nothing left")
        #expect(framer.feed(ScannerInput.inputEvents("123456", enter: false)).isEmpty)
        #expect(framer.pause() == .overflow(length: 6, prefix: Array("12345".utf8)), "longer than the limit; one past it is kept")
    }

    @Test func aReaderThatNeverSendsItsTerminatorCostsABoundedBuffer() throws {
        var framer = KeyEventFramer(decoder: try KeyboardDecoder(layout: "us"), endsOnPause: false, limit: 512)
        let events = ScannerInput.inputEvents("1234567890", enter: false)
        for _ in 0..<5_000 { #expect(framer.feed(events).isEmpty) }
        let ended = framer.feed(ScannerInput.inputEvents("", enter: true))
        #expect(ended == [.overflow(length: 50_000, prefix: Array(String(repeating: "1234567890", count: 7).utf8.prefix(64)))])
    }

    /// The kernel's buffer for a reader that fell behind overflows: it drops the oldest
    /// events and says so with `SYN_DROPPED` before the ones it kept.
    @Test func aScanWhoseEventsTheKernelDroppedIsIncompleteAndTheNextIsRead() throws {
        func event(type: UInt16, code: UInt16, value: Int32) -> [UInt8] {
            [UInt8](repeating: 0, count: 16) + withUnsafeBytes(of: type.littleEndian, Array.init)
                + withUnsafeBytes(of: code.littleEndian, Array.init) + withUnsafeBytes(of: value.littleEndian, Array.init)
        }
        let dropped = event(type: 0, code: 3, value: 0)
        let shiftPressed = event(type: 1, code: 42, value: 1) + event(type: 0, code: 0, value: 0)
        var framer = KeyEventFramer(decoder: try KeyboardDecoder(layout: "us"), endsOnPause: false)
        // "YZ:C:ext", its Shift held for a capital whose release was among the lost events,
        // then the end of "YZ:C:extinguisher-1": not the code its last characters spell.
        var events = ScannerInput.inputEvents("YZ:C:ext", enter: false) + shiftPressed + dropped
        events += ScannerInput.inputEvents("inguisher-1", enter: true) + ScannerInput.inputEvents("04A1B2C3", enter: true)
        #expect(framer.feed(events) == [.incomplete(Array("YZ:C:extinguisher-1".utf8)), .line(Array("04A1B2C3".utf8))])
        // Lost at the start of a scan: still incomplete, though nothing came before the drop.
        #expect(framer.feed(dropped + ScannerInput.inputEvents("B2C3", enter: true)) == [.incomplete(Array("B2C3".utf8))])
        // A reader without a terminator: the pause ends it, incomplete.
        var reader = KeyEventFramer(decoder: try KeyboardDecoder(layout: "us", terminators: []), endsOnPause: true)
        #expect(reader.feed(dropped + ScannerInput.inputEvents("B2C3", enter: false)).isEmpty)
        #expect(reader.pause() == .incomplete(Array("B2C3".utf8)))
        #expect(reader.feed(ScannerInput.inputEvents("04A1B2C3", enter: false)).isEmpty)
        #expect(reader.pause() == .line(Array("04A1B2C3".utf8)))
    }

    @Test func aPauseInsideAScanThatHasATerminatorIsIncomplete() throws {
        var framer = KeyEventFramer(decoder: try KeyboardDecoder(layout: "us"), endsOnPause: false)
        #expect(framer.feed(ScannerInput.inputEvents("04A1", enter: false)).isEmpty)
        #expect(framer.pause() == .incomplete(Array("04A1".utf8)), "half a card is not a card")
        #expect(framer.feed(ScannerInput.inputEvents("04A1B2C3", enter: true)) == [.line(Array("04A1B2C3".utf8))])
    }
}
