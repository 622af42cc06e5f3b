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

    /// The stations' policies as they are now, stated again by `migrate` where they differ,
    /// not as a new version: they allow what version 1's did, and a station refuses a schema
    /// newer than it knows, so a new version would stop every station not yet updated.
    /// Version 1 called `yizhan_station_id()` for each row; as `(SELECT …)` PostgreSQL works
    /// it out once a statement, where each call cost a function call with its own
    /// `search_path` (about a tenth of the server's time in a push of 500 records). Only where
    /// they differ, because `ALTER POLICY` locks its table against every push and waits for
    /// any report reading it.
    static let stationPolicies = """
        DO $$ BEGIN
            IF EXISTS (SELECT FROM pg_policies WHERE policyname IN ('station_inserts_its_own', 'station_reads_its_own',
                    'station_pushes_its_own', 'station_reads_its_cursor') AND coalesce(with_check, qual) NOT LIKE '%SELECT%') THEN
                ALTER POLICY station_inserts_its_own ON station_record WITH CHECK (station_id = (SELECT yizhan_station_id()));
                ALTER POLICY station_reads_its_own ON station_record USING (station_id = (SELECT yizhan_station_id()));
                ALTER POLICY station_pushes_its_own ON station_push WITH CHECK (station_id = (SELECT yizhan_station_id()));
                ALTER POLICY station_reads_its_cursor ON station_push USING (station_id = (SELECT yizhan_station_id()));
            END IF;
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
        """,
        """
        -- The registry (SPEC 9, "Pull"): volunteers, badges by hash, campaigns, registered once
        -- for every station. Each change takes the next revision, and registry changes commit
        -- one at a time, so a station that has pulled revision n has every change up to n.
        CREATE SEQUENCE registry_revision;
        CREATE FUNCTION yizhan_registry_revision() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(hashtext('yizhan_registry'));
            NEW.revision := nextval('registry_revision');
            RETURN NEW;
        END $$;

        CREATE TABLE volunteer (
            id bigserial PRIMARY KEY,
            name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
            role text NOT NULL DEFAULT 'volunteer' CHECK (role IN ('volunteer', 'leader')),
            phone text,
            active boolean NOT NULL DEFAULT true,
            created_at timestamptz NOT NULL DEFAULT now(),
            revision bigint NOT NULL
        );
        CREATE TABLE badge (
            id bigserial PRIMARY KEY,
            volunteer_id bigint NOT NULL REFERENCES volunteer(id),
            kind text NOT NULL CHECK (kind IN ('qr', 'card')),
            credential_hash text NOT NULL UNIQUE,
            issued_at timestamptz NOT NULL DEFAULT now(),
            revoked_at timestamptz,
            revision bigint NOT NULL
        );
        CREATE TABLE campaign (
            id bigserial PRIMARY KEY,
            name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
            from_day text NOT NULL,
            to_day text NOT NULL,
            checkpoints text[] NOT NULL DEFAULT '{}',
            created_at timestamptz NOT NULL DEFAULT now(),
            revision bigint NOT NULL
        );
        CREATE TRIGGER volunteer_revision BEFORE INSERT OR UPDATE ON volunteer
            FOR EACH ROW EXECUTE FUNCTION yizhan_registry_revision();
        CREATE TRIGGER badge_revision BEFORE INSERT OR UPDATE ON badge
            FOR EACH ROW EXECUTE FUNCTION yizhan_registry_revision();
        CREATE TRIGGER campaign_revision BEFORE INSERT OR UPDATE ON campaign
            FOR EACH ROW EXECUTE FUNCTION yizhan_registry_revision();
        CREATE INDEX volunteer_revision_order ON volunteer (revision);
        CREATE INDEX badge_revision_order ON badge (revision);
        CREATE INDEX campaign_revision_order ON campaign (revision);
        -- Stations read the registry but not the volunteers' phone numbers.
        GRANT SELECT (id, name, role, active, revision) ON volunteer TO yizhan_station;
        GRANT SELECT (id, volunteer_id, kind, credential_hash, revoked_at, revision) ON badge TO yizhan_station;
        GRANT SELECT ON campaign TO yizhan_station;
        GRANT SELECT ON volunteer, badge, campaign TO yizhan_reader;

        -- A station reads the registry and its own cursor, not what it pushed: of its own
        -- records only the keys its pushes' ON CONFLICT needs. A stolen station password
        -- reads nothing of the station's people.
        REVOKE SELECT ON station_record FROM yizhan_station;
        GRANT SELECT (station_id, seq) ON station_record TO yizhan_station;

        -- Each station's latest contact and the backlog it reported then. A station updates
        -- nothing itself: it calls yizhan_station_contact, which writes only its own row.
        CREATE TABLE station_contact (
            station_id text PRIMARY KEY REFERENCES station(id),
            contacted_at timestamptz NOT NULL,
            backlog integer NOT NULL,
            oldest_queued_at timestamptz
        );
        CREATE FUNCTION yizhan_station_contact(backlog integer, oldest_queued_at timestamptz) RETURNS void
            LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
            INSERT INTO station_contact VALUES (yizhan_station_id(), now(), backlog, oldest_queued_at)
            ON CONFLICT (station_id) DO UPDATE
                SET contacted_at = excluded.contacted_at, backlog = excluded.backlog, oldest_queued_at = excluded.oldest_queued_at
        $$;
        REVOKE ALL ON FUNCTION yizhan_station_contact(integer, timestamptz) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION yizhan_station_contact(integer, timestamptz) TO yizhan_station;
        GRANT SELECT ON station_contact TO yizhan_reader;

        -- The latest record of each row, typed, kept as records arrive (station_<kind>, made
        -- below from `rowKinds`), so reports read plain columns through indexes instead of
        -- sorting every record ever pushed. A kind this version does not know stays in
        -- station_record alone.
        \(rowTables)

        -- The views other tools read (docs/district.md). Times are timestamptz; a day is the
        -- station's local day as the station counted it.
        DROP VIEW district_patrols;
        DROP VIEW district_stations;
        CREATE VIEW district_volunteers AS
            SELECT station_id, id AS volunteer_id, district_id AS district_volunteer_id, name, role, active,
                coalesce('district:' || district_id, station_id || ':' || id) AS person
            FROM station_volunteer;
        CREATE VIEW district_patrols AS
            SELECT station_id, id AS patrol_id, volunteer_id, kind, state, day, points, opened_at, closed_at, flagged_fast,
                no_award_reason
            FROM station_patrol;
        CREATE VIEW district_hazard_transitions AS
            SELECT station_id, id AS transition_id, hazard_id, from_state, to_state, note, actor, at FROM station_hazard_transition;
        CREATE VIEW district_hazards AS
            SELECT h.station_id, h.id AS hazard_id, h.checkpoint_id, h.reporter_id, h.state, h.description, h.deadline,
                h.reported_at, h.rectified_at, a.accepted_at, extract(epoch FROM a.accepted_at - h.reported_at) / 3600 AS hours_to_close
            FROM station_hazard h
            LEFT JOIN (
                SELECT station_id, hazard_id, max(at) AS accepted_at FROM station_hazard_transition
                WHERE to_state = 'accepted' GROUP BY station_id, hazard_id
            ) a ON a.station_id = h.station_id AND a.hazard_id = h.id;
        -- A reversal counts as what it reverses (counts_as).
        CREATE VIEW district_ledger AS
            SELECT e.station_id, e.id AS entry_id, e.volunteer_id, e.delta, e.kind, coalesce(r.kind, e.kind) AS counts_as, e.source,
                e.reverses_id, e.note, e.actor, e.created_at
            FROM station_ledger_entry e
            LEFT JOIN station_ledger_entry r ON e.kind = 'reversal' AND r.station_id = e.station_id AND r.id = e.reverses_id;
        -- Points by the day of the session's TimeZone: earned (patrols and hazards, less their
        -- reversals), redeemed (goods, less cancellations), adjusted by hand.
        CREATE VIEW district_points_daily AS
            SELECT station_id, (created_at AT TIME ZONE current_setting('TimeZone'))::date AS day,
                coalesce(sum(delta) FILTER (WHERE counts_as IN ('patrol_award', 'hazard_bonus')), 0) AS earned,
                coalesce(-sum(delta) FILTER (WHERE counts_as = 'redemption'), 0) AS redeemed,
                coalesce(sum(delta) FILTER (WHERE counts_as NOT IN ('patrol_award', 'hazard_bonus', 'redemption')), 0) AS adjusted
            FROM district_ledger GROUP BY station_id, day;
        CREATE VIEW district_redemptions AS
            SELECT station_id, code, item_id, volunteer_id, cost, state, month, created_at, collected_at, cancelled_at
            FROM station_redemption;
        CREATE VIEW district_scans_daily AS
            SELECT station_id, day, outcome, count AS scans FROM station_scan_day;
        -- The cursor is the latest push's seq, found through the key, not by aggregating every push.
        CREATE VIEW district_stations AS
            SELECT s.id, s.created_at, p.seq AS cursor, p.pushed_at AS last_push, c.contacted_at, c.backlog, c.oldest_queued_at
            FROM station s
            LEFT JOIN LATERAL (SELECT seq, pushed_at FROM station_push WHERE station_id = s.id ORDER BY seq DESC LIMIT 1) p ON true
            LEFT JOIN station_contact c ON c.station_id = s.id;
        GRANT SELECT ON district_volunteers, district_patrols, district_hazard_transitions, district_hazards, district_ledger,
            district_points_daily, district_redemptions, district_scans_daily, district_stations TO yizhan_reader;
        """,
    ]
}
