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
    /// Where a scanner's device node is.
    public enum Node: Sendable, Hashable {
        /// The node or its stable link.
        case path(String)
        /// The node of the device with these USB ids, among its kind's nodes.
        case usb(USBIdentity)
    }

    /// What the scanner is, with what reading that kind needs.
    public enum Kind: Sendable, Hashable {
        /// A keyboard wedge (scanner or card reader): keys in `layout`, a scan ended by one
        /// of `terminators` (enter, kp_enter, tab) or by a pause of `characterTimeout`.
        case evdev(Node, layout: String, terminators: [String], characterTimeout: Duration)
        /// A serial scanner; a pause of `characterTimeout` ends a scan without a line end.
        case serial(Node, baud: Int, characterTimeout: Duration)
        /// A HID POS scanner.
        case hidraw(Node)
        /// The simulated scanner: a FIFO, one scan per line.
        case fifo(path: String)

        /// How the config names it (`kind = "evdev"`).
        public enum Name: String, Sendable, CaseIterable {
            case evdev, serial, hidraw, fifo
        }

        public var name: Name {
            switch self {
            case .evdev: .evdev
            case .serial: .serial
            case .hidraw: .hidraw
            case .fifo: .fifo
            }
        }
    }

    public var id: String
    public var kind: Kind
}

/// `[printer]`.
public struct PrinterConfig: Sendable, Hashable {
    /// How slips reach the printer, with what that way needs.
    public enum Transport: Sendable, Hashable {
        /// Found by its USB ids; `detachKernelDriver` takes it from the kernel's printer
        /// driver when that holds it.
        case usb(USBIdentity, detachKernelDriver: Bool)
        /// A character device (`/dev/usb/lp0`).
        case device(path: String)
        case serial(path: String, baud: Int)
        case tcp(host: String, port: Int)
        /// The simulated printer: a file the slips' bytes are appended to.
        case file(path: String)

        /// How the config names it (`transport = "usb"`).
        public enum Name: String, Sendable, CaseIterable {
            case usb, device, serial, tcp, file
        }
    }

    public var transport: Transport
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
