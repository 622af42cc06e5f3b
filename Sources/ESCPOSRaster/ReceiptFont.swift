import CFreeType
import ESCPOS
import Synchronization

/// The font raster text is drawn in: an outline font read through FreeType and drawn in
/// one bit, as a thermal head prints (`ReceiptFontFile` names the default).
public final class ReceiptFont: Sendable {
    /// A drawn character: its dots, and where they sit against the pen position on the baseline.
    struct Glyph {
        var image: Bitmap
        var left: Int
        var top: Int
    }

    private struct Face: ~Copyable {
        let library: FT_Library
        let face: FT_Face
        var pixelSize = 0
        var glyphs: [GlyphKey: Glyph] = [:]
    }

    private struct GlyphKey: Hashable {
        var scalar: Unicode.Scalar
        var pixelSize: Int
    }

    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    private let face: Mutex<Face>

    /// Opens face `index` of the font file at `path` (`FT_New_Face`).
    public init(path: String = ReceiptFontFile.defaultPath, face index: Int = ReceiptFontFile.defaultFace) throws(LoadError) {
        var library: FT_Library?
        guard FT_Init_FreeType(&library) == 0, let library else { throw LoadError(description: "FreeType did not start") }
        var face: FT_Face?
        guard FT_New_Face(library, path, index, &face) == 0, let face else {
            FT_Done_FreeType(library)
            throw LoadError(description: "cannot read font face \(index) of \(path)")
        }
        self.face = Mutex(Face(library: library, face: face))
    }

    deinit {
        face.withLock { face in
            FT_Done_Face(face.face)
            FT_Done_FreeType(face.library)
        }
    }

    /// Where the baseline sits in a line `pixelSize` dots high.
    func baseline(pixelSize: Int) -> Int {
        face.withLock { face in
            select(pixelSize, in: &face)
            let metrics = face.face.pointee.size.pointee.metrics
            let ascender = Int(metrics.ascender >> 6)
            let descender = Int(-metrics.descender >> 6)
            return ascender + descender > 0 ? pixelSize * ascender / (ascender + descender) : pixelSize * 4 / 5
        }
    }

    /// `scalar` drawn `pixelSize` dots high (`FT_Load_Char` with `FT_LOAD_TARGET_MONO`); a
    /// character the font lacks draws as its missing-glyph box.
    func glyph(_ scalar: Unicode.Scalar, pixelSize: Int) -> Glyph {
        face.withLock { face in
            let key = GlyphKey(scalar: scalar, pixelSize: pixelSize)
            if let glyph = face.glyphs[key] { return glyph }
            select(pixelSize, in: &face)
            var glyph = Glyph(image: Bitmap(width: 0, height: 0), left: 0, top: 0)
            if yizhan_ft_load_mono(face.face, FT_ULong(scalar.value)) == 0, let slot = face.face.pointee.glyph {
                let bitmap = slot.pointee.bitmap
                var image = Bitmap(width: Int(bitmap.width), height: Int(bitmap.rows))
                if let buffer = bitmap.buffer {
                    for y in 0..<image.height {
                        let row = buffer + y * Int(bitmap.pitch)
                        for x in 0..<image.width where row[x / 8] & (0x80 >> UInt8(x % 8)) != 0 {
                            image[x, y] = true
                        }
                    }
                }
                glyph = Glyph(image: image, left: Int(slot.pointee.bitmap_left), top: Int(slot.pointee.bitmap_top))
            }
            face.glyphs[key] = glyph
            return glyph
        }
    }

    /// `FT_Set_Pixel_Sizes`, when the size changes.
    private func select(_ pixelSize: Int, in face: inout Face) {
        guard face.pixelSize != pixelSize else { return }
        FT_Set_Pixel_Sizes(face.face, 0, FT_UInt(pixelSize))
        face.pixelSize = pixelSize
    }
}
