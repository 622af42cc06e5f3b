import GRDB
import YizhanWire

extension Page {
    /// A page of a list read in the order of an integer column, `key`, from `rows` read with
    /// one more than `limit`: only when that one is there does the page say where the next
    /// starts (`next`, the key of its last row, which the route takes back as `before`, or as
    /// `after` for a list read oldest first).
    init(rows: [Row], limit: Int, key: String = "id", item: (Row) throws -> Item) rethrows {
        let page = rows.prefix(limit)
        self.init(items: try page.map(item), next: rows.count > limit ? page.last.map { String($0[key] as Int64) } : nil)
    }
}
