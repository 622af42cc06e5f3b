import Synchronization
import YizhanCore

/// Where the signalling service sends the lines to drive.
public protocol SignalOutput: Sendable {
    /// Drives the lines: those in `lines` on, the others off. Throws when the device failed.
    func show(_ lines: SignalLines) throws(GPIOError)
    /// Lets the device go; `show` does nothing after.
    func close()
}

/// The LEDs and buzzer on a GPIO chip, requested as outputs with the consumer `yizhand`.
public final class GPIOLights: SignalOutput {
    private let driver: any GPIODriver
    private let chip: GPIOHandle
    private let outputs: [(SignalLines, GPIOHandle)]
    /// What the lines show, nil before the first `show`; the lock also keeps `close` from
    /// releasing the lines while another thread drives them.
    private let current = Mutex<(lines: SignalLines?, open: Bool)>((nil, true))

    /// Opens `chip` and requests each configured line, all off.
    public init(driver: any GPIODriver, chip description: String, lines: [(SignalLines, GPIOLineSpec)]) throws(GPIOError) {
        self.driver = driver
        chip = try driver.openChip(description)
        var outputs: [(SignalLines, GPIOHandle)] = []
        do {
            for (signal, spec) in lines {
                let line = try spec.find(on: chip, driver: driver)
                try driver.requestOutput(line, consumer: "yizhand", activeLow: spec.activeLow, value: false)
                outputs.append((signal, line))
            }
        } catch {
            for (_, line) in outputs { driver.release(line) }
            driver.closeChip(chip)
            throw error
        }
        self.outputs = outputs
    }

    public func show(_ lines: SignalLines) throws(GPIOError) {
        try current.withLock { (current) throws(GPIOError) in
            guard current.open else { return }
            for (signal, line) in outputs where current.lines.map({ $0.contains(signal) != lines.contains(signal) }) ?? true {
                try driver.setValue(line, lines.contains(signal))
            }
            current.lines = lines
        }
    }

    /// Releases the lines and closes the chip, once.
    public func close() {
        current.withLock { current in
            guard current.open else { return }
            current.open = false
            for (_, line) in outputs { driver.release(line) }
            driver.closeChip(chip)
        }
    }
}

/// The simulated lights of development: remembers each change with its time, for the
/// status API and the event stream.
public final class SimulatedLights: SignalOutput {
    /// One change of the lines.
    public struct Change: Sendable, Hashable {
        public var at: Instant
        public var lines: SignalLines
    }

    private let clock: any StationClock
    private let changes = Mutex<[Change]>([])
    private let changed: @Sendable (Change) -> Void

    public init(clock: any StationClock, changed: @escaping @Sendable (Change) -> Void = { _ in }) {
        self.clock = clock
        self.changed = changed
    }

    public func show(_ lines: SignalLines) throws(GPIOError) {
        let change = Change(at: clock.now(), lines: lines)
        let isNew = changes.withLock { changes in
            guard changes.last?.lines != lines else { return false }
            changes.append(change)
            if changes.count > 1000 { changes.removeFirst(changes.count - 1000) }
            return true
        }
        if isNew { changed(change) }
    }

    public func close() {}

    /// The changes so far, oldest first (the last 1000).
    public var history: [Change] { changes.withLock { $0 } }
}

/// Checks, without requesting anything, that the chip and every configured line exist:
/// `yizhand --check-config` runs it so a wiring mistake is a config error.
public enum GPIOProbe {
    /// Problems as (config key, message).
    public static func problems(driver: any GPIODriver, chip description: String, lines: [(key: String, spec: GPIOLineSpec)]) -> [(
        key: String, message: String
    )] {
        let chip: GPIOHandle
        do {
            chip = try driver.openChip(description)
        } catch {
            return [("chip", "GPIO chip \"\(description)\" cannot be opened: \(error)")]
        }
        defer { driver.closeChip(chip) }
        let label = driver.chipLabel(chip)
        return lines.compactMap { key, spec in
            do {
                _ = try spec.find(on: chip, driver: driver)
                return nil
            } catch {
                return (key, "line \(spec) is not on chip \"\(description)\" (label \"\(label)\"): \(error)")
            }
        }
    }
}
