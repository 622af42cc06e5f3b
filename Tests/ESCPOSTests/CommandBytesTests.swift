import ESCPOS
import Testing

/// Command bytes as the ESC/POS reference writes them.
@Suite struct CommandBytesTests {
    @Test func basicCommands() {
        #expect(ESCPOSCommand.initialize == [0x1B, 0x40])
        #expect(ESCPOSCommand.lineFeed == [0x0A])
        #expect(ESCPOSCommand.feedLines(3) == [0x1B, 0x64, 0x03])
        #expect(ESCPOSCommand.feedAndCut() == [0x1D, 0x56, 0x42, 0x00], "GS V 66 0: feed to the cutter and cut partially")
        #expect(ESCPOSCommand.align(.center) == [0x1B, 0x61, 0x01])
        #expect(ESCPOSCommand.align(.right) == [0x1B, 0x61, 0x02])
        #expect(ESCPOSCommand.bold(true) == [0x1B, 0x45, 0x01])
        #expect(ESCPOSCommand.bold(false) == [0x1B, 0x45, 0x00])
        #expect(ESCPOSCommand.size(width: 2, height: 2) == [0x1D, 0x21, 0x11], "GS ! n: width in the high nibble, height in the low")
        #expect(ESCPOSCommand.size(width: 1, height: 1) == [0x1D, 0x21, 0x00])
        #expect(ESCPOSCommand.chineseOn == [0x1C, 0x26])
        #expect(ESCPOSCommand.chineseOff == [0x1C, 0x2E])
        #expect(ESCPOSCommand.chineseSize(double: true) == [0x1C, 0x21, 0x0C], "FS ! bits 2 and 3: double width and height")
        #expect(RealTimeStatus.request(4) == [0x10, 0x04, 0x04])
    }

    @Test func qrCodeFunctions() {
        let bytes = ESCPOSCommand.qrCode(Array("YZ:R:K7".utf8), moduleSize: 6)
        let expected: [UInt8] =
            [0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]  // fn 165, model 2
            + [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 0x06]  // fn 167, 6 dots a module
            + [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31]  // fn 169, level M
            + [0x1D, 0x28, 0x6B, 0x0A, 0x00, 0x31, 0x50, 0x30] + Array("YZ:R:K7".utf8)  // fn 180, pL pH = 7 + 3
            + [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30]  // fn 181, print
        #expect(bytes == expected)
    }

    @Test func rasterImageHeaderAndDots() {
        var image = Bitmap(width: 10, height: 2)
        image[0, 0] = true
        image[9, 0] = true
        image[4, 1] = true
        // GS v 0 m=0, xL xH = 2 bytes a row, yL yH = 2 rows; leftmost dot in the high bit.
        #expect(ESCPOSCommand.rasterImage(image) == [0x1D, 0x76, 0x30, 0x00, 0x02, 0x00, 0x02, 0x00, 0x80, 0x40, 0x08, 0x00])
    }

    @Test func tallImagesGoInBandsThatFitTheBuffer() {
        var image = Bitmap(width: 384, height: 200)
        for y in 0..<200 { image[y, y] = true }
        let bytes = ESCPOSCommand.rasterImage(image)
        var bands: [(rows: Int, data: [UInt8])] = []
        var index = 0
        while index < bytes.count {
            #expect(Array(bytes[index..<(index + 4)]) == [0x1D, 0x76, 0x30, 0x00])
            let rowBytes = Int(bytes[index + 4]) | Int(bytes[index + 5]) << 8
            let rows = Int(bytes[index + 6]) | Int(bytes[index + 7]) << 8
            #expect(rowBytes == 48)
            bands.append((rows, Array(bytes[(index + 8)..<(index + 8 + rowBytes * rows)])))
            index += 8 + rowBytes * rows
        }
        #expect(bands.map(\.rows) == [85, 85, 30], "4096 / 48 = 85 rows a band")
        #expect(bands.allSatisfy { $0.data.count <= ESCPOSCommand.rasterBandBytes })
        #expect(bands.flatMap(\.data) == image.bits)
    }

    @Test func statusReplies() {
        #expect(RealTimeStatus.condition(printer: 0x12, offlineCause: 0x12, paper: 0x12) == .ready)
        #expect(RealTimeStatus.condition(printer: 0x12, offlineCause: 0x12, paper: 0x1E) == .paperNearEnd)
        #expect(RealTimeStatus.condition(printer: 0x1A, offlineCause: 0x12, paper: 0x72) == .paperOut)
        #expect(RealTimeStatus.condition(printer: 0x1A, offlineCause: 0x16, paper: 0x12) == .coverOpen)
        #expect(RealTimeStatus.condition(printer: 0x1A, offlineCause: 0x12, paper: 0x12) == .offline)
        #expect(RealTimeStatus.condition(printer: 0x00, offlineCause: 0x12, paper: 0x12) == .unknown, "fixed bits wrong: not a status")
        #expect(RealTimeStatus.condition(printer: nil, offlineCause: nil, paper: nil) == .unknown)
    }
}
