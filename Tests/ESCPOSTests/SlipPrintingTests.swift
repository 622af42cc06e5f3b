import ESCPOSRaster
import Foundation
import Testing
import YizhanCore
import YizhanTestSupport

@testable import ESCPOS

/// Every slip, on both paper widths, in every Chinese mode and both QR modes, printed on
/// the virtual printer and checked by independent oracles: the QR code read back by zbar,
/// the Chinese bytes decoded by Python's codecs.
@Suite struct SlipPrintingTests {
    static let font = try! ReceiptFont()
    let builder = SlipBuilder(rules: Fixtures.rules())
    let now = Instant(wall: Fixtures.date("2026-11-29 09:41"), monotonicNanoseconds: 1, boot: "b", synchronised: true)

    func renderer(width: Int, chinese: ChineseMode, qr: QRMode) -> SlipRenderer {
        SlipRenderer(
            profile: PrinterProfile(widthDots: width, chinese: chinese, qr: qr), stationName: "朝阳区望京街道工会驿站",
            calendar: Fixtures.calendar, rasterizer: RasterRenderer(font: Self.font))
    }

    func printed(_ slip: Slip, width: Int, chinese: ChineseMode, qr: QRMode) throws -> VirtualPrinter.Output {
        let bytes = renderer(width: width, chinese: chinese, qr: qr).render(slip)
        return try VirtualPrinter(widthDots: width, chinese: chinese, font: Self.font).print(bytes)
    }

