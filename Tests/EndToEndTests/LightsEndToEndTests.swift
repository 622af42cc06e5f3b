import Foundation
import Testing
import YizhanTestSupport

/// The lights through the built daemon: simulated in development, and a missing GPIO chip
/// that leaves the station serving.
@Suite(.serialized) struct LightsEndToEndTests {
    @Test func theSimulatedLightsShowEachOutcomeOnTheStatusAndTheEventStream() throws {
        let daemon = try DaemonProcess(extra: DaemonProcess.defaultRules + "\n[gpio]\nbackend = \"sim\"\n")
        try daemon.start()
        #expect(try daemon.post("/v1/scans", ["code": "not a code"]).json?["outcome"] as? String == "error")
        let red = try daemon.waitUntil {
            let lights = try daemon.get("/v1/status")["lights"] as? [String: Any]
            return (lights?["on"] as? [String])?.contains("red") == true
        }
        #expect(red, "the error shows red")
        let events = try daemon.get("/v1/status")
        #expect((events["lights"] as? [String: Any])?["backend"] as? String == "sim")
    }

    @Test func aMissingGPIOChipIsAConfigErrorAndAtRunTimeTheStationServesWithoutLights() throws {
        let daemon = try DaemonProcess(
            extra: DaemonProcess.defaultRules + "\n[gpio]\nbackend = \"gpiod\"\nchip = \"gpiochip-none\"\ngreen = \"GPIO17\"\n")
        let check = Process()
        check.executableURL = DaemonProcess.productsDirectory.appendingPathComponent("yizhand")
        check.arguments = ["--check-config", "--config", daemon.configPath]
        let errors = Pipe()
        check.standardError = errors
        try check.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.waitUntilExit()
        #expect(check.terminationStatus == 1)
        #expect(message.contains("gpio.chip: GPIO chip \"gpiochip-none\" cannot be opened"), "\(message)")

        try daemon.start()
        #expect(try daemon.post("/v1/scans", ["code": "YZ:K:CANCEL"]).json?["outcome"] as? String == "accepted")
        let devices = try daemon.get("/v1/status")["devices"] as? [[String: Any]] ?? []
        #expect(devices.first { $0["kind"] as? String == "gpio" }?["state"] as? String == "missing")
    }
}
