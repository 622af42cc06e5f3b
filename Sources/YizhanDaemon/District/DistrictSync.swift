import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import YizhanAPI
import YizhanConfig
import YizhanCore
import YizhanDistrict
import YizhanStore
import YizhanWire

/// Pushes the station's outbox to the district's PostgreSQL (SPEC 9, "Push"), in `seq`
/// order, a batch per PostgreSQL transaction, marking records sent only after the district
/// committed them, and pulls what the district registers for every station ("Pull"). A
/// round connects, pulls, drains what it can, reports its backlog and disconnects: no
/// connection is held between rounds. While the district is away it retries with a jittered backoff from
/// 1 s to 5 min. Scans never wait for it: it shares only the store's short transactions.
final class DistrictSync: Service {
    private let config: DistrictConfig
    private let stationID: String
    private let store: Store
    private let clock: any StationClock
    /// Where the connection's I/O runs.
    private let loop: any EventLoop
    private let logger: Logger
    private let state = Mutex(StationStatus.District())
    /// Told the sync's figures after every round, for the `STATUS=` line.
    private let reported: @Sendable (StationStatus.District) -> Void
    /// Given the district's campaigns after a pull that changed them.
    private let campaignsPulled: @Sendable ([Campaign]) async -> Void

    /// Records per PostgreSQL transaction.
    static let batch = 500

    init(
        config: DistrictConfig, stationID: String, store: Store, clock: any StationClock, loop: any EventLoop, logger: Logger,
        reported: @escaping @Sendable (StationStatus.District) -> Void,
        campaignsPulled: @escaping @Sendable ([Campaign]) async -> Void
    ) {
        self.config = config
        self.stationID = stationID
        self.store = store
        self.clock = clock
        self.loop = loop
        self.logger = logger
        self.reported = reported
        self.campaignsPulled = campaignsPulled
    }

    /// The sync's figures for `GET /v1/status`.
    var status: StationStatus.District {
        var status = state.withLock { $0 }
        if let backlog = try? store.outboxBacklog() {
            status.backlog = backlog.records
            status.oldestQueuedAt = backlog.oldest
        }
        return status
    }

    func run() async throws {
        try store.openOutbox(at: clock.now())
        await campaignsPulled(try store.districtCampaigns())
        await cancelWhenGracefulShutdown {
            var backoff = Duration.seconds(1)
            while !Task.isCancelled {
                var wait = self.config.syncInterval
                do {
                    try await self.roundWithinLimit()
                    backoff = .seconds(1)
                } catch is CancellationError {
                    return
                } catch {
                    let message = (error as? DistrictError)?.description ?? "\(error)"
                    self.state.withLock { $0.lastError = message }
                    self.logger.warning("district sync failed", metadata: ["error": "\(message)", "retry_in": "\(backoff)"])
                    // Jittered, so stations that lost the district together do not return together.
                    wait = backoff * Double.random(in: 0.5...1.5)
                    backoff = min(backoff * 2, .seconds(300))
                }
                self.reported(self.status)
                try? await Task.sleep(for: wait)
            }
        }
    }

    /// A round, given up after `timeout_seconds` or at shutdown. Cancelling the round closes
    /// its connection; the loop does not wait for it to notice, so no library call that
    /// never returns can hold up the next round or the daemon's stop.
    private func roundWithinLimit() async throws {
        let result = Mutex<Result<Void, any Error>?>(nil)
        let finished = Doorbell()
        let round = Task {
            do {
                try await self.round()
                result.withLock { $0 = .success(()) }
            } catch {
                result.withLock { $0 = .failure(error) }
            }
            finished.ring()
        }
        defer { round.cancel() }
        // Returns at the round's end, at the time limit, or when this task is cancelled.
        await finished.wait(timeout: config.roundTimeout)
        if let outcome = result.withLock({ $0 }) { return try outcome.get() }
        try Task.checkCancellation()
        throw DistrictError(.timeout, "the district did not answer within \(config.roundTimeout)")
    }

    /// One round: learn the district's cursor (a batch whose acknowledgement was lost is
    /// marked sent, not pushed again), pull the registry, push the backlog batch by batch,
    /// and tell the district what is left.
    private func round() async throws {
        let password = try String(contentsOfFile: config.passwordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        var settings = try DistrictSettings(url: config.url, user: config.user, password: password)
        settings.user = config.user
        settings.tls = DistrictSettings.TLSMode(rawValue: config.tls.rawValue) ?? .verifyFull
        settings.caFile = config.caFile
        let (pulled, pushed) = try await District.with(settings, on: loop, logger: logger) { district in
            try await district.requireSchema()
            let cursor = try await district.cursor()
            if cursor > 0 { try store.markSent(through: cursor, at: clock.now()) }
            let pulled = try store.apply(try await district.registry(after: try store.registryRevision()), at: clock.now())
            var pushed = 0
            while true {
                let records = try store.unsentRecords(limit: Self.batch)
                guard !records.isEmpty else { break }
                let through = try await district.push(records, station: stationID)
                try store.markSent(through: through, at: clock.now())
                pushed += records.count
            }
            let backlog = try store.outboxBacklog()
            try await district.reportContact(backlog: backlog.records, oldestQueuedAt: backlog.oldest)
            return (pulled, pushed)
        }
        state.withLock {
            $0.lastPush = clock.now().wall
            $0.lastError = nil
        }
        if pushed > 0 { logger.info("district sync pushed", metadata: ["records": "\(pushed)"]) }
        if !pulled.isEmpty {
            logger.notice(
                "district registry pulled",
                metadata: [
                    "volunteers": "\(pulled.volunteers)", "badges": "\(pulled.badges)", "revoked": "\(pulled.revoked)",
                    "campaigns": "\(pulled.campaigns)",
                ])
            for badge in pulled.refusedBadges {
                logger.warning("district badge refused: the station already holds its credential", metadata: ["district_badge": "\(badge)"])
            }
            if pulled.campaigns > 0 { await campaignsPulled(try store.districtCampaigns()) }
        }
    }
}
