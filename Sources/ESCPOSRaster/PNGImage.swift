import CPNG
import ESCPOS

/// Encodes a bitmap as a greyscale PNG through libpng's simplified API, black dots on white
/// paper with a margin around, so a slip preview looks like the paper it stands for.
public enum PNGImage {
    public struct EncodeError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The PNG file's bytes (`png_image_write_to_memory`), for the caller to write whole or
    /// not at all.
    public static func encode(_ bitmap: Bitmap, margin: Int = 16) throws(EncodeError) -> [UInt8] {
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
        defer { png_image_free(&image) }
        // Once without a buffer for the size, then into a buffer of that size.
        var size = 0
        if png_image_write_to_memory(&image, nil, &size, 0, pixels, Int32(width), nil) != 0 {
            var bytes = [UInt8](repeating: 0, count: size)
            if png_image_write_to_memory(&image, &bytes, &size, 0, pixels, Int32(width), nil) != 0 { return Array(bytes.prefix(size)) }
        }
        let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        throw EncodeError(description: "cannot encode the PNG: \(message)")
    }
}
