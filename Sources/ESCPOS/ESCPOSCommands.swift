/// ESC/POS command bytes, named as in the ESC/POS reference.
public enum ESCPOSCommand {
    /// `ESC @`: initialise the printer.
    public static let initialize: [UInt8] = [0x1B, 0x40]
    /// `FS &`: enter Chinese character mode.
    public static let chineseOn: [UInt8] = [0x1C, 0x26]
    /// `FS .`: leave Chinese character mode.
    public static let chineseOff: [UInt8] = [0x1C, 0x2E]
    /// `LF`: print and feed one line.
    public static let lineFeed: [UInt8] = [0x0A]
    /// `GS V 66 n`: feed n dots and cut partially.
    public static func feedAndCut(_ dots: UInt8 = 0) -> [UInt8] { [0x1D, 0x56, 0x42, dots] }
    /// `ESC d n`: print and feed n lines.
    public static func feedLines(_ lines: UInt8) -> [UInt8] { [0x1B, 0x64, lines] }

    /// `ESC a n`: justification.
    public enum Alignment: UInt8, Sendable {
        case left = 0
        case center = 1
        case right = 2
    }
    public static func align(_ alignment: Alignment) -> [UInt8] { [0x1B, 0x61, alignment.rawValue] }
    /// `ESC E n`: emphasised (bold) on or off.
    public static func bold(_ on: Bool) -> [UInt8] { [0x1B, 0x45, on ? 1 : 0] }
    /// `GS ! n`: character size; width and height multipliers 1…8.
    public static func size(width: UInt8, height: UInt8) -> [UInt8] { [0x1D, 0x21, ((width - 1) << 4) | (height - 1)] }
    /// `FS !` n: Chinese character print mode; 0x0C is double width and height.
    public static func chineseSize(double: Bool) -> [UInt8] { [0x1C, 0x21, double ? 0x0C : 0x00] }

    /// `GS ( k` function 165/167/169/180/181: a QR code printed by the printer itself, model 2,
    /// error correction M, with `moduleSize` dots per module.
    public static func qrCode(_ payload: [UInt8], moduleSize: UInt8 = 6) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes += [0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]  // fn 165: model 2
        bytes += [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, moduleSize]  // fn 167: module size
        bytes += [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31]  // fn 169: error correction M
        let length = payload.count + 3
        bytes += [0x1D, 0x28, 0x6B, UInt8(length & 0xFF), UInt8(length >> 8), 0x31, 0x50, 0x30]  // fn 180: store
        bytes += payload
        bytes += [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30]  // fn 181: print
        return bytes
    }

    /// The most bytes of image data in one `GS v 0` command. Cheap printers take a raster
    /// command into a receive buffer of a few KiB; a taller image goes as several bands.
    public static let rasterBandBytes = 4096

    /// `GS v 0 m xL xH yL yH d…`: prints `image` at normal density, in bands of at most
    /// `bandBytes` bytes of data each.
    public static func rasterImage(_ image: Bitmap, bandBytes: Int = rasterBandBytes) -> [UInt8] {
        guard image.width > 0, image.height > 0 else { return [] }
        let rowsPerBand = max(1, bandBytes / image.bytesPerRow)
        var bytes: [UInt8] = []
        for top in stride(from: 0, to: image.height, by: rowsPerBand) {
            let band = image.rows(top..<min(image.height, top + rowsPerBand))
            bytes += [0x1D, 0x76, 0x30, 0x00]
            bytes += [UInt8(band.bytesPerRow & 0xFF), UInt8(band.bytesPerRow >> 8)]
            bytes += [UInt8(band.height & 0xFF), UInt8(band.height >> 8)]
            bytes += band.bits
        }
        return bytes
    }
}
