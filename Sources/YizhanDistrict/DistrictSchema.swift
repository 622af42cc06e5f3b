import Foundation

/// The district's schema, versioned: `yizhan-district migrate` applies what a database
/// lacks, in order, each step in its own transaction; a station refuses to push into a
/// schema newer than it understands.
///
/// Each station appends its records to `station_record`, keyed by `(station_id, seq)`; the
/// views read the latest record of each row. Row-level security lets a station's role insert
/// only its own rows and read only the registry and its own cursor; nothing is granted to
/// update or delete.
public enum DistrictSchema {
    /// The newest version this build knows.
    public static var version: Int { migrations.count }

    /// `sql` as single statements: postgres-nio speaks PostgreSQL's extended protocol, which
    /// takes one statement at a time. Splits at `;` outside quotes, `$$` bodies and comments.
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var inDollars = false
        var inQuote = false
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            if !inDollars && !inQuote && line.trimmingCharacters(in: .whitespaces).hasPrefix("--") { continue }
            var previous: Character = " "
            for character in line {
                current.append(character)
                if character == "$" && previous == "$" && !inQuote {
                    inDollars.toggle()
                } else if character == "'" && !inDollars {
                    inQuote.toggle()
                } else if character == ";" && !inDollars && !inQuote {
                    statements.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
                    current = ""
                }
                previous = character == "$" && previous == "$" ? " " : character
            }
            current.append("\n")
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        return rest.isEmpty ? statements : statements + [rest]
    }

    /// Roles are per cluster, not per database: created once, if missing.
    static let roles = """
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'yizhan_station') THEN CREATE ROLE yizhan_station NOLOGIN; END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'yizhan_reader') THEN CREATE ROLE yizhan_reader NOLOGIN; END IF;
        END $$;
        """

    static let migrations = [
        """
        CREATE TABLE station (
            id text PRIMARY KEY,
            role name NOT NULL UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE station_record (
            station_id text NOT NULL REFERENCES station(id),
            seq bigint NOT NULL CHECK (seq > 0),
            kind text NOT NULL,
            key text NOT NULL,
            body jsonb NOT NULL,
            queued_at timestamptz NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (station_id, seq)
        );
        CREATE INDEX station_record_latest ON station_record (kind, station_id, key, seq DESC);

        -- One row per committed batch: the station's cursor is its highest seq.
        CREATE TABLE station_push (
            station_id text NOT NULL REFERENCES station(id),
            seq bigint NOT NULL,
            records integer NOT NULL,
            pushed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (station_id, seq)
        );

        -- The station the connected role pushes for.
        CREATE FUNCTION yizhan_station_id() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
            AS $$ SELECT id FROM station WHERE role = session_user $$;

        ALTER TABLE station_record ENABLE ROW LEVEL SECURITY;
        ALTER TABLE station_push ENABLE ROW LEVEL SECURITY;
        ALTER TABLE station ENABLE ROW LEVEL SECURITY;
        CREATE POLICY station_inserts_its_own ON station_record FOR INSERT TO yizhan_station
            WITH CHECK (station_id = yizhan_station_id());
        CREATE POLICY station_reads_its_own ON station_record FOR SELECT TO yizhan_station
            USING (station_id = yizhan_station_id());
        CREATE POLICY station_pushes_its_own ON station_push FOR INSERT TO yizhan_station
            WITH CHECK (station_id = yizhan_station_id());
        CREATE POLICY station_reads_its_cursor ON station_push FOR SELECT TO yizhan_station
            USING (station_id = yizhan_station_id());
        CREATE POLICY station_knows_itself ON station FOR SELECT TO yizhan_station USING (role = session_user);
        CREATE POLICY reader_reads_all ON station_record FOR SELECT TO yizhan_reader USING (true);
        CREATE POLICY reader_reads_pushes ON station_push FOR SELECT TO yizhan_reader USING (true);
        CREATE POLICY reader_reads_stations ON station FOR SELECT TO yizhan_reader USING (true);

        GRANT USAGE ON SCHEMA public TO yizhan_station, yizhan_reader;
        GRANT SELECT, INSERT ON station_record, station_push TO yizhan_station;
        GRANT SELECT ON station, yizhan_schema TO yizhan_station;
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO yizhan_reader;

        -- The latest state of each row, for reports and other tools.
        CREATE VIEW district_patrols WITH (security_barrier) AS
            SELECT DISTINCT ON (station_id, key) station_id, (body->>'id')::bigint AS patrol_id,
                (body->>'volunteer_id')::bigint AS volunteer_id, body->>'kind' AS kind, body->>'state' AS state,
                (body->>'day')::date AS day, (body->>'points')::integer AS points, (body->>'opened_at')::timestamptz AS opened_at,
                (body->>'closed_at')::timestamptz AS closed_at
            FROM station_record WHERE kind = 'patrol' ORDER BY station_id, key, seq DESC;
        CREATE VIEW district_stations AS
            SELECT s.id, s.created_at, max(p.seq) AS cursor, max(p.pushed_at) AS last_push
            FROM station s LEFT JOIN station_push p ON p.station_id = s.id GROUP BY s.id, s.created_at;
        GRANT SELECT ON district_patrols, district_stations TO yizhan_reader;
        """
    ]
}
