import Foundation
import Synchronization

/// The last body a read route encoded and what it was encoded from. JSON encoding is most
/// of what a small answer costs, and a station screen asks again and again for an answer
/// that has not changed: while the key is equal, the same bytes are sent again.
final class KeptAnswer<Key: Equatable & Sendable>: Sendable {
    private let last = Mutex<(key: Key, body: Data)?>(nil)

    func body(for key: Key, encode: () throws -> Data) rethrows -> Data {
        if let last = last.withLock({ $0 }), last.key == key { return last.body }
        let body = try encode()
        last.withLock { $0 = (key, body) }
        return body
    }
}
