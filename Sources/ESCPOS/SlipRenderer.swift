import YizhanCore

/// Lays out a slip for one printer as ESC/POS bytes: header with the station and the time,
/// the slip's lines fitted to the paper width, an optional QR code, feed and cut. Text goes
/// as characters or, for a printer without a Chinese font, as images; the QR code goes as
/// the printer's own or as an image.
public struct SlipRenderer: Sendable {
    public let profile: PrinterProfile
    public let stationName: String
    public let calendar: StationCalendar
    private let encoding: ChineseEncoding
    private let rasterizer: (any Rasterizer)?

    /// `rasterizer` draws text and QR codes for the raster modes; a profile with a raster
    /// mode needs one.
    public init(profile: PrinterProfile, stationName: String, calendar: StationCalendar, rasterizer: (any Rasterizer)? = nil) {
        precondition(
            rasterizer != nil || (profile.chinese != .raster && profile.qr != .raster), "a raster printer profile needs a rasterizer")
        self.profile = profile
        self.stationName = stationName
        self.calendar = calendar
        self.encoding = ChineseEncoding(mode: profile.chinese)
        self.rasterizer = rasterizer
    }

    /// One printed line of text and how it looks.
    struct PrintLine: Hashable {
        var text: String
        var large = false
        var bold = false
        var alignment: ESCPOSCommand.Alignment = .left
    }

    /// The complete job for `slip`.
    public func render(_ slip: Slip) -> [UInt8] {
        var bytes = ESCPOSCommand.initialize
        if profile.chinese == .fsGBK { bytes += ESCPOSCommand.chineseOn }
        bytes += text(layout(slip))
        if let qr = slip.qr {
            bytes += ESCPOSCommand.lineFeed
            bytes += qrCode(Array(qr.utf8))
            bytes += ESCPOSCommand.lineFeed
        }
        if profile.chinese == .fsGBK { bytes += ESCPOSCommand.chineseOff }
        bytes += ESCPOSCommand.feedLines(3)
        bytes += ESCPOSCommand.feedAndCut()
        return bytes
    }

    /// The slip's text as lines fitted to the paper: the reprint marker, the station, the
    /// title, the time (marked when the clock is not synchronised), then the slip's lines.
    func layout(_ slip: Slip) -> [PrintLine] {
        let columns = profile.columns
        let rule = PrintLine(text: String(repeating: "-", count: columns))
        func large(_ text: String) -> [PrintLine] {
            TextLayout.wrap(text, columns: columns / 2).map { PrintLine(text: $0, large: true, bold: true, alignment: .center) }
        }
        var lines: [PrintLine] = []
        if slip.reprint { lines += large("补打 REPRINT") }
        lines += TextLayout.wrap(stationName, columns: columns).map { PrintLine(text: $0, bold: true, alignment: .center) }
        lines += large(slip.title)
        let time = calendar.slipTime(slip.issuedAt)
        lines += TextLayout.wrap(time, columns: columns).map { PrintLine(text: $0, alignment: .center) }
        lines.append(rule)
        for line in slip.lines {
            switch line {
            case .text(let text): lines += TextLayout.wrap(text, columns: columns).map { PrintLine(text: $0) }
            case .field(let label, let value): lines += TextLayout.field(label, value, columns: columns).map { PrintLine(text: $0) }
            case .emphasis(let text): lines += large(text)
            case .rule: lines.append(rule)
            }
        }
        return lines
    }

    /// Lines as characters with the printer's style commands, or as one image.
    private func text(_ lines: [PrintLine]) -> [UInt8] {
        if profile.chinese == .raster, let rasterizer {
            var image = Bitmap(width: profile.widthDots, height: 0)
            for line in lines {
                image.append(
                    rasterizer.line(line.text, large: line.large, bold: line.bold, alignment: line.alignment, width: profile.widthDots))
            }
            return ESCPOSCommand.rasterImage(image)
        }
        var bytes: [UInt8] = []
        var current = PrintLine(text: "")
        for line in lines {
            if line.alignment != current.alignment { bytes += ESCPOSCommand.align(line.alignment) }
            if line.bold != current.bold { bytes += ESCPOSCommand.bold(line.bold) }
            if line.large != current.large {
                bytes += line.large ? ESCPOSCommand.size(width: 2, height: 2) : ESCPOSCommand.size(width: 1, height: 1)
                if profile.chinese == .fsGBK { bytes += ESCPOSCommand.chineseSize(double: line.large) }
            }
            current = line
            bytes += encoding.bytes(line.text) + ESCPOSCommand.lineFeed
        }
        if current.alignment != .left { bytes += ESCPOSCommand.align(.left) }
        if current.bold { bytes += ESCPOSCommand.bold(false) }
        return bytes
    }

    /// The QR code, centred: the printer's own, or an image of one.
    private func qrCode(_ payload: [UInt8]) -> [UInt8] {
        if profile.qr == .raster, let rasterizer {
            // A payload too long for any QR code prints as a line of text instead.
            guard let image = rasterizer.qrCode(payload, moduleSize: profile.qrModuleSize, width: profile.widthDots) else {
                return text([PrintLine(text: String(decoding: payload, as: UTF8.self))])
            }
            return ESCPOSCommand.rasterImage(image)
        }
        return ESCPOSCommand.align(.center) + ESCPOSCommand.qrCode(payload, moduleSize: UInt8(profile.qrModuleSize))
            + ESCPOSCommand.align(.left)
    }
}
