import Foundation
import PostgresNIO
import YizhanCore

/// `yizhan-district report`: per station and in total, the figures each station's own
/// `yizhanctl report` gives for the same days, counted the same way, and the average time
/// a problem took to put right.
public struct DistrictReport: Sendable, Codable, Hashable {
    public struct Figures: Sendable, Codable, Hashable {
        public var patrols = StationSummary.Patrols()
        public var hazards = StationSummary.Hazards()
        /// Hours from report to acceptance, over the hazards accepted in the range.
        public var averageHoursToClose: Double?
        /// Goods handed out are the redemptions collected.
        public var redemptions = StationSummary.Redemptions()
        public var pointsEarned = 0
        public var pointsRedeemed = 0
        /// Volunteers with a completed patrol; in the total, a district volunteer who
        /// patrolled at two stations counts once.
        public var activeVolunteers = 0

        public init() {}
    }

    public struct Station: Sendable, Codable, Hashable {
        public var id: String
        public var figures: Figures
    }

    public var from: String
    public var to: String
    public var timeZone: String
    public var stations: [Station]
    public var total: Figures
}

/// The range a report or an export covers: local days of `calendar`, both included.
public struct DistrictRange: Sendable {
    public var from: LocalDay
    public var to: LocalDay
    public var calendar: StationCalendar

    public init(from: LocalDay, to: LocalDay, calendar: StationCalendar) throws(DistrictError) {
        guard from <= to else { throw DistrictError(.invalidSettings, "--from \(from) comes after --to \(to)") }
        self.from = from
        self.to = to
        self.calendar = calendar
    }

    /// The first instant and the instant after the last day, in the form stations write
    /// their times (UTC, milliseconds), so that they compare as text the way the station's
    /// own report compares them.
    var bounds: (lower: String, upper: String) {
        (Self.style.format(calendar.start(of: from)), Self.style.format(calendar.start(of: to.next)))
    }

    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!)
}

