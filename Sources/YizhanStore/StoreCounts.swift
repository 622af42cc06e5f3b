import GRDB
import YizhanCore

/// The counts `GET /v1/status` shows, read together.
public struct StoreCounts: Sendable, Hashable {
    public var queuedPrintJobs = 0
    public var openPatrols = 0
    public var overdueHazards = 0
}

extension Store {
    /// Three counts, read in one transaction and kept until the next commit: the station
    /// screen and the technician poll them far more often than anything changes.
    public func counts(today: LocalDay) throws -> StoreCounts {
        let generation = self.generation
        if let kept = keptCounts.withLock({ $0 }), kept.generation == generation, kept.today == today { return kept.counts }
        let counts = try pool.read { db in
            func count(_ sql: String, _ arguments: StatementArguments = []) throws -> Int {
                try Int.fetchOne(db.cachedStatement(sql: sql), arguments: arguments) ?? 0
            }
            return StoreCounts(
                queuedPrintJobs: try count("SELECT COUNT(*) FROM print_job WHERE state = 'queued'"),
                openPatrols: try count("SELECT COUNT(*) FROM patrol WHERE state = 'open'"),
                overdueHazards: try count(
                    "SELECT COUNT(*) FROM hazard WHERE state IN ('rectifying', 'reopened') AND deadline IS NOT NULL AND deadline < ?",
                    [today.description]))
        }
        keptCounts.withLock { $0 = (generation, today, counts) }
        return counts
    }
}
