import Foundation
import Testing
import YizhanTestSupport
import YizhanWire

/// The lights through the built daemon: simulated in development, and a missing GPIO chip
/// that leaves the station serving.
@Suite(.serialized) struct LightsEndToEndTests {
    @Test func theSimulatedLightsShowEachOutcomeOnTheStatusAndTheEventStream() throws {
        // The error's red held, not 2 s: the status is read after the event, which a loaded
        // machine (a clean `make test`, the release build beside) once took longer than that.
        let daemon = try DaemonProcess(
            extra: DaemonProcess.defaultRules + "\n[gpio]\nbackend = \"sim\"\n\n[signals]\nerror = [\"red+buzzer:600\", \"red\"]\n")
        try daemon.start()
        let lights = try daemon.events()
        #expect(try daemon.api.call(API.scan(ScanBody(code: "not a code"))).outcome == .error)
        #expect(try lights.next(.lights) { $0.on.contains("red") } != nil, "the error shows red")
        let status = try daemon.api.call(API.status).lights
        #expect(status.backend == "sim")
        #expect(status.on.contains("red"), "\(status.on)")
    }

    /// A board without its GPIO chip (or a container) still starts: the check names the
    /// chip as a warning, and the station serves with the lights reported missing.
    @Test func aMissingGPIOChipIsAWarningAndTheStationServesWithoutLights() throws {
        let daemon = try DaemonProcess(
            extra: DaemonProcess.defaultRules + "\n[gpio]\nbackend = \"gpiod\"\nchip = \"gpiochip-none\"\ngreen = \"GPIO17\"\n")
        let check = try Command.run(Command.product("yizhand"), ["--check-config", "--config", daemon.configPath])
        let message = check.errors
        #expect(check.status == 0 && check.output == "\(daemon.configPath): ok\n", "\(check.output)")
        #expect(message.contains("warning: "), "\(message)")
        #expect(message.contains("gpio.chip: GPIO chip \"gpiochip-none\" cannot be opened"), "\(message)")
        #expect(message.contains("the lights will be reported missing"), "\(message)")

        try daemon.start()
        #expect(try daemon.api.call(API.scan(ScanBody(code: "YZ:K:CANCEL"))).outcome == .accepted)
        #expect(try daemon.api.call(API.status).devices.first { $0.kind == "gpio" }?.state == .missing)
    }
}
