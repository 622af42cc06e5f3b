import Foundation
import YizhanCore

/// One call to the API: the method and path, the body sent, and the type of the reply.
/// Built by `API`'s functions, so a client cannot pair a route with the wrong reply.
public struct Endpoint<Reply: Decodable & Sendable>: Sendable {
    public var method: String
    /// The path with its query, each part percent-encoded.
    public var path: String
    /// The JSON body, its keys sorted: a retry under an `Idempotency-Key` sends the same bytes.
    public var body: Data?

    init(_ method: String, _ segments: [any CustomStringConvertible], query: [String: (any CustomStringConvertible)?] = [:]) {
        self.method = method
        let pathAllowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))
        path = "/" + segments.map { "\($0)".addingPercentEncoding(withAllowedCharacters: pathAllowed)! }.joined(separator: "/")
        let valueAllowed = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&+=?"))
        let pairs = query.compactMap { name, value in
            value.map { "\(name)=" + "\($0)".addingPercentEncoding(withAllowedCharacters: valueAllowed)! }
        }
        if !pairs.isEmpty { path += "?" + pairs.sorted().joined(separator: "&") }
    }

    init(_ method: String, _ segments: [any CustomStringConvertible], body: some RequestBody) {
        self.init(method, segments)
        // A body is made of strings, numbers, booleans and lists of them.
        self.body = try! WireCoding.encoder().encode(body)
    }
}

/// The API's routes as a client calls them (SPEC 5 lists them; the OpenAPI document in
/// `docs/` describes each).
public enum API {
    public static var health: Endpoint<HealthReply> { Endpoint("GET", ["v1", "health"]) }
    public static var status: Endpoint<StationStatus> { Endpoint("GET", ["v1", "status"]) }

    public static func scan(_ body: ScanBody) -> Endpoint<ScanResult> { Endpoint("POST", ["v1", "scans"], body: body) }
    public static func scans(before: Int64? = nil, limit: Int? = nil) -> Endpoint<Page<ScanRecord>> {
        Endpoint("GET", ["v1", "scans"], query: ["before": before, "limit": limit])
    }

    public static func volunteers(after: Int64 = 0, limit: Int? = nil) -> Endpoint<Page<Volunteer>> {
        Endpoint("GET", ["v1", "volunteers"], query: ["after": after, "limit": limit])
    }
    public static func volunteer(_ id: Int64) -> Endpoint<Volunteer> { Endpoint("GET", ["v1", "volunteers", id]) }
    public static func registerVolunteer(_ body: NewVolunteerBody) -> Endpoint<Volunteer> {
        Endpoint("POST", ["v1", "volunteers"], body: body)
    }
    public static func updateVolunteer(_ id: Int64, _ body: VolunteerPatchBody) -> Endpoint<Volunteer> {
        Endpoint("PATCH", ["v1", "volunteers", id], body: body)
    }
    public static func ledger(volunteer id: Int64, before: Int64? = nil, limit: Int? = nil) -> Endpoint<Page<LedgerRecord>> {
        Endpoint("GET", ["v1", "volunteers", id, "ledger"], query: ["before": before, "limit": limit])
    }
    public static func adjust(_ body: AdjustmentBody) -> Endpoint<LedgerRecord> { Endpoint("POST", ["v1", "adjustments"], body: body) }
    public static func verifyLedger(_ body: VerifyBody) -> Endpoint<LedgerVerification> {
        Endpoint("POST", ["v1", "ledger", "verify"], body: body)
    }

    public static func badges(volunteer id: Int64) -> Endpoint<Page<BadgeRecord>> {
        Endpoint("GET", ["v1", "volunteers", id, "badges"])
    }
    public static func issueBadge(volunteer id: Int64, _ body: NewBadgeBody) -> Endpoint<BadgeRecord> {
        Endpoint("POST", ["v1", "volunteers", id, "badges"], body: body)
    }
    public static func revokeBadge(_ id: Int64) -> Endpoint<BadgeRecord> { Endpoint("DELETE", ["v1", "badges", id]) }

    public static func patrols(
        volunteer: Int64? = nil, state: PatrolState? = nil, before: Int64? = nil, limit: Int? = nil
    ) -> Endpoint<Page<PatrolRecord>> {
        Endpoint("GET", ["v1", "patrols"], query: ["volunteer_id": volunteer, "state": state?.rawValue, "before": before, "limit": limit])
    }
    public static func voidPatrol(_ id: Int64, _ body: NoteBody) -> Endpoint<PatrolRecord> {
        Endpoint("POST", ["v1", "patrols", id, "void"], body: body)
    }

