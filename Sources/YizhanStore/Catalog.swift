import GRDB
import YizhanCore

/// The goods catalogue with its live stock.
enum Catalog {
    static func item(_ row: Row) -> CatalogItem {
        CatalogItem(
            id: row["id"], name: row["name"], cost: row["cost"], stock: row["stock"], perVolunteerPerMonth: row["per_volunteer_per_month"],
            active: row["active"])
    }

    /// Every item, active first.
    static func items(_ db: Database) throws -> [CatalogItem] {
        try Row.fetchAll(db, sql: "SELECT * FROM catalog_item ORDER BY active DESC, id").map(item)
    }

    static func item(_ db: Database, id: String) throws -> CatalogItem? {
        try Row.fetchOne(db, sql: "SELECT * FROM catalog_item WHERE id = ?", arguments: [id]).map(item)
    }
}

extension Store {
    /// Every item, active first.
    public func catalog() throws -> [CatalogItem] {
        try pool.read(Catalog.items)
    }

    /// Changes an item's live stock or takes it off the sheet. Name, cost and limit come
    /// from the config, which is reapplied at every start.
    public func updateCatalogItem(_ id: String, stock: Int?, active: Bool?, by actor: String? = nil, at now: Instant) throws -> CatalogItem
    {
        try pool.write { db in
            guard var item = try Catalog.item(db, id: id) else { throw YizhanError(.notFound, "no catalogue item \(id)") }
            if let stock {
                guard stock >= 0 else { throw YizhanError(.invalidRequest, "stock cannot be negative") }
                item.stock = stock
            }
            if let active { item.active = active }
            try db.execute(
                sql: "UPDATE catalog_item SET stock = ?, active = ? WHERE id = ?", arguments: [item.stock, item.active, id])
            try Changes.record(
                db, actor: actor, action: "catalog.update", subject: "\(id) stock \(item.stock) active \(item.active)", at: now)
            return item
        }
    }
}
