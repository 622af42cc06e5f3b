import Foundation
import Logging
import ServiceLifecycle
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
        var kind: String
        var path: String
    }

    init(config: ScannerSettings, station: Station, devices: DeviceRegistry, logger: Logger) {
        self.config = config
        self.station = station
        self.devices = devices
        self.logger = logger
    }

    func run() async throws {
        guard config.kind == "fifo" else {
            devices.update(
                DeviceStatus(id: config.id, kind: "scanner", state: .unsupported, detail: "\(config.kind) scanners are not in this build"))
            logger.error("scanner backend not in this build", metadata: ["scanner": "\(config.id)", "kind": "\(config.kind)"])
            try? await gracefulShutdown()
            return
        }
        let scanner = FIFOScanner(id: config.id, path: config.path, logger: logger)
        await cancelWhenGracefulShutdown {
            var backoff: Duration = .seconds(1)
            while !Task.isCancelled {
                do {
                    try await scanner.run(devices: self.devices) { frame in await self.handle(frame) }
                } catch is CancellationError {
                    return
                } catch {
                    self.devices.update(DeviceStatus(id: self.config.id, kind: "scanner", state: .missing, detail: "\(error)"))
                    self.logger.error("scanner failed; retrying", metadata: ["scanner": "\(self.config.id)", "error": "\(error)"])
                }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(60))
            }
        }
    }

    private func handle(_ frame: LineFramer.Frame) async {
        switch frame {
        case .line(let bytes):
            _ = await station.scan(bytes: bytes, scanner: config.id)
        case .overflow(let length, let prefix):
            _ = await station.scan(bytes: prefix + [UInt8](repeating: 0x20, count: max(0, length - prefix.count)), scanner: config.id)
        }
    }
}

/// Closes expired patrols on time. It sleeps until the next open patrol's deadline, or
/// until a patrol opens; with no patrol open it sleeps until one does.
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
                if let wait = await self.station.timeUntilNextExpiry() {
                    await self.doorbell.wait(timeout: wait + .seconds(1))
                } else {
                    await self.doorbell.wait()
                }
            }
        }
    }
}
