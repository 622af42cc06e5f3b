import YizhanCore

/// Lays out a slip for one printer as ESC/POS bytes: header with the station and the time,
/// the slip's lines fitted to the paper width, an optional QR code, feed and cut.
public struct SlipRenderer: Sendable {
    public let profile: PrinterProfile
    public let stationName: String
    public let calendar: StationCalendar
    private let encoding: ChineseEncoding

    public init(profile: PrinterProfile, stationName: String, calendar: StationCalendar) {
        self.profile = profile
        self.stationName = stationName
        self.calendar = calendar
        self.encoding = ChineseEncoding(mode: profile.chinese)
    }

    /// The complete job for `slip`.
    public func render(_ slip: Slip) -> [UInt8] {
        let columns = profile.columns
        var bytes = ESCPOSCommand.initialize
        if profile.chinese == .fsGBK { bytes += ESCPOSCommand.chineseOn }

        bytes += ESCPOSCommand.align(.center)
        if slip.reprint {
            bytes += large("补打 REPRINT")
        }
        bytes += ESCPOSCommand.bold(true)
        bytes += lines(TextLayout.wrap(stationName, columns: columns))
        bytes += ESCPOSCommand.bold(false)
        bytes += large(slip.title)
        var time = calendar.slipTime(slip.issuedAt.wall)
        if !slip.issuedAt.synchronised { time += "（时钟未校准）" }
        bytes += lines(TextLayout.wrap(time, columns: columns))
        bytes += ESCPOSCommand.align(.left)
        bytes += lines([String(repeating: "-", count: columns)])

        for line in slip.lines {
            switch line {
            case .text(let text):
                bytes += lines(TextLayout.wrap(text, columns: columns))
            case .field(let label, let value):
                bytes += lines(TextLayout.field(label, value, columns: columns))
            case .emphasis(let text):
                bytes += ESCPOSCommand.align(.center)
                bytes += large(text)
                bytes += ESCPOSCommand.align(.left)
            case .rule:
                bytes += lines([String(repeating: "-", count: columns)])
            }
        }

        if let qr = slip.qr {
            bytes += ESCPOSCommand.align(.center)
            bytes += ESCPOSCommand.lineFeed
            bytes += ESCPOSCommand.qrCode(Array(qr.utf8), moduleSize: profile.widthDots >= 576 ? 8 : 6)
            bytes += ESCPOSCommand.lineFeed
            bytes += ESCPOSCommand.align(.left)
        }
        if profile.chinese == .fsGBK { bytes += ESCPOSCommand.chineseOff }
        bytes += ESCPOSCommand.feedLines(3)
        bytes += ESCPOSCommand.feedAndCut()
        return bytes
    }

    private func lines(_ texts: [String]) -> [UInt8] {
        texts.flatMap { encoding.bytes($0) + ESCPOSCommand.lineFeed }
    }

    /// Bold double-size text, wrapped at half the columns.
    private func large(_ text: String) -> [UInt8] {
        var bytes = ESCPOSCommand.bold(true) + ESCPOSCommand.size(width: 2, height: 2)
        if profile.chinese == .fsGBK { bytes += ESCPOSCommand.chineseSize(double: true) }
        bytes += lines(TextLayout.wrap(text, columns: profile.columns / 2))
        bytes += ESCPOSCommand.size(width: 1, height: 1) + ESCPOSCommand.bold(false)
        if profile.chinese == .fsGBK { bytes += ESCPOSCommand.chineseSize(double: false) }
        return bytes
    }
}
