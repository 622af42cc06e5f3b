import ESCPOS
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
    public var buttons: [ButtonConfig]
    public var signals: SignalPlan
    public var log: LogConfig
    public var rules: Rules
    /// The district to sync with; nil for a station that runs alone.
    public var district: DistrictConfig?
    /// The file the config came from and where its keys are, for problems found later
    /// (a GPIO line that is not on the chip).
    public var file: String
    var locator: SourceLocator

    /// A problem with `key` of `table` (the `index`-th of an array of tables), located in the file.
    public func problem(table: String, index: Int? = nil, key: String, _ message: String) -> ConfigProblem {
        let path = index.map { "\(table)[\($0 + 1)]" } ?? table
        return ConfigProblem(file: file, line: locator.line(table: table, index: index, key: key), key: "\(path).\(key)", message: message)
    }
}

/// `[district]`.
public struct DistrictConfig: Sendable, Hashable {
    /// How the connection is encrypted.
    public enum TLS: String, Sendable, Hashable, CaseIterable {
        case disable
        case require
        case verifyFull = "verify-full"
    }

    /// `postgres://host:port/database`.
    public var url: String
    /// This station's own role.
    public var user: String
    /// The role's password, in a file only root and the daemon read.
    public var passwordFile: String
    public var tls: TLS
    public var caFile: String?
    /// How often to push and pull while all is well.
    public var syncInterval: Duration
    /// The longest a round may take: a district that accepts connections and never answers
    /// is given up on after this, and tried again later.
    public var roundTimeout: Duration
}

/// One `[[button]]`.
public struct ButtonConfig: Sendable, Hashable {
    /// What a press does.
    public enum Action: String, Sendable, CaseIterable {
        /// Reprints the last slip (the printer jammed, the volunteer lost it).
        case reprintLast = "reprint_last"
        /// Prints today's summary.
        case printSummary = "print_summary"
        case none
    }

    public var line: String
    public var press: Action
    public var longPress: Action
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
    /// Connections each socket serves at once; more wait in the listen backlog.
    public var maximumConnections: Int
    /// A connection with no request in progress for this long is closed.
    public var idleSeconds: Int
}

/// One `[[scanner]]`.
public struct ScannerConfig: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        case evdev, serial, hidraw, fifo
    }

    public var id: String
    public var kind: Kind
    /// The device node or its stable link; nil when the scanner is found by `usb`.
    public var path: String?
    /// Finds an evdev or hidraw scanner by its USB ids instead of a path.
    public var usb: USBIdentity?
    /// Keyboard layout for evdev scanners.
    public var layout: String
    /// Baud rate for serial scanners.
    public var baud: Int
    /// The keys that end a scan on an evdev scanner: enter, kp_enter, tab.
    public var terminators: [String]
    /// A pause this long between characters ends a scan that has no terminator.
    public var characterTimeout: Duration
}

/// `[printer]`.
public struct PrinterConfig: Sendable, Hashable {
    public enum Transport: String, Sendable, CaseIterable {
        case usb, device, serial, tcp, file
    }

    public var transport: Transport
    /// The printer's ids, for usb.
    public var usb: USBIdentity?
    /// Whether a usb printer is taken from the kernel's printer driver when it holds it.
    public var detachKernelDriver: Bool
    /// Device or file path for device, serial and file.
    public var path: String?
    /// The serial port's baud rate.
    public var baud: Int
    public var host: String
    public var port: Int
    public var widthDots: Int
    public var chinese: ChineseMode
    public var qr: QRMode
    /// The font file rasterised text is drawn in, and the face within it.
    public var font: String
    public var fontFace: Int

    /// Whether anything is drawn here (and so the font is needed).
    public var rasterises: Bool { chinese == .raster || qr == .raster }

    /// What the slip encoder needs to know about this printer.
    public var profile: PrinterProfile { PrinterProfile(widthDots: widthDots, chinese: chinese, qr: qr) }
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
    public var debounce: Duration
    public var longPress: Duration

    /// The configured output lines by what they signal.
    public var outputs: [(key: String, lines: SignalLines, spec: String)] {
        [("green", SignalLines.green, green), ("amber", .amber, amber), ("red", .red, red), ("buzzer", .buzzer, buzzer)]
            .compactMap { key, lines, spec in spec.map { (key, lines, $0) } }
    }

    /// What `yizhanctl gpio test` walks: the configured lines, or on the simulated backend
    /// every light and the buzzer, which it always has.
    public var testable: [(name: String, lines: SignalLines)] {
        guard backend != .sim else { return [("green", .green), ("amber", .amber), ("red", .red), ("buzzer", .buzzer)] }
        return outputs.map { ($0.key, $0.lines) }
    }
}

/// `[log]`.
public struct LogConfig: Sendable, Hashable {
    public var level: String
    /// A file is rotated when it reaches this size.
    public var maxFileBytes: Int
    /// Rotated files kept.
    public var keepFiles: Int
}
