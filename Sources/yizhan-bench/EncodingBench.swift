import ESCPOS
import ESCPOSRaster
import Foundation
import YizhanCore

extension Bench {
    /// Encoding every sample slip in each printer mode, against the cheapest: text in the
    /// printer's own Chinese font and its own QR code, where the printer does the drawing.
    static func encoding(rounds: Int) throws {
        let font = try ReceiptFont()
        let rules = Rules(checkpoints: [Checkpoint(id: "extinguisher-1", name: "灭火器")], calendar: StationCalendar(timeZone: .current))
        let now = Instant(wall: Date(), monotonicNanoseconds: 0, boot: "bench", synchronised: true)
        let slips = Slip.Kind.allCases.map { SlipBuilder(rules: rules).sample($0, at: now) }
        let modes: [(ChineseMode, QRMode)] = [
            (.fsGBK, .native), (.gb18030, .native), (.fsGBK, .raster), (.raster, .native), (.raster, .raster),
        ]
        print("slip encoding, \(slips.count) sample slips × \(rounds) rounds a mode (glyphs cached after the first round):")
        for width in [384, 576] {
            var baseline: Figures?
            for (chinese, qr) in modes {
                let renderer = SlipRenderer(
                    profile: PrinterProfile(widthDots: width, chinese: chinese, qr: qr), stationName: "朝阳区望京街道工会驿站",
                    calendar: rules.calendar, rasterizer: RasterRenderer(font: font))
                var samples: [Double] = []
                var bytes = 0
                for round in 0...rounds {
                    for slip in slips {
                        let start = ContinuousClock.now
                        let encoded = renderer.render(slip)
                        if round > 0 {
                            samples.append(seconds(ContinuousClock.now - start))
                            bytes += encoded.count
                        }
                    }
                }
                let figures = figures(samples)
                baseline = baseline ?? figures
                let perSlip = bytes / samples.count
                print(
                    row("\(width) dots, text \(chinese.rawValue), QR \(qr.rawValue)", figures)
                        + String(
                            format: "  %6d B/slip (%4.1f s at 9600 baud)  ×%.1f", perSlip, Double(perSlip) * 10 / 9600,
                            figures.p50 / baseline!.p50))
            }
        }
    }
}
