import Foundation
import GRDB
import YizhanCore
import YizhanWire

/// The durable print queue: a slip is a row before it is bytes.
enum PrintJobs {
    @discardableResult
    static func enqueue(_ db: Database, slip: Slip, reprintOf: Int64? = nil, at now: Instant) throws -> Int64 {
        let time = Timestamp.text(now.wall)
        try db.execute(
            sql: "INSERT INTO print_job (slip_kind, slip, state, reprint_of, created_at, updated_at) VALUES (?, ?, 'queued', ?, ?, ?)",
            arguments: [slip.kind.rawValue, String(decoding: try JSONEncoder().encode(slip), as: UTF8.self), reprintOf, time, time])
        return db.lastInsertedRowID
    }

    static func record(_ row: Row) -> PrintJobRecord {
        PrintJobRecord(
            id: row["id"], slip: Slip.Kind(rawValue: row["slip_kind"])!, state: PrintJobState(rawValue: row["state"])!,
            reprintOf: row["reprint_of"], error: row["error"], createdAt: row.date("created_at")!, updatedAt: row.date("updated_at")!)
    }

    /// The slip a job prints: a reprint's says 补打.
    static func slip(_ row: Row) throws -> Slip {
        var slip = try JSONDecoder().decode(Slip.self, from: Data((row["slip"] as String).utf8))
        slip.reprint = row["reprint_of"] != nil
        return slip
    }

    static func find(_ db: Database, id: Int64) throws -> Row {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM print_job WHERE id = ?", arguments: [id]) else {
            throw YizhanError(.notFound, "no print job \(id)")
        }
        return row
    }
}

/// A job handed to the spooler: its id and the slip to render.
public struct PendingPrintJob: Sendable {
    public var id: Int64
    public var slip: Slip
}

extension Store {
    /// Print jobs, newest first, optionally in one state.
    public func printJobs(state: PrintJobState? = nil, before: Int64 = .max, limit: Int = 100) throws -> Page<PrintJobRecord> {
        try pool.read { db in
            try Page.read(
                db, sql: "SELECT * FROM print_job WHERE id < ? AND (? IS NULL OR state = ?) ORDER BY id DESC LIMIT ?",
                arguments: [before, state?.rawValue, state?.rawValue], limit: limit, item: PrintJobs.record)
        }
    }

    /// Queues a slip that no scan produced (a test page, a summary).
    public func enqueue(_ slip: Slip, at now: Instant) throws -> PrintJobRecord {
        try pool.write { db in
            let id = try PrintJobs.enqueue(db, slip: slip, at: now)
            return PrintJobs.record(try PrintJobs.find(db, id: id))
        }
    }

    /// Takes the oldest queued job and marks it printing, in one transaction, so that a
    /// crash while sending leaves it `printing` and the next start calls it uncertain.
    public func claimNextPrintJob(at now: Instant) throws -> PendingPrintJob? {
        try pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM print_job WHERE state = 'queued' ORDER BY id LIMIT 1") else {
                return nil
            }
            let id: Int64 = row["id"]
            try db.execute(
                sql: "UPDATE print_job SET state = 'printing', updated_at = ? WHERE id = ?", arguments: [Timestamp.text(now.wall), id])
            return PendingPrintJob(id: id, slip: try PrintJobs.slip(row))
        }
    }

    /// The slip job `id` prints, for previewing it.
    public func printJobSlip(_ id: Int64) throws -> Slip {
        try pool.read { db in try PrintJobs.slip(try PrintJobs.find(db, id: id)) }
    }

    /// Records how sending a job ended.
    /// A badge slip that printed forgets its code: the code is the badge, and the stored
    /// copy is only for reprinting a slip that did not come out.
    public func finishPrintJob(_ id: Int64, state: PrintJobState, error: String? = nil, at now: Instant) throws {
        try pool.write { db in
            try db.execute(
                sql: "UPDATE print_job SET state = ?, error = ?, updated_at = ? WHERE id = ? AND state = 'printing'",
                arguments: [state.rawValue, error, Timestamp.text(now.wall), id])
            let row = try PrintJobs.find(db, id: id)
            if state == .printed, row["slip_kind"] == Slip.Kind.badge.rawValue {
                var slip = try PrintJobs.slip(row)
                slip.qr = nil
                try db.execute(
                    sql: "UPDATE print_job SET slip = ? WHERE id = ?",
                    arguments: [String(decoding: try JSONEncoder().encode(slip), as: UTF8.self), id])
            }
        }
    }

    /// Puts a job that could not start (the printer is not ready) back at the head of the queue.
    public func requeuePrintJob(_ id: Int64, reason: String, at now: Instant) throws {
        try pool.write { db in
            try db.execute(
                sql: "UPDATE print_job SET state = 'queued', error = ?, updated_at = ? WHERE id = ? AND state = 'printing'",
                arguments: [reason, Timestamp.text(now.wall), id])
        }
    }

    /// Queues a reprint of a job that printed, failed or is uncertain; the slip says 补打.
    public func reprint(_ id: Int64, by actor: String? = nil, at now: Instant) throws -> PrintJobRecord {
        try pool.write { db in
            let row = try PrintJobs.find(db, id: id)
            guard PrintJobState(rawValue: row["state"])!.canBeReprinted else {
                throw YizhanError(.invalidTransition, "job \(id) is still \(row["state"] as String)")
            }
            let slip = try PrintJobs.slip(row)
            if slip.kind == .badge, slip.qr == nil {
                throw YizhanError(.invalidTransition, "job \(id) printed a badge, whose code is printed once: issue a new badge")
            }
            let original: Int64 = row["reprint_of"] ?? id
            let newID = try PrintJobs.enqueue(db, slip: slip, reprintOf: original, at: now)
            try Changes.record(db, actor: actor, action: "print_job.reprint", subject: "print job \(id)", at: now)
            return PrintJobs.record(try PrintJobs.find(db, id: newID))
        }
    }
}
