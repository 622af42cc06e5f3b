import Foundation
import Testing
import YizhanCore
import YizhanWire

/// What the daemon writes, a client reads back as the same value: keys, times, nesting.
@Suite struct WireCodingTests {
    /// A station east of UTC, one west of it, and one on it.
    static let calendars = ["Asia/Shanghai", "America/Santiago", "UTC"].map { StationCalendar(timeZone: TimeZone(identifier: $0)!) }
    let moment = Date(timeIntervalSince1970: 1_796_000_000)

    func roundTrip<Value: Codable & Equatable>(_ value: Value, _ calendar: StationCalendar) throws -> Value {
        let data = try WireCoding.encoder(calendar: calendar).encode(value)
        let read = try WireCoding.decoder().decode(Value.self, from: data)
        #expect(read == value, "\(String(decoding: data, as: UTF8.self))")
        return read
    }

    @Test(arguments: calendars) func everyReplyReadsBackAsWritten(calendar: StationCalendar) throws {
        let later = moment.addingTimeInterval(3_600)
        _ = try roundTrip(
            PatrolRecord(
                id: 7, volunteerID: 3, kind: .weeklyFull, state: .completed, openedAt: moment, closedAt: later, points: 4,
                missing: ["gate"], checkpoints: ["a", "b"], flaggedFast: true, clockSynced: false, noAwardReason: .notOnDuty,
                joinedPatrolID: 6), calendar)
        _ = try roundTrip(
            HazardRecord(
                id: 1, checkpointID: "gate", reporterID: 3, patrolID: 7, state: .rectifying, description: "电线裸露", deadline: "2026-12-03",
                reportedAt: moment, updatedAt: later), calendar)
        _ = try roundTrip(
            Page(items: [BadgeRecord(id: 1, volunteerID: 2, kind: .qr, code: "YZ:V:abc", createdAt: moment, revokedAt: later)], next: "9"),
            calendar)
        _ = try roundTrip(
            LedgerVerification(
                volunteers: 2, entries: 9,
                mismatches: [.init(volunteerID: 2, cachedBalance: 5, ledgerBalance: 4, cachedEarned: 5, ledgerEarned: 4)], repaired: false),
            calendar)
        _ = try roundTrip(RotaDay(day: "2026-12-01", volunteers: [.init(id: 2, name: "李四")], setBy: "manager", setAt: moment), calendar)
        _ = try roundTrip(CatalogItem(id: "soap", name: "肥皂", cost: 10, stock: 3, perVolunteerPerMonth: 2), calendar)
        _ = try roundTrip(ScanResult(seq: 12, reply: ScanReply(.accepted, .patrolStarted, "开始巡查")), calendar)
        _ = try roundTrip(EncodedSlip(widthDots: 576, chinese: "raster", escpos: [0x1B, 0x40]), calendar)
        _ = try roundTrip(ErrorReply(code: "not_found", message: "no volunteer 42"), calendar)
        var summary = StationSummary(from: "2026-11-01", to: "2026-11-30")
        summary.patrols.keyPeriod = 2
        summary.uncoveredDays = [.init(day: "2026-11-02", onDuty: [.init(id: 2, name: "李四", kept: false)])]
        summary.overdueHazards = [OverdueHazard(id: 1, checkpointID: "gate", deadline: "2026-11-20")]
        _ = try roundTrip(summary, calendar)
        var district = StationStatus.District()
        district.backlog = 3
        district.oldestQueuedAt = moment
        _ = try roundTrip(
            StationStatus(
                version: "1.0.0", station: .init(id: "s1", name: "驿站"), uptimeSeconds: 5, clock: .init(now: moment, synchronised: true),
                devices: [.init(id: "front", kind: "scanner", state: .present, detail: nil)], printQueue: 0, openPatrols: 1,
                store: "ok", lastReload: .init(at: later, applied: false, problems: ["printer.usb: is required"]), district: district),
            calendar)
    }

    /// A client shows a time in the offset the station wrote it in, not its own.
    @Test(arguments: calendars) func aTimeIsShownAsTheStationWroteIt(calendar: StationCalendar) throws {
        let times = ReceivedTimes()
        let data = try WireCoding.encoder(calendar: calendar).encode(ChangeRecord(id: 1, at: moment, actor: "a", action: "b", subject: "c"))
        let read = try WireCoding.decoder(times: times).decode(ChangeRecord.self, from: data)
        #expect(times.text(read.at) == calendar.rfc3339(moment))
        #expect(String(decoding: data, as: UTF8.self).contains("\"at\":\"\(calendar.rfc3339(moment))\""))
    }

    @Test func aTimeThatIsNotRFC3339IsRefused() throws {
        for text in ["2026-12-01 10:00:00", "2026-13-01T10:00:00Z", "2026-12-01T10:00:00+0800", "1796000000", "2026-12-01T10:00:00+08:00x"]
        {
            let data = Data("{\"id\":1,\"at\":\"\(text)\",\"actor\":\"a\",\"action\":\"b\",\"subject\":\"c\"}".utf8)
            #expect(throws: DecodingError.self, "\(text)") { try WireCoding.decoder().decode(ChangeRecord.self, from: data) }
        }
    }

    /// The body a client sends is one the daemon's strict decoding takes, field for field.
    @Test func everyBodyAClientSendsIsOneTheDaemonTakes() throws {
        let deadline = try #require(LocalDay("2026-12-03"))
        let sent: [any RequestBody] = [
            ScanBody(code: "YZ:C:gate", scanner: "cli"), NewVolunteerBody(name: "张三", role: .leader, phone: "138"),
            VolunteerPatchBody(active: false, login: ""), NewBadgeBody(kind: .card, uid: "04A1", print: true),
            AdjustmentBody(volunteerID: 3, delta: -50, note: "扣分"), NoteBody(note: "wrong"),
            TransitionBody(to: .rectifying, deadline: deadline, by: 2), HazardPatchBody(description: "d"),
            CatalogPatchBody(stock: 4), BackupBody(path: "/tmp/b"), VerifyBody(repair: true), RotaBody(volunteers: [1, 2]),
        ]
        for body in sent {
            let bytes = try WireCoding.encoder().encode(body)
            let taken = try type(of: body).decode(from: bytes)
            #expect(try WireCoding.encoder().encode(taken) == bytes, "\(String(decoding: bytes, as: UTF8.self))")
        }
    }

    @Test func pathsAndQueriesAreEncodedAndInOneOrder() {
        #expect(API.patrols(volunteer: 3, state: .open).path == "/v1/patrols?state=open&volunteer_id=3")
        #expect(API.hazards().path == "/v1/hazards")
        #expect(API.updateCatalogItem("a b/c", CatalogPatchBody(stock: 1)).path == "/v1/catalog/a%20b%2Fc")
        #expect(API.rota(from: LocalDay("2026-12-01"), to: nil).path == "/v1/rota?from=2026-12-01")
        #expect(API.cancelRedemption("K7Q2&M9", NoteBody()).path == "/v1/redemptions/K7Q2&M9/cancel")
        #expect(API.scans(limit: 5).method == "GET" && API.revokeBadge(4).method == "DELETE")
    }
}
