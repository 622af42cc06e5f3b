import ESCPOS
import YizhanCore

/// Draws text lines and QR codes the way a printer with the font would: characters on the
/// receipt grid (12 × 24 dots, Chinese 24 × 24, doubled when large), lines 30 dots apart.
public struct RasterRenderer: Rasterizer {
    /// Dots between the lines' character cells, as a printer's default line spacing leaves.
    static let lineGap = 6
    static let cellHeight = 24

    public let font: ReceiptFont

    public init(font: ReceiptFont) {
        self.font = font
    }

    public func line(_ text: String, large: Bool, bold: Bool, alignment: ESCPOSCommand.Alignment, width: Int) -> Bitmap {
        let scale = large ? 2 : 1
        let height = Self.cellHeight * scale
        var image = Bitmap(width: width, height: height + Self.lineGap)
        let textWidth = TextLayout.width(text) * Self.cellHeight / 2 * scale
        var x =
            switch alignment {
            case .left: 0
            case .center: max(0, (width - textWidth) / 2)
            case .right: max(0, width - textWidth)
            }
        let baseline = font.baseline(pixelSize: height)
        for scalar in text.unicodeScalars {
            let glyph = font.glyph(scalar, pixelSize: height)
            image.draw(glyph.image, x: x + glyph.left, y: baseline - glyph.top)
            // Emphasis as a printer does it: the same dots again, one to the right.
            if bold { image.draw(glyph.image, x: x + glyph.left + 1, y: baseline - glyph.top) }
            x += TextLayout.width(of: scalar) * Self.cellHeight / 2 * scale
        }
        return image
    }

    public func qrCode(_ payload: [UInt8], moduleSize: Int, width: Int) -> Bitmap? {
        QRCodeImage.draw(payload, moduleSize: moduleSize, width: width)
    }
}
