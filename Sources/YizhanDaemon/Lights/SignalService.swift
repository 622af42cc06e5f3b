import Foundation
import ServiceLifecycle
import Synchronization
import YizhanCore
import YizhanDevices
import YizhanStation

/// Turns scan outcomes and the station's health into lights and beeps (SPEC 3.3). Scans
/// only hand it an outcome; it plays patterns in its own task, so a slow GPIO chip can
/// never hold up a scan, and a newer outcome pre-empts an older pattern.
///
/// A GPIO chip missing at the start, or gone while running (an expander unplugged, its
/// driver unbound), is opened again with backoff, like an unplugged scanner, and the lights
/// show what they should from then on.
final class SignalService: Service {
    private struct State {
        var player: SignalPlayer
        var storeUsable = true
        var walking = false
        var lines: SignalLines = []
        /// While the output is missing: when to try opening it again, and the wait after that.
        var reopening: (at: Instant, backoff: Duration)?
    }

    private let output: Mutex<(any SignalOutput)?>
    /// Opens the output again, nil when it cannot be (none configured, or simulated).
    private let reopen: (@Sendable () -> (any SignalOutput)?)?
    private let plan: SignalPlan
    private let backend: String
    private let clock: any StationClock
    private let devices: DeviceRegistry
    private let state: Mutex<State>
    private let doorbell = Doorbell()

    init(
        output: (any SignalOutput)?, reopen: (@Sendable () -> (any SignalOutput)?)? = nil, backend: String, plan: SignalPlan,
        clock: any StationClock, devices: DeviceRegistry
    ) {
        self.output = Mutex(output)
        self.reopen = reopen
        self.plan = plan
        self.backend = backend
        self.clock = clock
        self.devices = devices
        let now = clock.now()
        let retry = output == nil && reopen != nil ? (now.advanced(by: .seconds(1)), Duration.seconds(2)) : nil
        state = Mutex(State(player: SignalPlayer(plan: plan, at: now), reopening: retry))
    }

    /// A committed scan: show its outcome (a debounced repeat shows nothing new) and note
    /// whether the store took it.
    func scanCommitted(_ scan: CommittedScan) {
        let now = clock.now()
        state.withLock { state in
            state.storeUsable = scan.result.seq != nil
            if scan.result.reason != .debounced { state.player.show(scan.result.outcome, at: now) }
            state.player.setHealth(health(storeUsable: state.storeUsable), at: now)
        }
        doorbell.ring()
    }

    /// A device came or went: the idle light follows.
    func devicesChanged() {
        let now = clock.now()
        state.withLock { state in state.player.setHealth(health(storeUsable: state.storeUsable), at: now) }
        doorbell.ring()
    }

    /// The database was found damaged and the daemon is about to stop: the store-unusable
    /// signal is shown at once, not at the player's next step.
    func storeFailed() {
        let now = clock.now()
        let lines = plan.storeUnusable.steps.first?.lines ?? .red
        guard let output = output.withLock({ $0 }), (try? output.show(lines)) != nil else { return }
        state.withLock { state in
            state.storeUsable = false
            state.player.setHealth(.storeUnusable, at: now)
            state.lines = lines
        }
    }

    private func health(storeUsable: Bool) -> StationHealth {
        if !storeUsable { return .storeUnusable }
        return devices.all.allSatisfy { $0.state == .present } ? .healthy : .deviceMissing
    }

    /// What the lights show now, and whether the last scan found the store taking scans
    /// (red steady when not), for the status API.
    var current: (backend: String, lines: SignalLines, storeUsable: Bool) {
        let (lines, storeUsable) = state.withLock { ($0.lines, $0.storeUsable) }
        return (backend, lines, storeUsable)
    }

    func run() async throws {
        guard output.withLock({ $0 }) != nil || reopen != nil else {
            // A service that returns would stop the whole daemon: without lights, just wait.
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let now = self.clock.now()
                self.reopenIfDue(at: now)
                let (lines, change, walking, reopening) = self.state.withLock { state in
                    (state.player.lines(at: now), state.player.timeUntilChange(at: now), state.walking, state.reopening)
                }
                if !walking { self.drive(lines) }
                if let wait = [change, reopening.map { $0.at.elapsed(since: now) }].compactMap({ $0 }).min() {
                    await self.doorbell.wait(timeout: wait)
                } else {
                    await self.doorbell.wait()
                }
            }
            self.drive([])
            self.output.withLock { $0 }?.close()
        }
    }

    /// While the output is missing, opens it again once its wait is over, and doubles the
    /// wait (up to a minute) when it is still not there.
    private func reopenIfDue(at now: Instant) {
        guard let reopen, let due = state.withLock({ $0.reopening }), now.monotonicNanoseconds >= due.at.monotonicNanoseconds else {
            return
        }
        let opened = reopen()
        output.withLock { $0 = opened }
        state.withLock { state in
            state.lines = []
            state.reopening = opened != nil ? nil : (now.advanced(by: due.backoff), min(due.backoff * 2, .seconds(60)))
        }
    }

    private func drive(_ lines: SignalLines) {
        guard let current = output.withLock({ $0 }) else { return }
        // Noted before they are lit: the simulated lights announce what they show as they
        // show it, and a client that hears of it may ask the status at once.
        state.withLock { $0.lines = lines }
        do {
            try current.show(lines)
        } catch {
            state.withLock { $0.lines = [] }
            devices.update(DeviceStatus(id: "gpio", kind: "gpio", state: error.isGone ? .missing : .fault, detail: "\(error)"))
            // A chip that went away is let go of, and opened again when it is back.
            guard error.isGone, reopen != nil else { return }
            current.close()
            output.withLock { $0 = nil }
            state.withLock { $0.reopening = (clock.now().advanced(by: .seconds(1)), .seconds(2)) }
        }
    }

    /// `yizhanctl gpio test`: each configured line on for a second, in turn, so a
    /// technician can check the wiring. Returns the lines walked.
    func walk(_ lines: [(name: String, lines: SignalLines)]) async -> [String] {
        guard output.withLock({ $0 }) != nil else { return [] }
        state.withLock { $0.walking = true }
        var walked: [String] = []
        for line in lines {
            drive(line.lines)
            try? await Task.sleep(for: .seconds(1))
            walked.append(line.name)
        }
        drive([])
        state.withLock { $0.walking = false }
        doorbell.ring()
        return walked
    }
}
