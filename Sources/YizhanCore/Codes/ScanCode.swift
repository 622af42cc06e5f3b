/// What a scanned payload means (SPEC 3.1).
public enum ScanCode: Sendable, Hashable {
    /// A volunteer's QR badge; the token is what follows `YZ:B:`.
    case badge(token: String)
    /// A volunteer's RFID card, normalised to upper-case hex or digits.
    case card(uid: String)
    /// A checkpoint tag.
    case checkpoint(id: String)
    /// A catalogue item on the redemption sheet.
    case item(id: String)
    /// A printed redemption slip; the code is what follows `YZ:R:`.
    case redemption(code: String)
    /// A command card.
    case command(CommandCard)

    /// Longest payload accepted, in bytes.
    public static let maximumLength = 512
    /// Shortest badge token: 22 base64url characters carry 128 random bits.
    public static let minimumTokenLength = 22

    /// Parses a payload with its terminator already removed.
    public static func parse(_ payload: String) -> Result<ScanCode, ScanRejection> {
        let bytes = Array(payload.utf8)
        guard !bytes.isEmpty else { return .failure(.empty) }
        guard bytes.count <= maximumLength else { return .failure(.tooLong) }
        guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return .failure(.controlBytes) }

        if payload.hasPrefix("YZ:") {
            let parts = payload.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, !parts[2].isEmpty else { return .failure(.unknown) }
            let value = String(parts[2])
            switch parts[1] {
            case "B":
                guard value.count >= minimumTokenLength, value.utf8.allSatisfy(isBase64URL) else { return .failure(.unknown) }
                return .success(.badge(token: value))
            case "C" where isIdentifier(value): return .success(.checkpoint(id: value))
            case "I" where isIdentifier(value): return .success(.item(id: value))
            case "R" where value.utf8.allSatisfy(isBase64URL): return .success(.redemption(code: value))
            case "K":
                guard let command = CommandCard(rawValue: value) else { return .failure(.unknown) }
                return .success(.command(command))
            default: return .failure(.unknown)
            }
        }
        if let uid = cardUID(payload) { return .success(.card(uid: uid)) }
        return .failure(.unknown)
    }

    /// Card readers emit the UID as decimal digits or hex, 4 to 32 characters.
    static func cardUID(_ payload: String) -> String? {
        guard (4...32).contains(payload.utf8.count), payload.utf8.allSatisfy(isHexDigit) else { return nil }
        return payload.uppercased()
    }

    /// Ids of checkpoints and items: lower-case letters, digits, `-` and `_`.
    public static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64
            && text.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F }
    }

    private static func isBase64URL(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2D || byte == 0x5F
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }
}

/// The command cards kept beside the kiosk.
public enum CommandCard: String, Sendable, Hashable, Codable {
    /// The next checkpoint scan in this patrol reports a hazard there.
    case hazard = "HAZARD"
    /// The next badge scan prints a balance slip instead of toggling a patrol.
    case balance = "BALANCE"
    /// Drops any pending selection.
    case cancel = "CANCEL"
    /// The next badge scan opens a special themed patrol (only while a campaign runs).
    case special = "SPECIAL"
}

/// Why a payload was not understood. Each is an error outcome with no state change.
public enum ScanRejection: String, Sendable, CaseIterable, Error {
    case empty = "empty_scan"
    case tooLong = "scan_too_long"
    case controlBytes = "control_bytes"
    /// The characters stopped before the scan's terminator: a scanner never pauses inside
    /// a scan, so these are a broken read or someone typing. Also a scan some of whose key
    /// events the kernel dropped (the daemon fell behind reading them).
    case tooSlow = "scan_too_slow"
    case notUTF8 = "not_utf8"
    case unknown = "unknown_code"
}

extension ScanRejection {
    /// Turns raw bytes from a scanner into text, or says why they cannot be a scan.
    public static func text(from bytes: [UInt8]) -> Result<String, ScanRejection> {
        guard bytes.count <= ScanCode.maximumLength else { return .failure(.tooLong) }
        guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return .failure(.controlBytes) }
        guard let text = String(validating: bytes, as: UTF8.self) else { return .failure(.notUTF8) }
        return .success(text)
    }

    /// The payload as it may appear in a log: printable ASCII kept, the rest hex-escaped,
    /// cut at 8 bytes. Enough to tell what was scanned (`YZ;B;…`, a keyboard layout typing
    /// `;` for `:`), too little to rebuild a badge token or a card UID from a near miss.
    public static let loggedPrefix = 8

    public static func sanitised(_ bytes: [UInt8], limit: Int = loggedPrefix) -> String {
        var text = ""
        for byte in bytes.prefix(limit) {
            if (0x20...0x7E).contains(byte) && byte != 0x5C {
                text.unicodeScalars.append(UnicodeScalar(byte))
            } else {
                text += "\\x" + String(byte, radix: 16, uppercase: false).leftPadded(to: 2)
            }
        }
        return bytes.count > limit ? text + "…(\(bytes.count) bytes)" : text
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
