import Foundation
import Logging
import ServiceLifecycle
import YizhanConfig
import YizhanCore
import YizhanDevices
import YizhanStation
import YizhanStore
import YizhanWire

/// One button on a GPIO line: debounced edges become presses, presses become the actions
/// the config maps them to. It sleeps until the kernel reports an edge.
final class ButtonService: Service {
    private let config: ButtonConfig
    private let open: @Sendable () throws -> GPIOButton
    private let debouncer: ButtonDebouncer
    private let clock: any StationClock
    private let devices: DeviceRegistry
    private let perform: @Sendable (ButtonConfig.Action) async -> Void
    private let logger: Logger

    init(
        config: ButtonConfig, open: @escaping @Sendable () throws -> GPIOButton, debouncer: ButtonDebouncer, clock: any StationClock,
        devices: DeviceRegistry, perform: @escaping @Sendable (ButtonConfig.Action) async -> Void, logger: Logger
    ) {
        self.config = config
        self.open = open
        self.debouncer = debouncer
        self.clock = clock
        self.devices = devices
        self.perform = perform
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var backoff: Duration = .seconds(1)
            while !Task.isCancelled {
                do {
                    let button = try self.open()
                    defer { button.close() }
                    self.devices.update(DeviceStatus(id: self.config.line, kind: "button", state: .present))
                    backoff = .seconds(1)
                    var debouncer = self.debouncer
                    while !Task.isCancelled {
                        let edge = try await button.nextEdge(on: self.clock)
                        guard let press = debouncer.edge(pressed: edge.pressed, at: edge.at) else { continue }
                        let action = press == .long ? self.config.longPress : self.config.press
                        self.logger.info(
                            "button pressed",
                            metadata: ["line": "\(self.config.line)", "press": "\(press)", "action": "\(action.rawValue)"])
                        await self.perform(action)
                    }
                } catch is CancellationError {
                    return
                } catch {
                    self.devices.update(DeviceStatus(id: self.config.line, kind: "button", state: .missing, detail: "\(error)"))
                }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(60))
            }
        }
    }
}

extension Store {
    /// The newest job that went to the printer (or tried to), for the reprint button.
    func lastSentPrintJob() throws -> PrintJobRecord? {
        try printJobs(limit: 100).items.first { $0.state != .queued && $0.state != .printing }
    }
}
