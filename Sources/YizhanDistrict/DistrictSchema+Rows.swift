extension DistrictSchema {
    /// A kind of record as the district types it: its table `station_<name>`, the columns of
    /// the record's JSON object with their PostgreSQL types, and those that key a row.
    struct RowKind {
        var name: String
        var key: [String]
        var columns: KeyValuePairs<String, String>

        var table: String { "station_" + name }
    }

    /// The kinds as of schema version 2, matching the station's outbox; a later change is a
    /// new migration.
    static let rowKinds = [
        RowKind(
            name: "volunteer", key: ["id"],
            columns: [
                "id": "bigint", "district_id": "bigint", "name": "text", "role": "text", "active": "boolean", "created_at": "timestamptz",
            ]),
        RowKind(
            name: "badge", key: ["id"],
            columns: [
                "id": "bigint", "district_id": "bigint", "volunteer_id": "bigint", "kind": "text", "credential_hash": "text",
                "created_at": "timestamptz", "revoked_at": "timestamptz",
            ]),
        RowKind(
            name: "patrol", key: ["id"],
            columns: [
                "id": "bigint", "volunteer_id": "bigint", "kind": "text", "state": "text", "day": "date", "opened_at": "timestamptz",
                "closed_at": "timestamptz", "points": "integer", "missing": "text", "flagged_fast": "boolean", "no_award_reason": "text",
                "joined_patrol_id": "bigint", "clock_synced": "boolean",
            ]),
        RowKind(
            name: "patrol_check", key: ["patrol_id", "checkpoint_id"],
            columns: ["patrol_id": "bigint", "checkpoint_id": "text", "at": "timestamptz"]),
        RowKind(
            name: "hazard", key: ["id"],
            columns: [
                "id": "bigint", "checkpoint_id": "text", "reporter_id": "bigint", "patrol_id": "bigint", "state": "text",
                "description": "text", "deadline": "date", "reported_at": "timestamptz", "updated_at": "timestamptz",
                "rectified_at": "timestamptz",
            ]),
        RowKind(
            name: "hazard_transition", key: ["id"],
            columns: [
                "id": "bigint", "hazard_id": "bigint", "from_state": "text", "to_state": "text", "note": "text", "actor": "text",
                "at": "timestamptz",
            ]),
        RowKind(
            name: "ledger_entry", key: ["id"],
            columns: [
                "id": "bigint", "volunteer_id": "bigint", "delta": "integer", "kind": "text", "source": "text", "reverses_id": "bigint",
                "note": "text", "actor": "text", "created_at": "timestamptz",
            ]),
        RowKind(
            name: "redemption", key: ["code"],
            columns: [
                "code": "text", "item_id": "text", "volunteer_id": "bigint", "cost": "integer", "state": "text", "month": "text",
                "created_at": "timestamptz", "collected_at": "timestamptz", "cancelled_at": "timestamptz",
            ]),
        RowKind(name: "scan_day", key: ["day", "outcome"], columns: ["day": "date", "outcome": "text", "count": "integer"]),
    ]

    /// The columns reports select by, indexed.
    static let rowIndexes = [
        "station_patrol (day)", "station_ledger_entry (created_at)", "station_hazard (reported_at)", "station_hazard_transition (at)",
        "station_redemption (created_at)", "station_scan_day (day)",
    ]

    /// The typed tables, and the trigger that keeps the latest record of each row in them:
    /// per statement, so a batch of 500 records is one insert per kind.
    static var rowTables: String {
        var sql = ""
        for kind in rowKinds {
            let columns = kind.columns.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            sql += """
                CREATE TABLE \(kind.table) (
                    station_id text NOT NULL, seq bigint NOT NULL, \(columns),
                    PRIMARY KEY (station_id, \(kind.key.joined(separator: ", ")))
                );
                ALTER TABLE \(kind.table) ENABLE ROW LEVEL SECURITY;
                CREATE POLICY reader_reads ON \(kind.table) FOR SELECT TO yizhan_reader USING (true);

                """
        }
        for index in rowIndexes {
            sql += "CREATE INDEX ON \(index);\n"
        }
        let tables = rowKinds.map(\.table).joined(separator: ", ")
        sql += """
            CREATE FUNCTION yizhan_keep_latest() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
            BEGIN
            \(upserts(from: "added"))    RETURN NULL;
            END $$;
            CREATE TRIGGER station_record_latest AFTER INSERT ON station_record
                REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION yizhan_keep_latest();
            -- Records pushed before this version, typed once.
            \(upserts(from: "station_record"))
            GRANT SELECT ON \(tables) TO yizhan_reader;
            """
        return sql
    }

    /// For each kind, the latest record of each row in `source` upserted into its table,
    /// unless the table already holds a later one.
    static func upserts(from source: String) -> String {
        var sql = ""
        for kind in rowKinds {
            let columns = kind.columns.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let names = kind.columns.map(\.key)
            sql += """
                    INSERT INTO \(kind.table) AS t (station_id, seq, \(names.joined(separator: ", ")))
                        SELECT a.station_id, a.seq, \(names.map { "r." + $0 }.joined(separator: ", "))
                        FROM (SELECT DISTINCT ON (station_id, key) station_id, seq, body FROM \(source) WHERE kind = '\(kind.name)'
                              ORDER BY station_id, key, seq DESC) a,
                            jsonb_to_record(a.body) AS r(\(columns))
                    ON CONFLICT (station_id, \(kind.key.joined(separator: ", "))) DO UPDATE
                        SET seq = excluded.seq, \(names.map { "\($0) = excluded.\($0)" }.joined(separator: ", "))
                        WHERE t.seq < excluded.seq;

                """
        }
        return sql
    }
}
