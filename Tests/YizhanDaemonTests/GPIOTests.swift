import Foundation
import Synchronization
import Testing
import YizhanConfig
import YizhanCore
import YizhanDevices
import YizhanSystem
import YizhanTestSupport

@testable import YizhanDaemon

/// The GPIO backend through its funnel, with a fake chip standing in for the kernel.
@Suite struct GPIOTests {
    let driver = FakeGPIODriver(chips: [
        FakeGPIODriver.Chip(name: "gpiochip0", label: "pinctrl-bcm2835", lines: ["GPIO5", "GPIO17", "GPIO18", "GPIO22", "GPIO27"])
    ])

    @Test func chipsAreFoundByNamePathOrLabelAndLinesByNameOrOffset() throws {
        for description in ["gpiochip0", "/dev/gpiochip0", "pinctrl-bcm2835"] {
            #expect(throws: Never.self) { try driver.openChip(description) }
        }
        #expect(throws: GPIOError.self) { try driver.openChip("gpiochip7") }
        let chip = try driver.openChip("pinctrl-bcm2835")
        #expect(try GPIOLineSpec("GPIO17")!.find(on: chip, driver: driver) == GPIOLineSpec("1")!.find(on: chip, driver: driver))
    }

    @Test func lightsDriveTheLinesWithActiveLowInverted() throws {
        let lights = try GPIOLights(
            driver: driver, chip: "gpiochip0",
            lines: [(.green, GPIOLineSpec("GPIO17")!), (.red, GPIOLineSpec("!GPIO22")!), (.buzzer, GPIOLineSpec("2")!)])
        #expect(driver.level(chip: "gpiochip0", line: "GPIO17") == false)
        #expect(driver.level(chip: "gpiochip0", line: "GPIO22") == true, "active-low off is a high level")
        try lights.show([.green, .red])
        #expect(driver.level(chip: "gpiochip0", line: "GPIO17") == true)
        #expect(driver.level(chip: "gpiochip0", line: "GPIO22") == false, "active-low on pulls the line low")
        #expect(driver.level(chip: "gpiochip0", line: "GPIO18") == false)
        #expect(driver.calls.contains("requestOutput(GPIO17)"))
        lights.close()
        #expect(driver.calls.last == "closeChip")
    }

    @Test func aChipThatDisappearsIsReportedGoneAndTheStationGoesOn() async throws {
        let lights = try GPIOLights(driver: driver, chip: "gpiochip0", lines: [(.green, GPIOLineSpec("GPIO17")!)])
        driver.unplug(chip: "gpiochip0")
        do {
            try lights.show(.green)
            Issue.record("a vanished chip accepted a value")
        } catch {
            #expect(error.isGone)
        }
        let devices = DeviceRegistry()
        let clock = Fixtures.clock("2026-11-30 09:00")
        let signals = SignalService(
            output: lights, backend: "gpiod", plan: SignalPlan(), clock: clock, devices: devices)
        let walked = await signals.walk([("green", .green)])
        #expect(walked == ["green"])
        #expect(devices.all.first { $0.kind == "gpio" }?.state == .missing)
    }

    /// The simulated lights announce each change as they show it (the event stream's
    /// `lights`): a client that hears of it and asks the status at once reads the same lines.
    @Test func whatTheLightsAnnounceIsAlreadyInTheStatus() async throws {
        let service = Mutex<SignalService?>(nil)
        let seen = Mutex<[(announced: SignalLines, status: SignalLines?)]>([])
        let clock = Fixtures.clock("2026-11-30 09:00")
        let lights = SimulatedLights(clock: clock) { change in
            let status = service.withLock { $0 }?.current.lines
            seen.withLock { $0.append((change.lines, status)) }
        }
        let signals = SignalService(output: lights, backend: "sim", plan: SignalPlan(), clock: clock, devices: DeviceRegistry())
        service.withLock { $0 = signals }
        _ = await signals.walk([("red", .red)])
        let changes = seen.withLock { $0 }
        #expect(changes.map(\.announced) == [.red, []])
        #expect(changes.allSatisfy { $0.status == $0.announced }, "\(changes)")
    }

