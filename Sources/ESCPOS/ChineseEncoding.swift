#if canImport(Glibc)
    import Glibc
#endif

/// How a printer takes Chinese text (SPEC 5). Rasterised text arrives with the raster renderer.
public enum ChineseMode: String, Sendable, CaseIterable {
    /// `FS &` switches to the two-byte Chinese mode, text in GBK, `FS .` switches back.
    case fsGBK = "fs-gbk"
    /// The printer reads GB18030 directly.
    case gb18030

    /// The iconv name of the character set sent to the printer.
    var charset: String {
        switch self {
        case .fsGBK: "GBK"
        case .gb18030: "GB18030"
        }
    }
}

/// Converts text to the printer's character set through the C library's iconv, after
/// mapping characters that the set lacks to ones it has (e.g. `¥` → `￥`).
public struct ChineseEncoding: Sendable {
    public let mode: ChineseMode

    public init(mode: ChineseMode) {
        self.mode = mode
    }

    /// Characters GBK lacks, with the closest that it has.
    static let substitutes: [Character: String] = ["¥": "￥", "€": "EUR", "•": "·", "–": "-", "—": "－", "…": "...", "✓": "√"]

    /// The printer's bytes for `text`; anything the set still cannot hold becomes `?`,
    /// never raw UTF-8 that would print as garbage.
    public func bytes(_ text: String) -> [UInt8] {
        var output: [UInt8] = []
        for character in text {
            let mapped = mode == .fsGBK ? (Self.substitutes[character] ?? String(character)) : String(character)
            output += Self.convert(mapped, to: mode.charset) ?? Array("?".utf8)
        }
        return output
    }

    /// Wraps `iconv(3)`; nil when the character set cannot represent `text`.
    static func convert(_ text: String, to charset: String) -> [UInt8]? {
        let descriptor = iconv_open(charset, "UTF-8")
        guard descriptor != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(descriptor) }
        var input = Array(text.utf8).map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: input.count * 4 + 8)
        let outputCapacity = output.count
        let result: Int = input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                var inputPointer = inputBuffer.baseAddress
                var inputLeft = inputBuffer.count
                var outputPointer = outputBuffer.baseAddress
                var outputLeft = outputCapacity
                let converted = iconv(descriptor, &inputPointer, &inputLeft, &outputPointer, &outputLeft)
                return converted == -1 || inputLeft != 0 ? -1 : outputCapacity - outputLeft
            }
        }
        guard result >= 0 else { return nil }
        return output.prefix(result).map { UInt8(bitPattern: $0) }
    }
}
