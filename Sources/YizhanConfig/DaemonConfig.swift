import Foundation
import YizhanCore

/// Everything `yizhand.toml` says, validated.
public struct DaemonConfig: Sendable {
    public var station: StationConfig
    public var paths: PathsConfig
    public var api: APIConfig
    public var scanners: [ScannerConfig]
    public var printer: PrinterConfig
    public var gpio: GPIOConfig
    public var log: LogConfig
    public var rules: Rules
}

/// `[station]`.
public struct StationConfig: Sendable, Hashable {
    public var id: String
    public var name: String
    public var timeZone: TimeZone
}

/// `[paths]`.
public struct PathsConfig: Sendable, Hashable {
    /// SQLite lives here.
    public var stateDirectory: String
    public var logDirectory: String
}

/// `[api]`.
public struct APIConfig: Sendable, Hashable {
    public var adminSocket: String
    public var kioskSocket: String
    /// The group that may use the admin socket.
    public var adminGroup: String
}

/// One `[[scanner]]`.
public struct ScannerConfig: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        case evdev, serial, hidraw, fifo
    }

    public var id: String
    public var kind: Kind
    public var path: String
    /// Keyboard layout for evdev scanners.
    public var layout: String
    /// Baud rate for serial scanners.
    public var baud: Int
}

/// `[printer]`.
public struct PrinterConfig: Sendable, Hashable {
    public enum Transport: String, Sendable, CaseIterable {
        case usb, device, serial, tcp, file
    }

    public enum QRMode: String, Sendable, CaseIterable {
        case native, raster
    }

    public var transport: Transport
    /// VID:PID[:serial] for usb.
    public var usb: String?
    /// Device or file path for device, serial and file.
    public var path: String?
    public var host: String
    public var port: Int
    public var widthDots: Int
    public var chinese: String
    public var qr: QRMode
}

/// `[gpio]`.
public struct GPIOConfig: Sendable, Hashable {
    public enum Backend: String, Sendable, CaseIterable {
        case gpiod, sim, none
    }

    public var backend: Backend
    public var chip: String
    public var green: String?
    public var amber: String?
    public var red: String?
    public var buzzer: String?
}

/// `[log]`.
public struct LogConfig: Sendable, Hashable {
    public var level: String
    /// A file is rotated when it reaches this size.
    public var maxFileBytes: Int
    /// Rotated files kept.
    public var keepFiles: Int
}