    /// Missing at the start, then back: opened again after the first wait, and the idle
    /// light shown; gone again while running: let go of, and opened again once back.
    @Test func lightsAreOpenedAgainWhenTheirChipIsBack() async throws {
        let devices = DeviceRegistry()
        let driver = self.driver
        let open: @Sendable () -> (any SignalOutput)? = {
            guard let lights = try? GPIOLights(driver: driver, chip: "gpiochip0", lines: [(.green, GPIOLineSpec("GPIO17")!)]) else {
                return nil
            }
            devices.update(DeviceStatus(id: "gpio", kind: "gpio", state: .present))
            return lights
        }
        driver.unplug(chip: "gpiochip0")
        let signals = SignalService(
            output: open(), reopen: open, backend: "gpiod", plan: SignalPlan(), clock: SystemClock(), devices: devices)
        devices.observe { _ in signals.devicesChanged() }
        let running = Task { try await signals.run() }
        defer { running.cancel() }
        func opens() -> Int { driver.calls.filter { $0.hasPrefix("openChip") }.count }
        // Green shown by lights opened after the first `after` openings. The service's
        // retry waits on the test process's pool, which other suites' blocking waits can
        // hold for many seconds: hence the long bound, not needed on a quiet machine (2 s).
        func green(after: Int, within seconds: Int) async -> Bool {
            let deadline = ContinuousClock.now + .seconds(seconds)
            while ContinuousClock.now < deadline {
                if opens() > after, devices.all.first(where: { $0.kind == "gpio" })?.state == .present, signals.current.lines == .green,
                    driver.level(chip: "gpiochip0", line: "GPIO17") == true
                {
                    return true
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return false
        }
        let missing = opens()
        driver.plug(chip: "gpiochip0")
        #expect(await green(after: missing, within: 60), "opened when the chip came")

        // Gone while running: found when the lines next change (the wiring walk's last step).
        driver.unplug(chip: "gpiochip0")
        _ = await signals.walk([("green", .green)])
        #expect(devices.all.first { $0.kind == "gpio" }?.state == .missing)
        let gone = opens()
        driver.plug(chip: "gpiochip0")
        #expect(await green(after: gone, within: 60), "opened again once back")
    }

    @Test func buttonEdgesArriveThroughTheEventDescriptor() async throws {
        let button = try GPIOButton(driver: driver, chip: "gpiochip0", line: GPIOLineSpec("!GPIO5")!)
        let clock = SystemClock()
        driver.drive(chip: "gpiochip0", line: "GPIO5", level: true)
        driver.drive(chip: "gpiochip0", line: "GPIO5", level: false)
        #expect(try await button.nextEdge(on: clock).pressed == false, "active-low: high is released")
        #expect(try await button.nextEdge(on: clock).pressed == true, "pulled low is pressed")
        let waiting = Task { try await button.nextEdge(on: clock).pressed }
        driver.drive(chip: "gpiochip0", line: "GPIO5", level: true)
        #expect(try await waiting.value == false, "a waiting reader wakes for a new edge")
        button.close()
    }

    /// A board busy elsewhere reads a press's edges only after it is over, all at once: the
    /// contact bounce and the press's length are told by when the kernel saw each edge.
    @Test func aPressReadAfterItEndedIsStillAPress() async throws {
        let button = try GPIOButton(driver: driver, chip: "gpiochip0", line: GPIOLineSpec("!GPIO5")!)
        defer { button.close() }
        let clock = SystemClock()
        driver.drive(chip: "gpiochip0", line: "GPIO5", level: true)  // released, as the pull-up holds it
        _ = try await button.nextEdge(on: clock)
        // Stamped as the kernel saw them, in the past: a bounce of 2 ms, then held down for
        // 200 ms (a sleep here would be as long as a busy machine makes it).
        let start = Kernel.monotonicNanoseconds - 300_000_000
        for (level, after) in [(false, 0), (true, 1), (false, 2), (true, 202)] {
            driver.drive(chip: "gpiochip0", line: "GPIO5", level: level, at: start + UInt64(after) * 1_000_000)
        }
        var debouncer = ButtonDebouncer()
        var presses: [ButtonDebouncer.Press] = []
        for _ in 0..<4 {
            let edge = try await button.nextEdge(on: clock)
            if let press = debouncer.edge(pressed: edge.pressed, at: edge.at) { presses.append(press) }
        }
        #expect(presses == [.short])
    }

    @Test func checkConfigNamesTheMissingLineAndTheChip() throws {
        let source = """
            [station]
            id = "s"
            name = "驿站"

            [printer]
            transport = "file"
            path = "/tmp/slips"

            [gpio]
            backend = "gpiod"
            chip = "gpiochip0"
            green = "GPIO17"
            amber = "GPIO99"

            [[button]]
            line = "!GPIO6"
            """
        let config = try ConfigLoader.parse(source, file: "/etc/yizhan/yizhand.toml")
        let problems = Daemon.probeGPIO(config, driver: driver).map(\.description)
        #expect(problems.count == 2)
        #expect(
            problems.first?.hasPrefix(
                "/etc/yizhan/yizhand.toml:13: gpio.amber: line GPIO99 is not on chip \"gpiochip0\" (label \"pinctrl-bcm2835\")") == true,
            "\(problems)")
        #expect(problems.last?.hasPrefix("/etc/yizhan/yizhand.toml:16: button[1].line: line !GPIO6 is not on chip") == true, "\(problems)")
        var missingChip = config
        missingChip.gpio.chip = "gpiochip4"
        #expect(
            Daemon.probeGPIO(missingChip, driver: driver).map(\.description) == [
                "/etc/yizhan/yizhand.toml:11: gpio.chip: GPIO chip \"gpiochip4\" cannot be opened: gpiod_chip_open_lookup(gpiochip4): No such file or directory"
            ])
    }
}
