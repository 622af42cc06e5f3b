import ESCPOS
import Foundation
import Logging
import ServiceLifecycle
import YizhanCore
import YizhanDevices
import YizhanStore

/// Sends queued slips to the printer one at a time, in order. A job is marked printing in
/// the store before its first byte goes out, so a crash mid-job leaves it uncertain rather
/// than printed twice. Printing runs beside scanning and never holds it up.
final class Spooler: Service {
    private let store: Store
    private let clock: any StationClock
    private let transport: (any PrinterTransport)?
    private let plug: PrinterPlug?
    private let renderer: SlipRenderer?
    private let devices: DeviceRegistry
    private let doorbell: Doorbell
    private let finished: @Sendable (Int64, PrintJobState) -> Void
    private let logger: Logger

    /// How long a job waits before trying a printer that was not ready.
    static let retryDelay: Duration = .seconds(5)

    init(
        store: Store, clock: any StationClock, transport: (any PrinterTransport)?, plug: PrinterPlug?, renderer: SlipRenderer?,
        devices: DeviceRegistry, doorbell: Doorbell, finished: @escaping @Sendable (Int64, PrintJobState) -> Void, logger: Logger
    ) {
        self.doorbell = doorbell
        self.finished = finished
        self.store = store
        self.clock = clock
        self.transport = transport
        self.plug = plug
        self.renderer = renderer
        self.devices = devices
        self.logger = logger
    }

    func run() async throws {
        guard let transport, let renderer else {
            // No way to encode slips (the font is unreadable): jobs stay queued, durably.
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if await self.printQueued(through: transport, renderer: renderer) {
                    await self.waitForJobs()
                } else {
                    await self.doorbell.wait(timeout: Self.retryDelay)
                }
            }
        }
    }

    /// Idle until a job comes. Meanwhile a printer whose node can tell is watched, so that
    /// the status and the lights say it was plugged in or pulled out without waiting for a
    /// slip to find out (a printer missing at the start, plugged in later, kept the lights
    /// amber until then). It is looked at when a device comes or goes, not every few
    /// seconds: an idle station's board sleeps.
    private func waitForJobs() async {
        guard let plug else { return await doorbell.wait() }
        while !(await doorbell.wait(orUntil: plug.changed)), !Task.isCancelled {
            if let absent = plug.absence() {
                devices.update(DeviceStatus(id: "printer", kind: "printer", state: .missing, detail: absent))
            } else if devices.all.first(where: { $0.kind == "printer" })?.state == .missing {
                // Plugged in: there, as at the start, until a slip says more.
                devices.update(DeviceStatus(id: "printer", kind: "printer", state: .present, detail: plug.detail))
            }
        }
    }

    /// The printer's own thread: a job can take seconds on a slow printer, and must not
    /// hold one of the few threads that scans run on.
    private let printerThread = DispatchQueue(label: "yizhan.printer")

    private func send(_ bytes: [UInt8], through transport: any PrinterTransport) async throws(PrinterSendError) -> PrinterCondition {
        let result: Result<PrinterCondition, PrinterSendError> = await withCheckedContinuation { continuation in
            printerThread.async { continuation.resume(returning: Result { () throws(PrinterSendError) in try transport.send(bytes) }) }
        }
        return try result.get()
    }

    /// Prints every queued job; false when the printer was not ready and jobs are waiting.
    private func printQueued(through transport: any PrinterTransport, renderer: SlipRenderer) async -> Bool {
        while !Task.isCancelled {
            let job: PendingPrintJob?
            do {
                job = try store.claimNextPrintJob(at: clock.now())
            } catch {
                logger.error("print queue unreadable", metadata: ["error": "\(error)"])
                return false
            }
            guard let job else { return true }
            do throws(PrinterSendError) {
                let condition = try await send(renderer.render(job.slip), through: transport)
                try? store.finishPrintJob(job.id, state: .printed, at: clock.now())
                finished(job.id, .printed)
                if devices.update(DeviceStatus(id: "printer", kind: "printer", state: .present, detail: condition.rawValue)),
                    condition != .ready
                {
                    logger.warning("printed with a warning", metadata: ["condition": "\(condition.rawValue)"])
                }
                logger.info("slip printed", metadata: ["job": "\(job.id)", "slip": "\(job.slip.kind.rawValue)"])
            } catch {
                switch error {
                case .brokeOff(let reason):
                    try? store.finishPrintJob(job.id, state: .uncertain, error: reason, at: clock.now())
                    finished(job.id, .uncertain)
                    devices.update(DeviceStatus(id: "printer", kind: "printer", state: .fault, detail: reason))
                    logger.error("print job broke off; it waits for a reprint", metadata: ["job": "\(job.id)", "reason": "\(reason)"])
                case .notReady(let reason):
                    try? store.requeuePrintJob(job.id, reason: reason, at: clock.now())
                    // A printer that answered is there but cannot print (paper out, cover open, offline).
                    let state: DeviceStatus.State = PrinterCondition(rawValue: reason) == nil ? .missing : .fault
                    devices.update(DeviceStatus(id: "printer", kind: "printer", state: state, detail: reason))
                    return false
                }
            }
        }
        return true
    }
}
