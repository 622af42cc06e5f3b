import Foundation
import Logging
import ServiceLifecycle
import YizhanConfig
import YizhanCore
import YizhanDevices
import YizhanStation

/// Runs one configured scanner: hands every framed scan to the station in order, and
/// reopens the device with backoff when it is missing or fails.
final class ScannerService: Service {
    private let config: ScannerSettings
    private let station: Station
    private let devices: DeviceRegistry
    private let logger: Logger

    /// What the service needs of a `[[scanner]]` entry.
    struct ScannerSettings: Sendable {
        var id: String
        var kind: ScannerConfig.Kind
        var path: String?
        var usb: USBIdentity?
        var baud: Int
        var layout: String
        var terminators: Set<KeyboardDecoder.Terminator>
        var characterTimeout: Duration
    }

    init(config: ScannerSettings, station: Station, devices: DeviceRegistry, logger: Logger) {
        self.config = config
        self.station = station
        self.devices = devices
        self.logger = logger
    }

    func run() async throws {
        // A scanner found by its USB ids appears as a new node among its kind's.
        let watcher = try? PathWatcher(watching: config.path ?? (config.kind == .evdev ? "/dev/input/event" : "/dev/hidraw"))
        await cancelWhenGracefulShutdown {
            var backoff: Duration = .seconds(1)
            while !Task.isCancelled {
                let attempt = ContinuousClock.now
                do {
                    let path = try self.devicePath()
                    let read = self.scanner(at: path)
                    try await read { frame in await self.handle(frame) }
                } catch is CancellationError {
                    return
                } catch {
                    if self.devices.update(DeviceStatus(id: self.config.id, kind: "scanner", state: .missing, detail: "\(error)")) {
                        self.logger.error(
                            "scanner missing; waiting for it", metadata: ["scanner": "\(self.config.id)", "error": "\(error)"])
                    }
                }
                // A scanner that worked for a while and went starts again with short retries.
                if attempt.duration(to: .now) > backoff { backoff = .seconds(1) }
                // Back as soon as its node or link appears, or at the next retry.
                if let watcher { await watcher.waitForChange(timeout: backoff) } else { try? await Task.sleep(for: backoff) }
                backoff = min(backoff * 2, .seconds(60))
            }
        }
    }

    /// The configured path, or the node of the device with the configured USB ids.
    private func devicePath() throws -> String {
        if let path = config.path { return path }
        let locator = DeviceLocator()
        guard let usb = config.usb, let node = config.kind == .evdev ? locator.inputNode(for: usb) : locator.hidrawNode(for: usb) else {
            throw DeviceError.system("find the \(config.kind) device \(config.usb.map { "\($0)" } ?? "")", ENODEV)
        }
        return node
    }

    /// The device's read loop for this scanner's kind.
    private func scanner(at path: String) -> @Sendable (@Sendable (LineFramer.Frame) async -> Void) async throws -> Void {
        let config = self.config
        let devices = self.devices
        let logger = self.logger
        switch config.kind {
        case .fifo:
            let scanner = FIFOScanner(id: config.id, path: path, logger: logger)
            return { handle in try await scanner.run(devices: devices, handle: handle) }
        case .serial:
            let scanner = SerialScanner(
                id: config.id, path: path, baud: config.baud, characterTimeout: config.characterTimeout, logger: logger)
            return { handle in try await scanner.run(devices: devices, handle: handle) }
        case .evdev:
            let scanner = EvdevScanner(
                id: config.id, path: path, layout: config.layout, terminators: config.terminators,
                characterTimeout: config.characterTimeout, logger: logger)
            return { handle in try await scanner.run(devices: devices, handle: handle) }
        case .hidraw:
            let scanner = HIDPOSScanner(id: config.id, path: path, logger: logger)
            return { handle in try await scanner.run(devices: devices, handle: handle) }
        }
    }

    private func handle(_ frame: LineFramer.Frame) async {
        switch frame {
        case .line(let bytes):
            _ = await station.scan(bytes: bytes, scanner: config.id)
        case .overflow(_, let prefix):
            _ = await station.reject(.tooLong, bytes: prefix, scanner: config.id)
        case .incomplete(let bytes):
            _ = await station.reject(.tooSlow, bytes: bytes, scanner: config.id)
        }
    }
}

/// Closes expired patrols on time and announces hazards that became overdue. It sleeps
/// until the next open patrol's deadline or the next local midnight (when deadlines
/// pass), whichever comes first, or until a patrol opens.
final class ExpiryService: Service {
    private let station: Station
    private let doorbell: Doorbell

    init(station: Station, doorbell: Doorbell) {
        self.station = station
        self.doorbell = doorbell
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.station.expirePatrols()
                await self.station.announceOverdueHazards()
                let midnight = await self.station.timeUntilMidnight()
                let wait = await self.station.timeUntilNextExpiry().map { min($0, midnight) } ?? midnight
                await self.doorbell.wait(timeout: wait + .seconds(1))
            }
        }
    }
}