extension District {
    /// The report for `range`, for one station or all of them. Reads `station_row`, the
    /// latest record of each row, through its indexes.
    public func report(_ range: DistrictRange, station: String? = nil) async throws -> DistrictReport {
        let (lower, upper) = range.bounds
        let (from, to) = (range.from.description, range.to.description)
        var figures: [String: DistrictReport.Figures] = [:]
        for row in try await stations() where station == nil || row.id == station {
            figures[row.id] = DistrictReport.Figures()
        }
        guard station == nil || figures[station!] != nil else { throw DistrictError(.refused, "no station \(station!)") }
        var total = DistrictReport.Figures()
        func add(_ id: String, _ change: (inout DistrictReport.Figures) -> Void) {
            guard figures[id] != nil else { return }
            change(&figures[id]!)
            change(&total)
        }

        let patrols = try await connection.query(
            """
            SELECT station_id, body->>'state', body->>'kind', count(*), count(*) FILTER (WHERE (body->>'flagged_fast')::integer = 1)
            FROM station_row WHERE kind = 'patrol' AND body->>'day' BETWEEN \(from) AND \(to) AND (\(station)::text IS NULL OR station_id = \(station))
            GROUP BY 1, 2, 3
            """, logger: logger)
        for try await (id, state, kind, count, fast) in patrols.decode((String, String, String, Int, Int).self) {
            add(id) { $0.patrols.add(state: state, kind: kind, count: count, flaggedFast: fast) }
        }

        let reported = try await connection.query(
            """
            SELECT station_id, count(*) FROM station_row
            WHERE kind = 'hazard' AND body->>'reported_at' >= \(lower) AND body->>'reported_at' < \(upper)
                AND (\(station)::text IS NULL OR station_id = \(station))
            GROUP BY 1
            """, logger: logger)
        for try await (id, count) in reported.decode((String, Int).self) { add(id) { $0.hazards.reported += count } }

        let transitions = try await connection.query(
            """
            SELECT station_id, body->>'to_state', count(*) FROM station_row
            WHERE kind = 'hazard_transition' AND body->>'at' >= \(lower) AND body->>'at' < \(upper)
                AND (\(station)::text IS NULL OR station_id = \(station))
            GROUP BY 1, 2
            """, logger: logger)
        for try await (id, state, count) in transitions.decode((String, String, Int).self) {
            add(id) { $0.hazards.add(state: state, count: count) }
        }

        // Summed hours and counts, so the total's average is over hazards, not stations.
        var closing: [String: (hours: Double, count: Int)] = [:]
        let closed = try await connection.query(
            """
            SELECT t.station_id, sum(extract(epoch FROM (t.body->>'at')::timestamptz - (h.body->>'reported_at')::timestamptz) / 3600)::float8,
                count(*)
            FROM station_row t JOIN station_row h ON h.station_id = t.station_id AND h.kind = 'hazard' AND h.key = t.body->>'hazard_id'
            WHERE t.kind = 'hazard_transition' AND t.body->>'to_state' = 'accepted'
                AND t.body->>'at' >= \(lower) AND t.body->>'at' < \(upper) AND (\(station)::text IS NULL OR t.station_id = \(station))
            GROUP BY 1
            """, logger: logger)
        for try await (id, hours, count) in closed.decode((String, Double, Int).self) where figures[id] != nil {
            closing[id] = (hours, count)
            figures[id]!.averageHoursToClose = hours / Double(count)
        }
        let (hours, closedCount) = closing.values.reduce((0.0, 0)) { ($0.0 + $1.hours, $0.1 + $1.count) }
        total.averageHoursToClose = closedCount > 0 ? hours / Double(closedCount) : nil

        let redemptions = try await connection.query(
            """
            SELECT station_id,
                count(*) FILTER (WHERE body->>'created_at' >= \(lower) AND body->>'created_at' < \(upper)),
                count(*) FILTER (WHERE body->>'collected_at' >= \(lower) AND body->>'collected_at' < \(upper)),
                count(*) FILTER (WHERE body->>'cancelled_at' >= \(lower) AND body->>'cancelled_at' < \(upper))
            FROM station_row WHERE kind = 'redemption' AND (\(station)::text IS NULL OR station_id = \(station))
            GROUP BY 1
            """, logger: logger)
        for try await (id, issued, collected, cancelled) in redemptions.decode((String, Int, Int, Int).self) {
            add(id) {
                $0.redemptions.issued += issued
                $0.redemptions.collected += collected
                $0.redemptions.cancelled += cancelled
            }
        }

        // A reversal counts with what it reverses, as at the station.
        let points = try await connection.query(
            """
            SELECT e.station_id,
                coalesce(sum((e.body->>'delta')::integer)
                    FILTER (WHERE coalesce(r.body->>'kind', e.body->>'kind') IN ('patrol_award', 'hazard_bonus')), 0)::bigint,
                coalesce(-sum((e.body->>'delta')::integer) FILTER (WHERE coalesce(r.body->>'kind', e.body->>'kind') = 'redemption'), 0)::bigint
            FROM station_row e
            LEFT JOIN station_row r ON r.station_id = e.station_id AND r.kind = 'ledger_entry' AND r.key = e.body->>'reverses_id'
            WHERE e.kind = 'ledger_entry' AND e.body->>'created_at' >= \(lower) AND e.body->>'created_at' < \(upper)
                AND (\(station)::text IS NULL OR e.station_id = \(station))
            GROUP BY 1
            """, logger: logger)
        for try await (id, earned, redeemed) in points.decode((String, Int, Int).self) {
            add(id) {
                $0.pointsEarned += earned
                $0.pointsRedeemed += redeemed
            }
        }

        let active = try await connection.query(
            """
            SELECT p.station_id, count(DISTINCT p.body->>'volunteer_id'),
                array_agg(DISTINCT coalesce('district:' || (v.body->>'district_id'), p.station_id || ':' || (p.body->>'volunteer_id')))
            FROM station_row p
            LEFT JOIN station_row v ON v.station_id = p.station_id AND v.kind = 'volunteer' AND v.key = p.body->>'volunteer_id'
            WHERE p.kind = 'patrol' AND p.body->>'state' = 'completed' AND p.body->>'day' BETWEEN \(from) AND \(to)
                AND (\(station)::text IS NULL OR p.station_id = \(station))
            GROUP BY 1
            """, logger: logger)
        var people: Set<String> = []
        for try await (id, count, persons) in active.decode((String, Int, [String]).self) where figures[id] != nil {
            figures[id]!.activeVolunteers = count
            people.formUnion(persons)
        }
        total.activeVolunteers = people.count

        return DistrictReport(
            from: from, to: to, timeZone: range.calendar.timeZone.identifier,
            stations: figures.keys.sorted().map { DistrictReport.Station(id: $0, figures: figures[$0]!) }, total: total)
    }

