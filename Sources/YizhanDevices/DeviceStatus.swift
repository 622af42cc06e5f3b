import Synchronization
import YizhanCore

/// A device's health as the status API and the idle light report it.
public struct DeviceStatus: Sendable, Hashable, Codable {
    public typealias State = DeviceState

    public var id: String
    public var kind: String
    public var state: State
    public var detail: String?

    public init(id: String, kind: String, state: State, detail: String? = nil) {
        self.id = id
        self.kind = kind
        self.state = state
        self.detail = detail
    }
}

/// The daemon's devices and their current states, updated by the device tasks.
public final class DeviceRegistry: Sendable {
    private let devices = Mutex<[String: DeviceStatus]>([:])
    private let observers = Mutex<[@Sendable (DeviceStatus) -> Void]>([])

    public init() {}

    /// `observer` hears every later change of a device's state (the log, events, lights).
    public func observe(_ observer: @escaping @Sendable (DeviceStatus) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    /// Records a device's state; returns whether it changed.
    @discardableResult
    public func update(_ status: DeviceStatus) -> Bool {
        let isChange = devices.withLock { devices in
            let key = status.kind + "/" + status.id
            defer { devices[key] = status }
            return devices[key] != status
        }
        if isChange {
            for observer in observers.withLock({ $0 }) { observer(status) }
        }
        return isChange
    }

    /// Every device, sorted by kind and id.
    public var all: [DeviceStatus] {
        devices.withLock { Array($0.values) }.sorted { ($0.kind, $0.id) < ($1.kind, $1.id) }
    }

    /// Whether every device is present.
    public var allPresent: Bool {
        all.allSatisfy { $0.state == .present }
    }
}
