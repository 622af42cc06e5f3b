import Foundation
import Logging
import ServiceLifecycle
import YizhanConfig
import YizhanCore
import YizhanDevices
import YizhanStation
import YizhanStore
import YizhanWire

/// The lights and buttons the config names, opened or reported missing or unsupported.
extension Daemon {
    /// The lights' backend: real GPIO, simulated, or none. A chip or line that is missing
    /// leaves the daemon serving scans without lights, and says so; the signalling service
    /// calls this again until they are there.
    static func lights(_ config: DaemonConfig, devices: DeviceRegistry, events: EventBus, clock: any StationClock) -> (
        any SignalOutput
    )? {
        switch config.gpio.backend {
        case .none:
            return nil
        case .sim:
            devices.update(DeviceStatus(id: "gpio", kind: "gpio", state: .present, detail: "simulated"))
            return SimulatedLights(clock: clock) { change in events.publish(.lights, LightsEvent(on: change.lines.names), held: false) }
        case .gpiod:
            do {
                let lines = config.gpio.outputs.compactMap { output in GPIOLineSpec(output.spec).map { (output.lines, $0) } }
                let lights = try GPIOLights(driver: LibGPIOD(), chip: config.gpio.chip, lines: lines)
                devices.update(DeviceStatus(id: "gpio", kind: "gpio", state: .present, detail: config.gpio.chip))
                return lights
            } catch {
                devices.update(DeviceStatus(id: "gpio", kind: "gpio", state: .missing, detail: "\(error)"))
                return nil
            }
        }
    }

    /// One service per configured button (real GPIO only).
    static func buttons(
        _ config: DaemonConfig, clock: any StationClock, devices: DeviceRegistry, store: Store, slipQueued: @escaping @Sendable () -> Void,
        logger: Logger
    ) -> [any Service] {
        guard config.gpio.backend == .gpiod else { return [] }
        let calendar = config.rules.calendar
        let perform: @Sendable (ButtonConfig.Action) async -> Void = { action in
            let now = clock.now()
            do {
                switch action {
                case .reprintLast:
                    if let job = try store.lastSentPrintJob() { _ = try store.reprint(job.id, at: now) }
                case .printSummary:
                    let today = calendar.localDay(of: now.wall)
                    let summary = try store.summary(from: today, to: today, today: today, calendar: calendar)
                    _ = try store.enqueue(SlipBuilder(rules: config.rules).summary(summary, at: now), at: now)
                case .none:
                    return
                }
                slipQueued()
            } catch {
                logger.error("button action failed", metadata: ["action": "\(action.rawValue)", "error": "\(error)"])
            }
        }
        return config.buttons.compactMap { button in
            guard let spec = GPIOLineSpec(button.line) else { return nil }
            return ButtonService(
                config: button, open: { try GPIOButton(driver: LibGPIOD(), chip: config.gpio.chip, line: spec) },
                debouncer: ButtonDebouncer(debounce: config.gpio.debounce, longPress: config.gpio.longPress), clock: clock,
                devices: devices,
                perform: perform, logger: logger)
        }
    }
}
