/// What the encoder needs to know about a printer.
public struct PrinterProfile: Sendable, Hashable {
    /// Printable width in dots: 384 for 58 mm paper, 576 for 80 mm.
    public var widthDots: Int
    public var chinese: ChineseMode
    public var qr: QRMode

    public init(widthDots: Int = 384, chinese: ChineseMode = .fsGBK, qr: QRMode = .native) {
        self.widthDots = widthDots
        self.chinese = chinese
        self.qr = qr
    }

    /// Columns of the standard 12-dot font: 32 on 58 mm, 48 on 80 mm. A Chinese character
    /// takes two.
    public var columns: Int { widthDots / 12 }

    /// Dots a QR module takes: larger on wide paper, where there is room.
    public var qrModuleSize: Int { widthDots >= 576 ? 8 : 6 }
}

/// How a slip's QR code reaches the paper (SPEC 5); both must decode to the same payload.
public enum QRMode: String, Sendable, CaseIterable {
    /// The printer draws it from `GS ( k`.
    case native
    /// A QR library draws it here and it is sent as a raster image.
    case raster
}

/// Draws what a printer without the font or the QR function cannot: text lines in the
/// receipt font's grid (12 × 24 dots, Chinese 24 × 24) and QR codes, as one-bit images.
public protocol Rasterizer: Sendable {
    /// One line of text across `width` dots; `large` doubles width and height.
    func line(_ text: String, large: Bool, bold: Bool, alignment: ESCPOSCommand.Alignment, width: Int) -> Bitmap
    /// A model 2 QR code, error correction M, centred across `width` dots with `moduleSize`
    /// dots a module; nil when the payload does not fit a QR code.
    func qrCode(_ payload: [UInt8], moduleSize: Int, width: Int) -> Bitmap?
}

/// Where the font for rasterised text is found unless the config names another: WenQuanYi
/// Micro Hei from Debian's `fonts-wqy-microhei`, whose face 1 (Mono) has Latin letters half
/// as wide as its Chinese, the printer's own 12- and 24-dot grid.
public enum ReceiptFontFile {
    public static let defaultPath = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    public static let defaultFace = 1
}
