import Crypto
import Foundation

/// Badge tokens and card UIDs are stored only as hashes, so a copy of the database cannot
/// be turned into working badges.
public enum Credentials {
    /// SHA-256 of a QR badge token.
    public static func hash(qrToken token: String) -> String {
        digest("qr:" + token)
    }

    /// SHA-256 of a card UID as the reader emits it, normalised to upper case.
    public static func hash(cardUID uid: String) -> String {
        digest("card:" + uid.uppercased())
    }

    /// The scan log keeps only a hash of each payload.
    public static func payloadHash(_ payload: String) -> String {
        digest("scan:" + payload)
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

    private static func digest(_ text: String) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var digits: [UInt8] = []
        for byte in SHA256.hash(data: Data(text.utf8)) {
            digits.append(hex[Int(byte >> 4)])
            digits.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: digits, as: UTF8.self)
    }
}
