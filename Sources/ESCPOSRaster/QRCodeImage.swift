import CQREncode
import ESCPOS

/// QR codes drawn by libqrencode: model 2, with the quiet zone of four modules a reader needs.
enum QRCodeImage {
    /// ESC/POS error correction levels (`GS ( k` function 169: 48…51) as libqrencode's.
    static func level(escpos n: UInt8) -> QRecLevel? {
        switch n {
        case 48: QR_ECLEVEL_L
        case 49: QR_ECLEVEL_M
        case 50: QR_ECLEVEL_Q
        case 51: QR_ECLEVEL_H
        default: nil
        }
    }

    /// The symbol for `payload` (`QRcode_encodeData`) with `moduleSize` dots a module, or
    /// smaller modules when that is too wide for `width`; centred across `width`. Nil when
    /// the payload is empty or does not fit.
    static func draw(_ payload: [UInt8], moduleSize: Int, level: QRecLevel = QR_ECLEVEL_M, width: Int) -> Bitmap? {
        guard !payload.isEmpty, let code = QRcode_encodeData(Int32(payload.count), payload, 0, level) else { return nil }
        defer { QRcode_free(code) }
        let modules = Int(code.pointee.width)
        let quietZone = 4
        var size = max(1, moduleSize)
        while size > 1 && (modules + 2 * quietZone) * size > width { size -= 1 }
        guard (modules + 2 * quietZone) * size <= width else { return nil }
        var image = Bitmap(width: width, height: (modules + 2 * quietZone) * size)
        let left = (width - modules * size) / 2
        let top = quietZone * size
        for row in 0..<modules {
            for column in 0..<modules where code.pointee.data[row * modules + column] & 1 != 0 {
                for dy in 0..<size {
                    for dx in 0..<size { image[left + column * size + dx, top + row * size + dy] = true }
                }
            }
        }
        return image
    }
}
