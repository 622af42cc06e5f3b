/// What the encoder needs to know about a printer.
public struct PrinterProfile: Sendable, Hashable {
    /// Printable width in dots: 384 for 58 mm paper, 576 for 80 mm.
    public var widthDots: Int
    public var chinese: ChineseMode

    public init(widthDots: Int = 384, chinese: ChineseMode = .fsGBK) {
        self.widthDots = widthDots
        self.chinese = chinese
    }

    /// Columns of the standard 12-dot font: 32 on 58 mm, 48 on 80 mm. A Chinese character
    /// takes two.
    public var columns: Int { widthDots / 12 }
}