    /// What `yizhan-district export` writes.
    public enum Export: String, Sendable, CaseIterable {
        case ledger, patrols, hazards
    }

    /// An export as CSV rows, header first: the view's rows whose time or day falls in
    /// `range`, every station, oldest first.
    public func export(_ table: Export, _ range: DistrictRange) async throws -> [[String]] {
        let (lower, upper) = range.bounds
        let (columns, query): ([String], PostgresQuery) =
            switch table {
            case .ledger:
                (
                    ["station_id", "entry_id", "volunteer_id", "delta", "kind", "source", "reverses_id", "note", "actor", "created_at"],
                    """
                    SELECT station_id, entry_id::text, volunteer_id::text, delta::text, kind, source, reverses_id::text, note, actor,
                        created_at::text
                    FROM district_ledger WHERE created_at >= \(lower)::timestamptz AND created_at < \(upper)::timestamptz
                    ORDER BY district_ledger.created_at, district_ledger.station_id, district_ledger.entry_id
                    """
                )
            case .patrols:
                (
                    [
                        "station_id", "patrol_id", "volunteer_id", "kind", "state", "day", "points", "opened_at", "closed_at",
                        "flagged_fast",
                        "no_award_reason",
                    ],
                    """
                    SELECT station_id, patrol_id::text, volunteer_id::text, kind, state, day::text, points::text, opened_at::text,
                        closed_at::text, flagged_fast::text, no_award_reason
                    FROM district_patrols WHERE day BETWEEN \(range.from.description)::date AND \(range.to.description)::date
                    ORDER BY district_patrols.day, district_patrols.station_id, district_patrols.patrol_id
                    """
                )
            case .hazards:
                (
                    [
                        "station_id", "hazard_id", "checkpoint_id", "reporter_id", "state", "description", "deadline", "reported_at",
                        "rectified_at", "accepted_at", "hours_to_close",
                    ],
                    """
                    SELECT station_id, hazard_id::text, checkpoint_id, reporter_id::text, state, description, deadline::text,
                        reported_at::text, rectified_at::text, accepted_at::text, round(hours_to_close::numeric, 1)::text
                    FROM district_hazards WHERE reported_at >= \(lower)::timestamptz AND reported_at < \(upper)::timestamptz
                    ORDER BY district_hazards.reported_at, district_hazards.station_id, district_hazards.hazard_id
                    """
                )
            }
        // Times as the district's zone shows them, not the server's.
        try await connection.query(PostgresQuery(unsafeSQL: "SET TIME ZONE '\(range.calendar.timeZone.identifier)'"), logger: logger)
        var rows = [columns]
        for try await row in try await connection.query(query, logger: logger) {
            rows.append(try row.makeRandomAccess().map { try $0.decode(String?.self) ?? "" })
        }
        return rows
    }
}
