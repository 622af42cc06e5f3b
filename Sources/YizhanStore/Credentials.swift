import Crypto
import Foundation
import YizhanCore
import YizhanCredentials
import YizhanSystem

/// The station's own key for hashing what has little entropy: a card UID is 4 to 7 bytes,
/// so an unkeyed hash of one is reversed by trying them all, and scan payloads include UIDs.
/// HMAC-SHA256 under a key kept beside the database but never in it: a copy of the
/// database (a backup) alone tells nothing of the cards.
public struct CredentialKey: Sendable {
    private let key: SymmetricKey

    public init(key: SymmetricKey) {
        self.key = key
    }

    /// The key in `path`, made (32 random bytes, mode 0600) when there is none yet and
    /// `create` allows: a database that has cards hashed under a key must get that key
    /// back, not a new one under which no card would be found.
    /// Writes a new key to its file and flushes it to the disk; on failure the file is removed.
    private static func write(_ key: SymmetricKey, to descriptor: FileDescriptor, path: String) throws(Errno) {
        defer { try? descriptor.close() }
        do {
            try Kernel.writeAll(descriptor, key.withUnsafeBytes { Array($0) })
            try Kernel.sync(descriptor)
        } catch {
            try? Kernel.remove(path)
            throw error
        }
    }

    public static func load(path: String, create: Bool) throws -> CredentialKey {
        if create {
            do {
                let descriptor = try Kernel.open(
                    path, .writeOnly, options: [.create, .exclusiveCreate, .noFollow, .closeOnExec], permissions: .ownerReadWrite)
                try write(SymmetricKey(size: .bits256), to: descriptor, path: path)
            } catch .fileExists {
                // Made before: read below.
            } catch {
                throw YizhanError(.storeUnavailable, "cannot create the credential key \(path): \(error)")
            }
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw YizhanError(
                .storeUnavailable,
                "\(path) is missing and cards were registered under it: put back the copy kept with the backups, or register the cards again"
            )
        }
        guard data.count == 32 else {
            throw YizhanError(.storeUnavailable, "\(path) is not a credential key (32 bytes): put back the copy kept with the backups")
        }
        return CredentialKey(key: SymmetricKey(data: data))
    }

    /// A card UID as the reader emits it, normalised to upper case. The `k1:` prefix tells
    /// keyed hashes from the unkeyed ones of older databases.
    public func hash(cardUID uid: String) -> String {
        "k1:" + mac("card:" + uid.uppercased())
    }

    /// The scan log keeps only this of each payload.
    public func payloadHash(_ payload: String) -> String {
        mac("scan:" + payload)
    }

    private func mac(_ text: String) -> String {
        Credentials.hex(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key))
    }
}
