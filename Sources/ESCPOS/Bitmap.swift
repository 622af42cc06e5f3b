/// A one-bit image the way a thermal printer takes it: rows of dots, eight to a byte, the
/// leftmost dot in the high bit, each row padded to whole bytes (the layout of `GS v 0`).
public struct Bitmap: Sendable, Hashable {
    public let width: Int
    public private(set) var height: Int
    public private(set) var bits: [UInt8]

    public var bytesPerRow: Int { (width + 7) / 8 }

    /// A blank (white) image.
    public init(width: Int, height: Int) {
        precondition(width >= 0 && height >= 0, "negative bitmap size")
        self.width = width
        self.height = height
        self.bits = [UInt8](repeating: 0, count: (width + 7) / 8 * height)
    }

    /// An image from its rows of packed dots, as `GS v 0` carries them.
    public init(width: Int, height: Int, bits: [UInt8]) {
        precondition(width >= 0 && height >= 0 && bits.count == (width + 7) / 8 * height, "bitmap data of the wrong size")
        self.width = width
        self.height = height
        self.bits = bits
    }

    /// Whether the dot at (`x`, `y`) is black; dots outside the image are white and
    /// setting them does nothing, so drawing can clip by itself.
    public subscript(x: Int, y: Int) -> Bool {
        get {
            guard x >= 0, x < width, y >= 0, y < height else { return false }
            return bits[y * bytesPerRow + x / 8] & (0x80 >> UInt8(x % 8)) != 0
        }
        set {
            guard x >= 0, x < width, y >= 0, y < height else { return }
            let mask: UInt8 = 0x80 >> UInt8(x % 8)
            if newValue { bits[y * bytesPerRow + x / 8] |= mask } else { bits[y * bytesPerRow + x / 8] &= ~mask }
        }
    }

    /// Blackens the dots that are black in `image`, placed with its top left at (`x`, `y`).
    public mutating func draw(_ image: Bitmap, x: Int, y: Int) {
        for row in 0..<image.height where y + row >= 0 && y + row < height {
            for column in 0..<image.width where image[column, row] {
                self[x + column, y + row] = true
            }
        }
    }

    /// Adds `image` below the rows there are, left-aligned, growing the image.
    public mutating func append(_ image: Bitmap) {
        let top = height
        extend(to: height + image.height)
        draw(image, x: 0, y: top)
    }

    /// Grows the image with white rows to `newHeight`.
    public mutating func extend(to newHeight: Int) {
        guard newHeight > height else { return }
        bits += [UInt8](repeating: 0, count: (newHeight - height) * bytesPerRow)
        height = newHeight
    }

    /// The rows `range` as an image of their own.
    public func rows(_ range: Range<Int>) -> Bitmap {
        Bitmap(width: width, height: range.count, bits: Array(bits[(range.lowerBound * bytesPerRow)..<(range.upperBound * bytesPerRow)]))
    }
}
