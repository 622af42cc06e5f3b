import GRDB
import YizhanWire

extension Page {
    /// A page of a list read in the order of an integer column, `key`. `sql` ends in
    /// `LIMIT ?`, given here as one more than `limit`: only when that one row is there does
    /// the page say where the next starts (`next`, the key of its last row, which the route
    /// takes back as `before`, or as `after` for a list read oldest first).
    static func read(
        _ db: Database, sql: String, arguments: StatementArguments, limit: Int, key: String = "id", item: (Row) throws -> Item
    ) throws -> Page {
        let rows = try Row.fetchAll(db, sql: sql, arguments: arguments + [limit + 1])
        let page = rows.prefix(limit)
        return Page(items: try page.map(item), next: rows.count > limit ? page.last.map { String($0[key] as Int64) } : nil)
    }
}
