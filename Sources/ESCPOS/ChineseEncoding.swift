import YizhanCore

#if canImport(Glibc)
    import Glibc
#endif

/// How a printer takes Chinese text (SPEC 5).
public enum ChineseMode: String, Sendable, CaseIterable {
    /// `FS &` switches to the two-byte Chinese mode, text in GBK, `FS .` switches back.
    case fsGBK = "fs-gbk"
    /// The printer reads GB18030 directly.
    case gb18030
    /// The printer has no Chinese font: text is drawn here and sent as an image.
    case raster

    /// The iconv name of the character set sent to the printer; a rasterising printer
    /// still gets its ASCII (rules, figures) as GB18030, of which ASCII is a subset.
    var charset: String {
        switch self {
        case .fsGBK: "GBK"
        case .gb18030, .raster: "GB18030"
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
    /// never raw UTF-8 that would print as garbage. Control characters are dropped: in text
    /// they would reach the printer as commands (a GS byte in a name starts one).
    public func bytes(_ text: String) -> [UInt8] {
        let text = text.strippingControlCharacters
        let mapped = mode == .fsGBK ? String(text.flatMap { Self.substitutes[$0] ?? String($0) }) : text
        // The whole line in one conversion; character by character only when something fails.
        if let bytes = Self.convert(mapped, to: mode.charset) { return bytes }
        return mapped.flatMap { Self.convert(String($0), to: mode.charset) ?? Array("?".utf8) }
    }

    /// `text` in `charset`; nil when the character set cannot represent it.
    static func convert(_ text: String, to charset: String) -> [UInt8]? {
        convert(Array(text.utf8), from: "UTF-8", to: charset)
    }

    /// Wraps `iconv(3)`; nil when `bytes` are not all valid in `source` or cannot all be
    /// represented in `target`.
    static func convert(_ bytes: [UInt8], from source: String, to target: String) -> [UInt8]? {
        let descriptor = iconv_open(target, source)
        guard descriptor != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(descriptor) }
        var input = bytes.map { CChar(bitPattern: $0) }
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

    /// The text a printer would read from `bytes` in GB18030 (of which GBK is a subset);
    /// nil when they are not valid GB18030.
    public static func decode(_ bytes: [UInt8]) -> String? {
        convert(bytes, from: "GB18030", to: "UTF-8").flatMap { String(validating: $0, as: UTF8.self) }
    }
}
