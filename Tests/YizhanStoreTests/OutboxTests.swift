import Foundation
import StationTestSupport
import Testing
import YizhanCore
import YizhanTestSupport

@testable import YizhanStore

/// The district's outbox: written by the same transaction as each change, in order, and
/// only once a district is configured.
@Suite struct OutboxTests {
    @Test func nothingIsQueuedUntilTheOutboxOpensThenTheHistoryComesFirst() async throws {
        let station = try StationHarness()
        let (volunteer, badge) = try station.volunteer("张三")
        await station.dailyPatrol(badge)
        #expect(try station.store.outboxBacklog().records == 0, "a station without a district queues nothing")

        try station.store.openOutbox(at: station.clock.now())
        let history = try station.store.unsentRecords(limit: 100)
        #expect(history.map(\.kind) == ["volunteer", "badge", "patrol", "patrol_check", "patrol_check", "ledger_entry", "scan_day"])
        #expect(history.map(\.seq) == Array(history[0].seq...(history[0].seq + 6)), "numbered without gaps")
        let patrol = try #require(
            try JSONSerialization.jsonObject(with: Data(history[2].body.utf8)) as? [String: Any])
        #expect(
            patrol["state"] as? String == "completed" && patrol["points"] as? Int == 2
                && patrol["volunteer_id"] as? Int == Int(volunteer.id))
        let person = try #require(try JSONSerialization.jsonObject(with: Data(history[0].body.utf8)) as? [String: Any])
        #expect(person["phone"] == nil && person["name"] as? String == "张三", "no phone number leaves the station")
        let scans = try #require(try JSONSerialization.jsonObject(with: Data(history[6].body.utf8)) as? [String: Any])
        #expect(scans["outcome"] as? String == "accepted" && scans["count"] as? Int == 4, "the day's four accepted scans, counted")

        try station.store.openOutbox(at: station.clock.now())
        #expect(try station.store.outboxBacklog().records == 7, "opening again queues nothing twice")
    }

    @Test func eachChangeIsQueuedInItsOwnTransactionAndARefusedOneQueuesNothing() async throws {
        let station = try StationHarness()
        let (volunteer, badge) = try station.volunteer("李四")
        try station.store.openOutbox(at: station.clock.now())
        let opened = try station.store.outboxBacklog().records

        await station.scan(badge)
        #expect(try station.store.unsentRecords(limit: 100).dropFirst(opened).map(\.kind) == ["patrol", "scan_day"])
        await station.scan("YZ:C:extinguisher-1", after: 60)
        await station.scan("YZ:C:water-dispenser", after: 60)
        await station.scan(badge, after: 240)
        let patrolRecords = try station.store.unsentRecords(limit: 100).dropFirst(opened).map(\.kind).filter { $0 != "scan_day" }
        #expect(patrolRecords == ["patrol", "patrol_check", "patrol_check", "patrol", "ledger_entry"])
        let counts = try station.store.unsentRecords(limit: 100).filter { $0.kind == "scan_day" }.map(\.body)
        #expect(counts.count == 4 && counts.last?.contains("\"count\":4") == true, "each scan counted in its own transaction")

        let before = try station.store.outboxBacklog().records
        #expect(throws: YizhanError.self) {
            try station.store.adjust(volunteerID: volunteer.id, delta: -100, note: "too much", at: station.clock.now())
        }
        #expect(try station.store.outboxBacklog().records == before, "the refused adjustment was rolled back with its record")

        // A balance changing does not resend the volunteer: the district reads points from the ledger.
        _ = try station.store.adjust(volunteerID: volunteer.id, delta: 5, note: "bonus", at: station.clock.now())
        #expect(try station.store.unsentRecords(limit: 100).last?.kind == "ledger_entry")
        #expect(try station.store.outboxBacklog().records == before + 1)
    }

    @Test func sentRecordsLeaveTheBacklog() async throws {
        let station = try StationHarness()
        try station.store.openOutbox(at: station.clock.now())
        for name in ["甲", "乙", "丙"] { _ = try station.volunteer(name) }
        let records = try station.store.unsentRecords(limit: 4)
        #expect(records.count == 4)
        try station.store.markSent(through: records[3].seq, at: station.clock.now())
        let backlog = try station.store.outboxBacklog()
        #expect(backlog.records == 2 && backlog.oldest != nil)
        #expect(try station.store.unsentRecords(limit: 10).first?.seq == records[3].seq + 1)
    }

    /// Sent records stay 30 days, then go with the next batch marked sent; records not
    /// yet sent stay however old, and `seq` goes on from where it was.
    @Test func recordsSentOverAMonthAgoGoAndTheBacklogStays() async throws {
        let station = try StationHarness()
        try station.store.openOutbox(at: station.clock.now())
        func seqs() throws -> [Int64] { try station.store.pool.read { try Int64.fetchAll($0, sql: "SELECT seq FROM outbox ORDER BY seq") } }
        for name in ["甲", "乙"] { _ = try station.volunteer(name) }
        let first = try station.store.unsentRecords(limit: 100)
        try station.store.markSent(through: first.last!.seq, at: station.clock.now())
        station.clock.advance(by: .seconds(20 * 86_400))
        _ = try station.volunteer("丙")
        let second = try station.store.unsentRecords(limit: 100)
        try station.store.markSent(through: second.last!.seq, at: station.clock.now())
        station.clock.advance(by: .seconds(5 * 86_400))
        _ = try station.volunteer("丁")
        let waiting = try station.store.unsentRecords(limit: 100)
        #expect(try seqs() == (first + second + waiting).map(\.seq), "nothing goes within 30 days")

        // 31 days after the first were sent: they go, the second (sent 11 days ago) and the
        // backlog stay, whatever its age.
        station.clock.advance(by: .seconds(6 * 86_400))
        try station.store.markSent(through: first.last!.seq, at: station.clock.now())
        #expect(try seqs() == (second + waiting).map(\.seq))
        #expect(try station.store.unsentRecords(limit: 100).map(\.seq) == waiting.map(\.seq))

        // Two months on, the backlog still waiting: every sent record is old, and only they go.
        station.clock.advance(by: .seconds(60 * 86_400))
        try station.store.markSent(through: second.last!.seq, at: station.clock.now())
        #expect(try seqs() == waiting.map(\.seq), "the backlog stays however old")
        try station.store.markSent(through: waiting.last!.seq, at: station.clock.now())
        #expect(try seqs() == waiting.map(\.seq), "the last sent stay their 30 days")
        _ = try station.volunteer("戊")
        #expect(try station.store.unsentRecords(limit: 100).first!.seq == waiting.last!.seq + 1, "seq goes on")
    }
}
