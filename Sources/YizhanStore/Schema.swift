import GRDB

/// The versioned migrations. A migration, once released, is never edited: the next change
/// is a new migration, so that every board's database reaches the same schema.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-station") { db in
            try db.execute(sql: v1)
        }
        migrator.registerMigration("v2-idempotency") { db in
            try db.execute(sql: v2)
        }
        migrator.registerMigration("v3-daemon-runs") { db in
            try db.execute(sql: v3)
        }
        migrator.registerMigration("v4-idempotency-fingerprints") { db in
            try db.execute(sql: v4)
        }
        migrator.registerMigration("v5-rota-and-actors") { db in
            try db.execute(sql: v5)
        }
        // The outbox's triggers are not here: they follow `Outbox.kinds` and are installed
        // afresh at every opening, after the migrations (`Outbox.installTriggers`).
        migrator.registerMigration("v6-district-outbox") { db in
            try db.execute(sql: Outbox.tables)
        }
        migrator.registerMigration("v7-district-registry") { db in
            try db.execute(sql: v7)
        }
        return migrator
    }

    /// Volunteers, credentials, scans, patrols, hazards, the ledger, catalogue,
    /// redemptions and print jobs. Times are UTC RFC 3339 text; instants that durations are
    /// measured from also keep their monotonic reading and boot id.
    static let v1 = """
        CREATE TABLE volunteer (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('volunteer', 'leader')),
            phone TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            balance INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
            earned INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );

        CREATE TABLE badge (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            volunteer_id INTEGER NOT NULL REFERENCES volunteer(id),
            kind TEXT NOT NULL CHECK (kind IN ('qr', 'card')),
            credential_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE UNIQUE INDEX badge_live_credential ON badge(credential_hash) WHERE revoked_at IS NULL;

        CREATE TABLE scan (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            scanner TEXT NOT NULL,
            payload_hash TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'attention', 'error')),
            reason TEXT NOT NULL,
            at TEXT NOT NULL,
            mono INTEGER NOT NULL,
            boot TEXT NOT NULL,
            clock_synced INTEGER NOT NULL
        );

        CREATE TABLE patrol (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            volunteer_id INTEGER NOT NULL REFERENCES volunteer(id),
            kind TEXT NOT NULL,
            state TEXT NOT NULL,
            day TEXT NOT NULL,
            opened_at TEXT NOT NULL,
            opened_mono INTEGER NOT NULL,
            opened_boot TEXT NOT NULL,
            clock_synced INTEGER NOT NULL,
            closed_at TEXT,
            points INTEGER NOT NULL DEFAULT 0,
            claim_key TEXT,
            award_key TEXT UNIQUE,
            joined_patrol_id INTEGER REFERENCES patrol(id),
            leader INTEGER NOT NULL DEFAULT 0,
            missing TEXT NOT NULL DEFAULT '[]',
            flagged_fast INTEGER NOT NULL DEFAULT 0,
            no_award_reason TEXT
        );
        CREATE UNIQUE INDEX patrol_one_open_per_volunteer ON patrol(volunteer_id) WHERE state = 'open';
        CREATE INDEX patrol_day ON patrol(day);

        CREATE TABLE patrol_check (
            patrol_id INTEGER NOT NULL REFERENCES patrol(id),
            checkpoint_id TEXT NOT NULL,
            at TEXT NOT NULL,
            mono INTEGER NOT NULL,
            boot TEXT NOT NULL,
            PRIMARY KEY (patrol_id, checkpoint_id)
        );

        CREATE TABLE hazard (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            checkpoint_id TEXT NOT NULL,
            reporter_id INTEGER NOT NULL REFERENCES volunteer(id),
            patrol_id INTEGER REFERENCES patrol(id),
            state TEXT NOT NULL,
            description TEXT,
            deadline TEXT,
            reported_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            rectified_at TEXT
        );

        CREATE TABLE hazard_transition (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            hazard_id INTEGER NOT NULL REFERENCES hazard(id),
            from_state TEXT NOT NULL,
            to_state TEXT NOT NULL,
            note TEXT,
            actor_id INTEGER,
            at TEXT NOT NULL
        );

        CREATE TABLE ledger_entry (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            volunteer_id INTEGER NOT NULL REFERENCES volunteer(id),
            delta INTEGER NOT NULL CHECK (delta <> 0),
            kind TEXT NOT NULL CHECK (kind IN ('patrol_award', 'hazard_bonus', 'redemption', 'reversal', 'adjustment')),
            source TEXT NOT NULL,
            reverses_id INTEGER UNIQUE REFERENCES ledger_entry(id),
            note TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (kind, source)
        );
        CREATE INDEX ledger_entry_volunteer ON ledger_entry(volunteer_id, id);
        CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_entry
            BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
        CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry
            BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;

        CREATE TABLE catalog_item (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            cost INTEGER NOT NULL CHECK (cost > 0),
            stock INTEGER NOT NULL CHECK (stock >= 0),
            per_volunteer_per_month INTEGER,
            active INTEGER NOT NULL DEFAULT 1
        );

        CREATE TABLE redemption (
            code TEXT PRIMARY KEY,
            item_id TEXT NOT NULL REFERENCES catalog_item(id),
            volunteer_id INTEGER NOT NULL REFERENCES volunteer(id),
            cost INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('issued', 'collected', 'cancelled')),
            month TEXT NOT NULL,
            created_at TEXT NOT NULL,
            collected_at TEXT,
            cancelled_at TEXT
        );
        CREATE INDEX redemption_volunteer_month ON redemption(volunteer_id, item_id, month);

        CREATE TABLE print_job (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            slip_kind TEXT NOT NULL,
            slip TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('queued', 'printing', 'printed', 'failed', 'uncertain')),
            reprint_of INTEGER REFERENCES print_job(id),
            error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX print_job_state ON print_job(state, id);
        """

    /// Answers to write requests kept by their `Idempotency-Key`, so a retry gets the first answer.
    static let v2 = """
        CREATE TABLE idempotent_reply (
            key TEXT NOT NULL,
            route TEXT NOT NULL,
            status INTEGER NOT NULL,
            body BLOB NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (key, route)
        );
        """

    /// Each start of the daemon, numbered: event ids carry the run so they keep increasing
    /// across restarts even when the board's clock does not.
    static let v3 = """
        CREATE TABLE daemon_run (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            version TEXT NOT NULL,
            started_at TEXT NOT NULL
        );
        """

    /// Answers kept by their key alone (scoped by socket), with a fingerprint of the request
    /// they answered, so that a key reused for another request is refused. The old table's
    /// answers are dropped: they were kept without fingerprints, and a badge's answer held
    /// its code in plain text.
    static let v4 = """
        DROP TABLE idempotent_reply;
        CREATE TABLE idempotent_reply (
            key TEXT PRIMARY KEY,
            fingerprint BLOB NOT NULL,
            status INTEGER NOT NULL,
            body BLOB NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX idempotent_reply_created ON idempotent_reply(created_at);
        """

    /// The duty rota; who made each change through the admin socket (the local user, from
    /// the socket's peer credentials); a volunteer's own login, so a manager who also
    /// patrols cannot confirm their own hazard; when an overdue hazard was announced.
    static let v5 = """
        CREATE TABLE rota (
            day TEXT NOT NULL,
            volunteer_id INTEGER NOT NULL REFERENCES volunteer(id),
            set_by TEXT,
            set_at TEXT NOT NULL,
            PRIMARY KEY (day, volunteer_id)
        );

        CREATE TABLE change_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL
        );
        CREATE TRIGGER change_log_no_update BEFORE UPDATE ON change_log
            BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END;

        ALTER TABLE ledger_entry ADD COLUMN actor TEXT;
        ALTER TABLE hazard_transition ADD COLUMN actor TEXT;
        ALTER TABLE hazard ADD COLUMN overdue_announced_at TEXT;
        ALTER TABLE volunteer ADD COLUMN login TEXT;
        """

    /// What a station pulls from the district: its volunteers and badges beside the
    /// station's own (marked by the district's id), its campaigns, and how far it has pulled;
    /// and each day's scan count by outcome, which the district gets.
    static let v7 = """
        ALTER TABLE volunteer ADD COLUMN district_id INTEGER;
        CREATE UNIQUE INDEX volunteer_district ON volunteer(district_id) WHERE district_id IS NOT NULL;
        ALTER TABLE badge ADD COLUMN district_id INTEGER;
        CREATE UNIQUE INDEX badge_district ON badge(district_id) WHERE district_id IS NOT NULL;

        CREATE TABLE district_campaign (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            from_day TEXT NOT NULL,
            to_day TEXT NOT NULL,
            checkpoints TEXT NOT NULL
        );
        CREATE TABLE district_pull (revision INTEGER NOT NULL, pulled_at TEXT);
        INSERT INTO district_pull VALUES (0, NULL);

        CREATE TABLE scan_day (
            day TEXT NOT NULL,
            outcome TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (day, outcome)
        );
        """
}
