import CPNG
import ESCPOS

/// Writes a bitmap as a greyscale PNG through libpng's simplified API, black dots on white
/// paper with a margin around, so a slip preview looks like the paper it stands for.
public enum PNGImage {
    public struct WriteError: Error, CustomStringConvertible {
        public let description: String
    }

    /// `png_image_write_to_file`.
    public static func write(_ bitmap: Bitmap, margin: Int = 16, to path: String) throws(WriteError) {
        let width = bitmap.width + 2 * margin
        let height = bitmap.height + 2 * margin
        var pixels = [UInt8](repeating: 0xFF, count: width * height)
        for y in 0..<bitmap.height {
            for x in 0..<bitmap.width where bitmap[x, y] { pixels[(y + margin) * width + x + margin] = 0 }
        }
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = png_uint_32(PNG_FORMAT_GRAY)
        let written = png_image_write_to_file(&image, path, 0, pixels, Int32(width), nil)
        defer { png_image_free(&image) }
        guard written != 0 else {
            let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw WriteError(description: "cannot write \(path): \(message)")
        }
    }
}
