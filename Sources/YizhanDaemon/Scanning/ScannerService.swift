import Foundation
import ServiceLifecycle
import YizhanConfig
import YizhanCore
import YizhanDevices
import YizhanExecutors
import YizhanStation
import YizhanSystem

/// Runs one configured scanner: hands every framed scan to the station in order, and
/// reopens the device with backoff when it is missing or fails.
///
/// Its task prefers the device thread, so that a scan runs from the bytes' arrival to its
/// commit on the one thread they woke (`DeviceThread`).
final class ScannerService: Service {
    private let config: ScannerConfig
    private let station: Station
    private let devices: DeviceRegistry
    private let scansFirst: ScansFirst

    init(config: ScannerConfig, station: Station, devices: DeviceRegistry, scansFirst: ScansFirst) {
        self.config = config
        self.station = station
        self.devices = devices
        self.scansFirst = scansFirst
    }

    func run() async throws {
        await withTaskExecutorPreference(DeviceThread.shared) { await self.runScanner() }
    }

    private func runScanner() async {
        // A scanner found by its USB ids appears as a new node among its kind's.
        let watcher = try? PathWatcher(watching: watchedPath)
        await cancelWhenGracefulShutdown {
            var backoff: Duration = .seconds(1)
            while !Task.isCancelled {
                let attempt = ContinuousClock.now
                do {
                    let (id, devices) = (self.config.id, self.devices)
                    try await self.scanner().run(
                        opened: { devices.update(DeviceStatus(id: id, kind: "scanner", state: .present, detail: $0)) },
                        handle: { frame in await self.handle(frame) })
                } catch is CancellationError {
                    return
                } catch {
                    self.devices.update(DeviceStatus(id: self.config.id, kind: "scanner", state: .missing, detail: "\(error)"))
                }
                // A scanner that worked for a while and went starts again with short retries.
                if attempt.duration(to: .now) > backoff { backoff = .seconds(1) }
                // Back as soon as its node or link appears, or at the next retry.
                if let watcher { await watcher.waitForChange(timeout: backoff) } else { try? await Task.sleep(for: backoff) }
                backoff = min(backoff * 2, .seconds(60))
            }
        }
    }

    /// What to watch for the scanner's node appearing: its path, or its kind's nodes.
    private var watchedPath: String {
        switch config.kind {
        case .evdev(.path(let path), _, _, _), .hidraw(.path(let path)), .serial(.path(let path), _, _), .fifo(let path): path
        case .evdev(.usb, _, _, _): "/dev/input/event"
        case .hidraw(.usb): "/dev/hidraw"
        case .serial(.usb, _, _): "/dev/tty"
        }
    }

    /// This scanner, at its node as of now.
    private func scanner() throws -> any ScannerDevice {
        let id = config.id
        switch config.kind {
        case .fifo(let path):
            return FIFOScanner(id: id, path: path)
        case .serial(let node, let baud, let characterTimeout):
            return SerialScanner(
                id: id, path: try path(of: node) { DeviceLocator().serialNode(for: $0) }, baud: baud,
                characterTimeout: characterTimeout)
        case .evdev(let node, let layout, let terminators, let characterTimeout):
            return EvdevScanner(
                id: id, path: try path(of: node) { DeviceLocator().inputNode(for: $0) }, layout: layout,
                terminators: Set(terminators.compactMap(KeyboardDecoder.Terminator.init(rawValue:))),
                characterTimeout: characterTimeout)
        case .hidraw(let node):
            return HIDPOSScanner(id: id, path: try path(of: node) { DeviceLocator().hidrawNode(for: $0) })
        }
    }

    /// The configured path, or the node `find` gives for the configured USB ids.
    private func path(of node: ScannerConfig.Node, find: (USBIdentity) -> String?) throws -> String {
        switch node {
        case .path(let path):
            return path
        case .usb(let usb):
            guard let found = find(usb) else {
                throw DeviceError.system("find the \(config.kind.name.rawValue) device \(usb)", .operationNotSupportedByDevice)
            }
            return found
        }
    }

    private func handle(_ frame: LineFramer.Frame) async {
        scansFirst.began()
        defer { scansFirst.ended() }
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