    @Test(arguments: [384, 576], QRMode.allCases)
    func everyQRCodeReadsBackToItsPayload(width: Int, qr: QRMode) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for kind in Slip.Kind.allCases {
            let slip = builder.sample(kind, at: now)
            guard let payload = slip.qr else { continue }
            for chinese in ChineseMode.allCases {
                let output = try printed(slip, width: width, chinese: chinese, qr: qr)
                let image = directory.file("\(kind.rawValue)-\(chinese.rawValue).png")
                try Data(PNGImage.encode(output.paper)).write(to: URL(fileURLWithPath: image))
                let decoded = try Command.run("/usr/bin/zbarimg", ["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", image])
                #expect(decoded.status == 0, "\(kind) \(chinese) \(qr) \(width): \(decoded.errors)")
                #expect(decoded.output == payload + "\n", "\(kind) \(chinese) \(qr) \(width)")
                #expect(output.cuts == 1)
            }
        }
    }

    @Test(arguments: [384, 576], [ChineseMode.fsGBK, .gb18030])
    func chineseBytesDecodeWithPythonsCodec(width: Int, chinese: ChineseMode) throws {
        let codec = chinese == .fsGBK ? "gbk" : "gb18030"
        var sent: [[UInt8]] = []
        var expected: [String] = []
        for kind in Slip.Kind.allCases {
            for reprint in [false, true] {
                var slip = builder.sample(kind, at: now)
                slip.reprint = reprint
                let output = try printed(slip, width: width, chinese: chinese, qr: .native)
                let columns = width / 12
                let lines = renderer(width: width, chinese: chinese, qr: .native).layout(slip)
                #expect(output.textLines.count == lines.count)
                for line in lines {
                    #expect(TextLayout.width(line.text) <= (line.large ? columns / 2 : columns), "\(kind): \(line.text)")
                }
                if reprint { #expect(lines.first?.text == "补打 REPRINT") }
                sent += output.textLines
                expected += lines.map(\.text)
            }
        }
        let decoded = try PythonCodec.decode(sent, codec: codec)
        #expect(decoded == expected)
        #expect(decoded.contains { $0.contains("巡查记录") } && decoded.contains { $0.contains("隐患整改通知") })
    }

    @Test func charactersTheSetLacksAreMappedNotGarbled() throws {
        let slip = Slip(kind: .testPage, title: "测试", lines: [.text("价格 ¥5 — 好…")], issuedAt: now)
        let output = try printed(slip, width: 384, chinese: .fsGBK, qr: .native)
        let decoded = try PythonCodec.decode(output.textLines, codec: "gbk")
        #expect(decoded.contains("价格 ￥5 － 好..."))
    }

    @Test func unsynchronisedClockIsMarked() throws {
        var late = now
        late.synchronised = false
        let output = try printed(builder.sample(.balance, at: late), width: 576, chinese: .gb18030, qr: .native)
        let decoded = try PythonCodec.decode(output.textLines, codec: "gb18030")
        #expect(decoded.contains { $0.contains("2026-11-29") && $0.hasSuffix("（时钟未校准）") })
    }

    @Test func aPatrolOpenedBeforeTheClockWasSynchronisedSaysSo() throws {
        var opened = now
        opened.synchronised = false
        let patrol = OpenPatrol(id: 7, volunteerID: 1, kind: .daily, openedAt: opened, awardKey: nil)
        let closing = PatrolRulebook(rules: builder.rules).closing(patrol, at: now, tally: AwardTally())
        let slip = builder.patrolFinished(patrol, closing, volunteer: Volunteer(id: 1, name: "张三", role: .volunteer), at: now)
        let decoded = try PythonCodec.decode(try printed(slip, width: 576, chinese: .gb18030, qr: .native).textLines, codec: "gb18030")
        let marked = decoded.filter { $0.hasSuffix("（时钟未校准）") }
        #expect(marked.count == 1 && marked[0].hasPrefix("开始 ") && marked[0].hasSuffix(" 2026-11-29 09:41（时钟未校准）"), "\(decoded)")
    }

    @Test(arguments: [384, 576])
    func rasterChineseSendsNoTextAndInksEveryLine(width: Int) throws {
        for kind in Slip.Kind.allCases {
            let slip = builder.sample(kind, at: now)
            let output = try printed(slip, width: width, chinese: .raster, qr: .raster)
            #expect(output.textLines.isEmpty, "a printer without the font gets images only")
            // Each 30-dot text line of the image has ink, as many as the layout has lines.
            let lines = renderer(width: width, chinese: .raster, qr: .raster).layout(slip)
            var top = 0
            for line in lines {
                let height = line.large ? 54 : 30
                let inked = (top..<(top + height)).contains { y in (0..<width).contains { output.paper[$0, y] } }
                #expect(inked || line.text.allSatisfy(\.isWhitespace), "\(kind): \(line.text)")
                top += height
            }
        }
    }

    @Test func centredRasterLinesAreCentred() throws {
        let line = RasterRenderer(font: Self.font).line("工会驿站", large: false, bold: false, alignment: .center, width: 384)
        let inked = (0..<384).filter { x in (0..<line.height).contains { line[x, $0] } }
        let left = try #require(inked.first)
        let right = try #require(inked.last)
        // Four 24-dot cells centred on 384 dots span 144…239; glyphs sit inside their cells.
        #expect(left >= 144 && right <= 240)
        #expect(abs((left + right) / 2 - 192) <= 4)
    }

    @Test func virtualPrinterRefusesWhatTheEncoderNeverSends() {
        let printer = VirtualPrinter(widthDots: 384, chinese: .fsGBK, font: Self.font)
        #expect(throws: VirtualPrinter.Fault.self) { try printer.print([0x1B, 0x40, 0xD6, 0xD0, 0x0A]) }  // GBK without FS &
        #expect(throws: VirtualPrinter.Fault.self) { try printer.print([0x1D, 0x76, 0x30, 0x00, 0x30, 0x00, 0x10]) }  // cut short
        #expect(throws: VirtualPrinter.Fault.self) { try printer.print(Array("no line feed".utf8)) }
    }
}

/// Python's own codecs, as the oracle for the bytes sent to the printer.
enum PythonCodec {
    static func decode(_ lines: [[UInt8]], codec: String) throws -> [String] {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let input = directory.file("lines.hex")
        try lines.map { $0.map { String(format: "%02x", $0) }.joined() }.joined(separator: "\n").write(
            toFile: input, atomically: true, encoding: .utf8)
        let script = """
            import json, sys
            lines = open(sys.argv[1]).read().split("\\n")
            print(json.dumps([bytes.fromhex(l).decode(sys.argv[2], "strict") for l in lines]))
            """
        let result = try Command.run("/usr/bin/python3", ["-c", script, input, codec])
        guard result.status == 0 else { throw CodecError(message: result.errors) }
        return try JSONDecoder().decode([String].self, from: Data(result.output.utf8))
    }

    struct CodecError: Error {
        var message: String
    }
}
