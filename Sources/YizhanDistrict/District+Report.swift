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

    /// The first instant of the range and the first after it.
    var bounds: (lower: Date, upper: Date) {
        (calendar.start(of: from), calendar.start(of: to.next))
    }
}

extension District {
    /// The report for `range`, for one station or all of them. Reads the typed tables (the
    /// latest record of each row) through their indexes.
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

        // One pass over the month's patrols gives both the counts and who was active.
        var active: [String: Set<Int64>] = [:]
        for (id, state, kind, volunteer, count, fast) in try await rows(
            """
            SELECT station_id, state, kind, volunteer_id, count(*), count(*) FILTER (WHERE flagged_fast) FROM station_patrol
            WHERE day BETWEEN \(from)::date AND \(to)::date AND (\(station)::text IS NULL OR station_id = \(station))
            GROUP BY 1, 2, 3, 4
            """,
            decoding: (String, String, String, Int64, Int, Int).self)
        {
            add(id) { $0.patrols.add(state: state, kind: kind, count: count, flaggedFast: fast) }
            if state == PatrolState.completed.rawValue { active[id, default: []].insert(volunteer) }
        }

        for (id, count) in try await rows(
            """
            SELECT station_id, count(*) FROM station_hazard
            WHERE reported_at >= \(lower) AND reported_at < \(upper) AND (\(station)::text IS NULL OR station_id = \(station))
            GROUP BY 1
            """,
            decoding: (String, Int).self)
        {
            add(id) { $0.hazards.reported += count }
        }

        for (id, state, count) in try await rows(
            """
            SELECT station_id, to_state, count(*) FROM station_hazard_transition
            WHERE at >= \(lower) AND at < \(upper) AND (\(station)::text IS NULL OR station_id = \(station))
            GROUP BY 1, 2
            """,
            decoding: (String, String, Int).self)
        {
            add(id) { $0.hazards.add(state: state, count: count) }
        }

        // Summed hours and counts, so the total's average is over hazards, not stations.
        var closing: (hours: Double, count: Int) = (0, 0)
        for (id, hours, count) in try await rows(
            """
            SELECT t.station_id, sum(extract(epoch FROM t.at - h.reported_at) / 3600)::float8, count(*)
            FROM station_hazard_transition t JOIN station_hazard h ON h.station_id = t.station_id AND h.id = t.hazard_id
            WHERE t.to_state = 'accepted' AND t.at >= \(lower) AND t.at < \(upper) AND (\(station)::text IS NULL OR t.station_id = \(station))
            GROUP BY 1
            """,
            decoding: (String, Double, Int).self) where figures[id] != nil
        {
            closing = (closing.hours + hours, closing.count + count)
            figures[id]!.averageHoursToClose = hours / Double(count)
        }
        total.averageHoursToClose = closing.count > 0 ? closing.hours / Double(closing.count) : nil

        // A redemption is created before it is collected or cancelled.
        for (id, issued, collected, cancelled) in try await rows(
            """
            SELECT station_id,
                count(*) FILTER (WHERE created_at >= \(lower)),
                count(*) FILTER (WHERE collected_at >= \(lower) AND collected_at < \(upper)),
                count(*) FILTER (WHERE cancelled_at >= \(lower) AND cancelled_at < \(upper))
            FROM station_redemption WHERE created_at < \(upper) AND (\(station)::text IS NULL OR station_id = \(station))
            GROUP BY 1
            """,
            decoding: (String, Int, Int, Int).self)
        {
            add(id) {
                $0.redemptions.issued += issued
                $0.redemptions.collected += collected
                $0.redemptions.cancelled += cancelled
            }
        }

        // Points by what they count as: a reversal as what it reverses, as at the station.
        for (id, kind, sum) in try await rows(
            """
            SELECT station_id, kind, sum(delta)::bigint FROM station_ledger_entry
            WHERE kind <> 'reversal' AND created_at >= \(lower) AND created_at < \(upper)
                AND (\(station)::text IS NULL OR station_id = \(station))
            GROUP BY 1, 2
            UNION ALL
            SELECT e.station_id, r.kind, sum(e.delta)::bigint
            FROM station_ledger_entry e JOIN station_ledger_entry r ON r.station_id = e.station_id AND r.id = e.reverses_id
            WHERE e.kind = 'reversal' AND e.created_at >= \(lower) AND e.created_at < \(upper)
                AND (\(station)::text IS NULL OR e.station_id = \(station))
            GROUP BY 1, 2
            """,
            decoding: (String, String, Int).self)
        {
            add(id) {
                switch kind {
                case "patrol_award", "hazard_bonus": $0.pointsEarned += sum
                case "redemption": $0.pointsRedeemed -= sum
                default: break
                }
            }
        }

        // A district volunteer active at two stations is one person in the total.
        var districtIDs: [String: [Int64: Int64]] = [:]
        for (id, volunteer, districtID) in try await rows(
            "SELECT station_id, id, district_id FROM station_volunteer WHERE district_id IS NOT NULL", decoding: (String, Int64, Int64).self
        ) {
            districtIDs[id, default: [:]][volunteer] = districtID
        }
        var people: Set<String> = []
        for (id, volunteers) in active where figures[id] != nil {
            figures[id]!.activeVolunteers = volunteers.count
            for volunteer in volunteers {
                people.insert(districtIDs[id]?[volunteer].map { "district:\($0)" } ?? "\(id):\(volunteer)")
            }
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
    /// `range`, every station, oldest first, each given to `take` as the server sends it
    /// (a city's year of ledger is never held whole) until `take` returns false.
    public func export(_ table: Export, _ range: DistrictRange, take: @escaping @Sendable ([String]) -> Bool) async throws {
        let (lower, upper) = range.bounds
        let (columns, query): ([String], PostgresQuery) =
            switch table {
            case .ledger:
                (
                    ["station_id", "entry_id", "volunteer_id", "delta", "kind", "source", "reverses_id", "note", "actor", "created_at"],
                    """
                    SELECT station_id, entry_id::text, volunteer_id::text, delta::text, kind, source, reverses_id::text, note, actor,
                        created_at::text
                    FROM district_ledger WHERE created_at >= \(lower) AND created_at < \(upper)
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
                    FROM district_hazards WHERE reported_at >= \(lower) AND reported_at < \(upper)
                    ORDER BY district_hazards.reported_at, district_hazards.station_id, district_hazards.hazard_id
                    """
                )
            }
        // Times as the district's zone shows them, not the server's.
        try await connection.query(PostgresQuery(unsafeSQL: "SET TIME ZONE '\(range.calendar.timeZone.identifier)'"), logger: logger)
        guard take(columns) else { return }
        try await eachRow(query) { row in take(try row.makeRandomAccess().map { try $0.decode(String?.self) ?? "" }) }
    }
}
