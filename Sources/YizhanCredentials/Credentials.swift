import Crypto
import Foundation

/// Badge tokens and card UIDs are stored only as hashes, so a copy of the database cannot
/// be turned into working badges.
public enum Credentials {
    /// SHA-256 of a QR badge token: 18 random bytes, too many to try them all.
    public static func hash(qrToken token: String) -> String {
        hex(SHA256.hash(data: Data(("qr:" + token).utf8)))
    }

    /// The unkeyed SHA-256 of a card UID. Station databases written before the station had
    /// its key hold it, and the district issues cards in it, since each station's key is its
    /// own; a station that finds a card by it re-hashes the card under its key at once.
    public static func unkeyedHash(cardUID uid: String) -> String {
        hex(SHA256.hash(data: Data(("card:" + uid.uppercased()).utf8)))
    }

    /// A new badge token: 18 random bytes as 24 base64url characters.
    public static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<18).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var digits: [UInt8] = []
        for byte in bytes {
            digits.append(hex[Int(byte >> 4)])
            digits.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: digits, as: UTF8.self)
    }
}
