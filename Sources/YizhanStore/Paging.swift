import GRDB
import YizhanWire

extension Page {
    /// A page of a list read in the order of an integer column, `key`, at most `limit` rows:
    /// a full page says where the next one starts (`next`, its last row's key, which the
    /// route takes back as `before`, or as `after` for a list read oldest first).
    init(rows: [Row], limit: Int, key: String = "id", item: (Row) throws -> Item) rethrows {
        self.init(items: try rows.map(item), next: rows.count == limit ? rows.last.map { String($0[key] as Int64) } : nil)
    }
}