    public static func hazards(state: HazardState? = nil, before: Int64? = nil, limit: Int? = nil) -> Endpoint<Page<HazardRecord>> {
        Endpoint("GET", ["v1", "hazards"], query: ["state": state?.rawValue, "before": before, "limit": limit])
    }
    public static func describeHazard(_ id: Int64, _ body: HazardPatchBody) -> Endpoint<HazardRecord> {
        Endpoint("PATCH", ["v1", "hazards", id], body: body)
    }
    public static func moveHazard(_ id: Int64, _ body: TransitionBody) -> Endpoint<HazardRecord> {
        Endpoint("POST", ["v1", "hazards", id, "transitions"], body: body)
    }

    public static var catalog: Endpoint<Page<CatalogItem>> { Endpoint("GET", ["v1", "catalog"]) }
    public static func updateCatalogItem(_ id: String, _ body: CatalogPatchBody) -> Endpoint<CatalogItem> {
        Endpoint("PATCH", ["v1", "catalog", id], body: body)
    }

    public static func redemptions(
        state: RedemptionState? = nil, before: Int64? = nil, limit: Int? = nil
    ) -> Endpoint<Page<RedemptionRecord>> {
        Endpoint("GET", ["v1", "redemptions"], query: ["state": state?.rawValue, "before": before, "limit": limit])
    }
    public static func collectRedemption(_ code: String) -> Endpoint<RedemptionRecord> {
        Endpoint("POST", ["v1", "redemptions", code, "collect"])
    }
    public static func cancelRedemption(_ code: String, _ body: NoteBody) -> Endpoint<RedemptionRecord> {
        Endpoint("POST", ["v1", "redemptions", code, "cancel"], body: body)
    }

    public static func printJobs(state: PrintJobState? = nil, before: Int64? = nil, limit: Int? = nil) -> Endpoint<Page<PrintJobRecord>> {
        Endpoint("GET", ["v1", "print-jobs"], query: ["state": state?.rawValue, "before": before, "limit": limit])
    }
    public static func reprint(_ id: Int64) -> Endpoint<PrintJobRecord> { Endpoint("POST", ["v1", "print-jobs", id, "reprint"]) }
    public static func printJobBytes(_ id: Int64) -> Endpoint<EncodedSlip> { Endpoint("GET", ["v1", "print-jobs", id, "escpos"]) }
    public static func sampleSlip(_ kind: Slip.Kind) -> Endpoint<EncodedSlip> {
        Endpoint("GET", ["v1", "printer", "samples", kind.rawValue])
    }
    public static var printTestPage: Endpoint<PrintJobRecord> { Endpoint("POST", ["v1", "printer", "test"]) }
    public static var gpioTest: Endpoint<GPIOTestReply> { Endpoint("POST", ["v1", "gpio", "test"]) }

    public static func rota(from: LocalDay? = nil, to: LocalDay? = nil) -> Endpoint<Page<RotaDay>> {
        Endpoint("GET", ["v1", "rota"], query: ["from": from, "to": to])
    }
    public static func setRota(_ day: LocalDay, _ body: RotaBody) -> Endpoint<RotaDay> { Endpoint("PUT", ["v1", "rota", day], body: body) }
    public static func changes(before: Int64? = nil, limit: Int? = nil) -> Endpoint<Page<ChangeRecord>> {
        Endpoint("GET", ["v1", "changes"], query: ["before": before, "limit": limit])
    }
    public static func summary(from: LocalDay? = nil, to: LocalDay? = nil) -> Endpoint<StationSummary> {
        Endpoint("GET", ["v1", "reports", "summary"], query: ["from": from, "to": to])
    }
    public static func backup(_ body: BackupBody) -> Endpoint<BackupReply> { Endpoint("POST", ["v1", "backup"], body: body) }
}

/// The tables a manager may take to a spreadsheet (`GET /v1/export/{table}.csv`, whose
/// reply is the file, not JSON).
public enum ExportTable: String, Sendable, CaseIterable {
    case ledger, patrols, hazards, volunteers

    public var path: String { "/v1/export/\(rawValue).csv" }
}
