import Testing
import YizhanCore

@Suite struct ScanCodeTests {
    @Test func parsesEveryKindOfCode() {
        let token = "abcdefghijklmnopqrstuv"
        #expect(ScanCode.parse("YZ:B:\(token)") == .success(.badge(token: token)))
        #expect(ScanCode.parse("YZ:C:extinguisher-1") == .success(.checkpoint(id: "extinguisher-1")))
        #expect(ScanCode.parse("YZ:I:towel") == .success(.item(id: "towel")))
        #expect(ScanCode.parse("YZ:R:K7Q2M9XA0B") == .success(.redemption(code: "K7Q2M9XA0B")))
        #expect(ScanCode.parse("YZ:K:HAZARD") == .success(.command(.hazard)))
        #expect(ScanCode.parse("YZ:K:BALANCE") == .success(.command(.balance)))
        #expect(ScanCode.parse("YZ:K:CANCEL") == .success(.command(.cancel)))
    }

    @Test func cardUIDsAreNormalisedToUpperCase() {
        #expect(ScanCode.parse("04a1b2c3") == .success(.card(uid: "04A1B2C3")))
        #expect(ScanCode.parse("0012345678") == .success(.card(uid: "0012345678")))
    }

    @Test(arguments: [
        "hello", "YZ:B:short", "YZ:X:thing", "YZ:C:", "YZ:C:UPPER", "YZ:K:SELFDESTRUCT", "https://example.com/wrapper",
        "YZ:B:abcdefghijklmnopqrstu!",
        "123",
    ])
    func unknownCodesAreRejected(payload: String) {
        #expect(ScanCode.parse(payload) == .failure(.unknown))
    }

    @Test func oversizedAndControlBytesAreRejected() {
        #expect(ScanCode.parse(String(repeating: "A", count: 513)) == .failure(.tooLong))
        #expect(ScanCode.parse("YZ:C:extinguisher-1\u{7}") == .failure(.controlBytes))
        #expect(ScanCode.parse("") == .failure(.empty))
        #expect(ScanRejection.text(from: [0x59, 0x5A, 0xFF, 0xFE]) == .failure(.notUTF8))
        #expect(ScanRejection.text(from: Array("YZ:C:a\tb".utf8)) == .failure(.controlBytes))
    }

    @Test func logsKeepOnlyASanitisedPrefix() {
        let raw: [UInt8] = Array("ab\\".utf8) + [0x00, 0xFF] + [UInt8](repeating: 0x41, count: 100)
        let text = ScanRejection.sanitised(raw)
        #expect(text == "ab\\x5c\\x00\\xffAAA…(105 bytes)")
    }

    @Test func aNearMissBadgeIsLoggedWithoutItsToken() {
        let token = "q7Vd0cWmR2xPz9LbT4nKfA"
        for nearMiss in ["YZ;B;\(token)", "yz:b:\(token)", "YZ:B:\(token)!"] {
            let logged = ScanRejection.sanitised(Array(nearMiss.utf8))
            #expect(!logged.contains(token.prefix(4)), "\(logged)")
        }
    }
}
