import YizhanConfig
import YizhanDevices

extension Daemon {
    /// With real GPIO, the chip and every line must exist; at run time a missing one only
    /// turns the lights off, but a technician checking the config wants to hear about it.
    public static func probeGPIO(_ config: DaemonConfig, driver: any GPIODriver = LibGPIOD()) -> [ConfigProblem] {
        guard config.gpio.backend == .gpiod else { return [] }
        // Each line with where it is configured: (table, index, key).
        var places: [(table: String, index: Int?, key: String, spec: GPIOLineSpec)] = config.gpio.outputs.compactMap { output in
            GPIOLineSpec(output.spec).map { ("gpio", nil, output.key, $0) }
        }
        for (index, button) in config.buttons.enumerated() {
            if let spec = GPIOLineSpec(button.line) { places.append(("button", index, "line", spec)) }
        }
        let lines = places.enumerated().map { (key: String($0.offset), spec: $0.element.spec) }
        return GPIOProbe.problems(driver: driver, chip: config.gpio.chip, lines: lines).map { key, message in
            guard let place = Int(key).map({ places[$0] }) else { return config.problem(table: "gpio", key: key, message) }
            return config.problem(table: place.table, index: place.index, key: place.key, message)
        }
    }
}
