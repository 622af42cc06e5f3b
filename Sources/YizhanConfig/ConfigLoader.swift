import ESCPOS
import Foundation
import TOMLKit
import YizhanCore

/// Reads `yizhand.toml` and checks all of it before anything is opened.
public enum ConfigLoader {
    /// Loads and validates the config at `path`.
    public static func load(path: String) throws(ConfigError) -> DaemonConfig {
        try parse(text(path: path), file: path)
    }

    /// The config's text at `path`, read once: what a reload checks and then applies.
    public static func text(path: String) throws(ConfigError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(problems: [ConfigProblem(file: path, line: nil, key: "(file)", message: "cannot be read")])
        }
        guard let source = String(data: data, encoding: .utf8) else {
            throw ConfigError(problems: [ConfigProblem(file: path, line: nil, key: "(file)", message: "is not UTF-8 text")])
        }
        return source
    }

    /// Validates config text; `file` names it in errors.
    public static func parse(_ source: String, file: String) throws(ConfigError) -> DaemonConfig {
        if TOMLTraps.guarded, let trap = TOMLTraps.first(in: source) {
            throw ConfigError(problems: [ConfigProblem(file: file, line: trap.line, key: "(syntax)", message: trap.message)])
        }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: source)
        } catch let error as TOMLParseError {
            throw ConfigError(problems: [
                ConfigProblem(file: file, line: error.source.begin.line, key: "(syntax)", message: error.description)
            ])
        } catch {
            throw ConfigError(problems: [ConfigProblem(file: file, line: nil, key: "(syntax)", message: "\(error)")])
        }
        let context = ConfigContext(file: file, source: source)
        let config = read(root, file: file, context: context)
        guard context.problems.isEmpty, let config else { throw ConfigError(problems: context.problems) }
        return config
    }

    static let sections: Set<String> = [
        "station", "paths", "api", "scanner", "printer", "gpio", "log", "points", "patrol", "campaign", "checkpoint", "catalog",
        "tier", "redemption", "kiosk", "button", "signals", "district",
    ]

    static func read(_ root: TOMLTable, file: String, context: ConfigContext) -> DaemonConfig? {
        for key in root.keys.sorted() where !sections.contains(key) {
            context.problem(table: nil, index: nil, key: key, "unknown section")
        }
        func table(_ name: String) -> TableReader {
            let value = root[name]
            if value != nil, value?.table == nil {
                context.problem(table: nil, index: nil, key: name, "must be a table [\(name)]")
            }
            return TableReader(value?.table, name: name, context: context)
        }
        func tables(_ name: String) -> [TableReader] {
            guard let value = root[name] else { return [] }
            guard let array = value.array else {
                context.problem(table: nil, index: nil, key: name, "must be an array of tables [[\(name)]]")
                return []
            }
            return array.enumerated().map { index, element in
                TableReader(element.table, name: name, index: index, context: context)
            }
        }

        let station = readStation(table("station"))
        let paths = readPaths(table("paths"))
        let api = readAPI(table("api"))
        let scanners = readScanners(tables("scanner"))
        let printer = readPrinter(table("printer"))
        let gpio = readGPIO(table("gpio"))
        let log = readLog(table("log"))
        let calendar = StationCalendar(timeZone: station?.timeZone ?? .current)
        let checkpoints = readCheckpoints(tables("checkpoint"))
        var rules = Rules(
            points: readPoints(table("points")), patrol: readPatrol(table("patrol")),
            campaigns: readCampaigns(tables("campaign"), checkpoints: Set(checkpoints.map(\.id))),
            checkpoints: checkpoints, catalog: readCatalog(tables("catalog")), tiers: readTiers(tables("tier")),
            redemption: readRedemption(table("redemption")), calendar: calendar)
        rules.kiosk = readKiosk(table("kiosk"))
        let buttons = readButtons(tables("button"))
        let signals = readSignals(table("signals"))
        let district = root["district"] == nil ? nil : readDistrict(table("district"), stationID: station?.id)
        guard let station, let printer else { return nil }
        return DaemonConfig(
            station: station, paths: paths, api: api, scanners: scanners, printer: printer, gpio: gpio, buttons: buttons, signals: signals,
            log: log, rules: rules, district: district, file: file, locator: context.locator)
    }

    /// `[district]` (SPEC 9): where the district's PostgreSQL is, and how often to sync.
    static func readDistrict(_ reader: TableReader, stationID: String?) -> DistrictConfig? {
        defer { reader.finish() }
        let url = reader.string("url", required: true)
        if let url, !(url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")) || url.split(separator: "/").count < 3 {
            reader.problem("url", "\"\(url)\" is not like postgres://host:5432/yizhan")
        }
        let defaultUser = stationID.map { "station_" + $0.lowercased().replacingOccurrences(of: "-", with: "_") }
        let user = reader.string("user") ?? defaultUser
        let passwordFile = reader.string("password_file", required: true)
        let tls = reader.choice("tls", default: DistrictConfig.TLS.verifyFull)
        let caFile = reader.string("ca_file")
        if tls == .verifyFull && caFile == nil {
            reader.problem("ca_file", "tls = \"verify-full\" checks the district's certificate against this CA file")
        }
        let seconds = reader.int("sync_seconds", default: 30, in: 1...3600)
        let timeout = reader.int("timeout_seconds", default: 60, in: 1...600)
        guard let url, let user, let passwordFile else { return nil }
        return DistrictConfig(
            url: url, user: user, passwordFile: passwordFile, tls: tls, caFile: caFile, syncInterval: .seconds(seconds),
            roundTimeout: .seconds(timeout))
    }

    static func readStation(_ reader: TableReader) -> StationConfig? {
        var unused: Set<String> = []
        let id = reader.identifier("id", unique: &unused, of: "station")
        let name = reader.string("name", required: true)
        let zoneName = reader.string("timezone", default: "Asia/Shanghai")
        let zone = TimeZone(identifier: zoneName)
        if zone == nil { reader.problem("timezone", "unknown time zone \"\(zoneName)\"") }
        reader.finish()
        guard let id, let name, let zone else { return nil }
        return StationConfig(id: id, name: name, timeZone: zone)
    }

    static func readPaths(_ reader: TableReader) -> PathsConfig {
        defer { reader.finish() }
        return PathsConfig(
            stateDirectory: reader.string("state_dir", default: "/var/lib/yizhan"),
            logDirectory: reader.string("log_dir", default: "/var/log/yizhan"))
    }

    static func readAPI(_ reader: TableReader) -> APIConfig {
        defer { reader.finish() }
        let config = APIConfig(
            adminSocket: reader.string("admin_socket", default: "/run/yizhan/yizhand.sock"),
            kioskSocket: reader.string("kiosk_socket", default: "/run/yizhan/kiosk.sock"),
            adminGroup: reader.string("admin_group", default: "yizhan-admin"),
            maximumConnections: reader.int("max_connections", default: 64, in: 2...512),
            idleSeconds: reader.int("idle_seconds", default: 60, in: 5...3600))
        // sun_path holds 107 bytes and a terminating zero.
        for (key, path) in [("admin_socket", config.adminSocket), ("kiosk_socket", config.kioskSocket)] where path.utf8.count > 107 {
            reader.problem(key, "a socket path must be at most 107 bytes")
        }
        if config.adminSocket == config.kioskSocket {
            reader.problem("kiosk_socket", "must differ from admin_socket: one socket cannot serve both")
        }
        return config
    }

    static func readScanners(_ readers: [TableReader]) -> [ScannerConfig] {
        var seen: Set<String> = []
        return readers.compactMap { reader in
            defer { reader.finish() }
            let id = reader.identifier("id", unique: &seen, of: "scanner")
            let name = reader.choice("kind", default: ScannerConfig.Kind.Name.fifo)
            let usb = readUSB(reader)
            if reader.has("usb") && name == .fifo {
                reader.problem("usb", "finds evdev, serial and hidraw scanners; a fifo scanner is a path")
            } else if reader.has("usb") && reader.has("path") {
                reader.problem("usb", "names the scanner as path does: give one of them")
            }
            let path = reader.string("path", required: !reader.has("usb"))
            let layout = reader.string("layout", default: "us")
            let baud = readBaud(reader)
            let terminators = reader.strings("terminator", default: ["enter", "kp_enter"])
            for terminator in terminators where !["enter", "kp_enter", "tab"].contains(terminator) {
                reader.problem("terminator", "\"\(terminator)\" is not one of enter, kp_enter, tab")
            }
            let timeout = Duration.milliseconds(reader.int("char_timeout_ms", default: 100, in: 10...5000))
            let node = path.map(ScannerConfig.Node.path) ?? usb.map(ScannerConfig.Node.usb)
            guard let id else { return nil }
            let kind: ScannerConfig.Kind
            switch (name, node, path) {
            case (.evdev, let node?, _): kind = .evdev(node, layout: layout, terminators: terminators, characterTimeout: timeout)
            case (.hidraw, let node?, _): kind = .hidraw(node)
            case (.serial, let node?, _): kind = .serial(node, baud: baud, characterTimeout: timeout)
            case (.fifo, _, let path?): kind = .fifo(path: path)
            default: return nil
            }
            return ScannerConfig(id: id, kind: kind)
        }
    }

    static func readPrinter(_ reader: TableReader) -> PrinterConfig? {
        defer { reader.finish() }
        let name = reader.choice("transport", default: PrinterConfig.Transport.Name.file)
        let usb = readUSB(reader)
        let detach = reader.bool("detach_kernel_driver", default: false)
        let path = reader.string("path")
        for (key, needed) in [("usb", name == .usb), ("path", [.device, .serial, .file].contains(name))] where needed && !reader.has(key) {
            reader.problem(key, "is required for transport \"\(name.rawValue)\"")
        }
        let baud = readBaud(reader)
        let host = reader.string("host", default: "127.0.0.1")
        let port = reader.int("port", default: 9100, in: 1...65535)
        let width = reader.int("width_dots", default: 384)
        if width != 384 && width != 576 { reader.problem("width_dots", "must be 384 (58 mm) or 576 (80 mm)") }
        let chinese = reader.choice("chinese", default: ChineseMode.fsGBK)
        let qr = reader.choice("qr", default: QRMode.native)
        let font = reader.string("font", default: ReceiptFontFile.defaultPath)
        let fontFace = reader.int("font_face", default: ReceiptFontFile.defaultFace, in: 0...63)
        if chinese == .raster || qr == .raster, access(font, R_OK) != 0 {
            reader.problem("font", "cannot read \(font) (raster printing draws with it; Debian: fonts-wqy-microhei)")
        }
        let transport: PrinterConfig.Transport
        switch (name, usb, path) {
        case (.usb, let usb?, _): transport = .usb(usb, detachKernelDriver: detach)
        case (.device, _, let path?): transport = .device(path: path)
        case (.serial, _, let path?): transport = .serial(path: path, baud: baud)
        case (.tcp, _, _): transport = .tcp(host: host, port: port)
        case (.file, _, let path?): transport = .file(path: path)
        default: return nil
        }
        return PrinterConfig(transport: transport, widthDots: width, chinese: chinese, qr: qr, font: font, fontFace: fontFace)
    }

    /// `usb`: `VID:PID` or `VID:PID:serial`; nil (and a problem) when it is malformed.
    static func readUSB(_ reader: TableReader) -> USBIdentity? {
        guard let text = reader.string("usb") else { return nil }
        guard let identity = USBIdentity(text) else {
            reader.problem("usb", usbFormat)
            return nil
        }
        return identity
    }

    /// A serial port's `baud`: one of the standard rates.
    static func readBaud(_ reader: TableReader) -> Int {
        let baud = reader.int("baud", default: 9600, in: 1200...921_600)
        if ![1200, 2400, 4800, 9600, 19200, 38400, 57600, 115_200, 230_400, 460_800, 921_600].contains(baud) {
            reader.problem("baud", "\(baud) is not a standard rate (9600, 19200, 38400, 57600, 115200, …)")
        }
        return baud
    }

    static let usbFormat = "must be VID:PID or VID:PID:serial in hex, e.g. \"0416:5011\""

    static func readGPIO(_ reader: TableReader) -> GPIOConfig {
        defer { reader.finish() }
        func line(_ key: String) -> String? {
            guard let text = reader.string(key) else { return nil }
            if !isLineSpec(text) { reader.problem(key, "\"\(text)\" is not a line name or offset (prefix \"!\" for active-low)") }
            return text
        }
        return GPIOConfig(
            backend: reader.choice("backend", default: GPIOConfig.Backend.none), chip: reader.string("chip", default: "gpiochip0"),
            green: line("green"), amber: line("amber"), red: line("red"), buzzer: line("buzzer"),
            debounce: .milliseconds(reader.int("debounce_ms", default: 30, in: 1...1000)),
            longPress: .milliseconds(reader.int("long_press_ms", default: 1500, in: 100...10000)))
    }

    /// `GPIO17`, `17` or `!GPIO17`.
    static func isLineSpec(_ text: String) -> Bool {
        let body = text.hasPrefix("!") ? text.dropFirst() : Substring(text)
        return !body.isEmpty && !body.contains(where: { $0.isWhitespace || $0 == "!" })
    }

    static func readButtons(_ readers: [TableReader]) -> [ButtonConfig] {
        readers.compactMap { reader in
            defer { reader.finish() }
            let line = reader.string("line", required: true)
            if let line, !isLineSpec(line) {
                reader.problem("line", "\"\(line)\" is not a line name or offset (prefix \"!\" for active-low)")
            }
            let press = reader.choice("press", default: ButtonConfig.Action.reprintLast)
            let longPress = reader.choice("long_press", default: ButtonConfig.Action.printSummary)
            guard let line else { return nil }
            return ButtonConfig(line: line, press: press, longPress: longPress)
        }
    }

    static func readSignals(_ reader: TableReader) -> SignalPlan {
        defer { reader.finish() }
        var plan = SignalPlan()
        // What idle shows (`idle`) is held, or repeats when its last step has a time too.
        func pattern(_ key: String, _ fallback: SignalPattern, idle: Bool = false) -> SignalPattern {
            let steps = reader.strings(key, default: [])
            guard !steps.isEmpty else { return fallback }
            guard let parsed = SignalPattern(config: steps, repeats: idle && steps.last?.contains(":") == true) else {
                reader.problem(
                    key, "steps are \"green+buzzer:150\", \"off:400\"; only the last step of a pattern that does not repeat may be held")
                return fallback
            }
            return parsed
        }
        plan.accepted = pattern("accepted", plan.accepted)
        plan.attention = pattern("attention", plan.attention)
        plan.error = pattern("error", plan.error)
        plan.healthy = pattern("healthy", plan.healthy, idle: true)
        plan.deviceMissing = pattern("device_missing", plan.deviceMissing, idle: true)
        plan.storeUnusable = pattern("store_unusable", plan.storeUnusable, idle: true)
        return plan
    }

    static func readLog(_ reader: TableReader) -> LogConfig {
        defer { reader.finish() }
        let level = reader.string("level", default: "info")
        if !["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(level) {
            reader.problem("level", "must be one of trace, debug, info, notice, warning, error, critical")
        }
        return LogConfig(
            level: level, maxFileBytes: reader.int("max_file_mb", default: 10, in: 1...1024) * 1_048_576,
            keepFiles: reader.int("keep_files", default: 5, in: 1...100))
    }

    static func readPoints(_ reader: TableReader) -> Points {
        defer { reader.finish() }
        var points = Points()
        points.daily = reader.int("daily", default: points.daily, in: 0...1000)
        points.keyPeriod = reader.int("key_period", default: points.keyPeriod, in: 0...1000)
        points.special = reader.int("special", default: points.special, in: 0...1000)
        points.weeklyFull = reader.int("weekly_full", default: points.weeklyFull, in: 0...1000)
        points.hazardBonus = reader.int("hazard_bonus", default: points.hazardBonus, in: 0...1000)
        return points
    }

    static func readPatrol(_ reader: TableReader) -> PatrolRules {
        defer { reader.finish() }
        var patrol = PatrolRules()
        let minimum = reader.int("min_minutes", default: 5, in: 0...1440)
        let maximum = reader.int("max_minutes", default: 120, in: 1...1440)
        if maximum <= minimum { reader.problem("max_minutes", "must be greater than min_minutes") }
        patrol.minimumDuration = .seconds(minimum * 60)
        patrol.maximumDuration = .seconds(maximum * 60)
        patrol.dailyMaxVolunteers = reader.int("daily_max_volunteers", default: 2, in: 0...1000)
        patrol.fastCheckInterval = .seconds(reader.int("fast_check_seconds", default: 5, in: 0...3600))
        patrol.keyPeriods = reader.strings("key_periods", default: ["11:00-13:30", "17:00-19:30"]).compactMap { text in
            guard let window = TimeWindow(text) else {
                reader.problem("key_periods", "\"\(text)\" is not HH:MM-HH:MM with the end after the start")
                return nil
            }
            return window
        }
        let slot = reader.string("weekly_slot", default: "Sat 09:00-11:00")
        if slot.isEmpty {
            patrol.weeklySlot = nil
        } else if let parsed = WeeklySlot(slot) {
            patrol.weeklySlot = parsed
        } else {
            reader.problem("weekly_slot", "\"\(slot)\" is not like \"Sat 09:00-11:00\" (Mon … Sun)")
        }
        return patrol
    }

    static func readCampaigns(_ readers: [TableReader], checkpoints: Set<String>) -> [Campaign] {
        readers.compactMap { reader in
            defer { reader.finish() }
            let name = reader.string("name", required: true)
            let period = readPeriod(reader)
            let ids = reader.strings("checkpoints", default: [])
            for id in ids where !checkpoints.contains(id) {
                reader.problem("checkpoints", "\"\(id)\" is not a configured [[checkpoint]]")
            }
            guard let name, let period else { return nil }
            return Campaign(name: name, period: period, checkpoints: ids)
        }
    }

    static func readPeriod(_ reader: TableReader) -> Campaign.Period? {
        let (from, to) = (reader.string("from", required: true), reader.string("to", required: true))
        guard let from, let to else { return nil }
        do {
            return try Campaign.Period(from: from, to: to)
        } catch {
            reader.problem(error.key, error.message)
            return nil
        }
    }

    static func readCheckpoints(_ readers: [TableReader]) -> [Checkpoint] {
        var seen: Set<String> = []
        return readers.compactMap { reader in
            defer { reader.finish() }
            let id = reader.identifier("id", unique: &seen, of: "checkpoint")
            let name = reader.string("name", required: true)
            var kinds: Set<PatrolKind> = []
            for text in reader.strings("required_for", default: PatrolKind.allCases.map(\.rawValue)) {
                guard let kind = PatrolKind(rawValue: text) else {
                    reader.problem("required_for", "\"\(text)\" is not one of daily, key_period, special, weekly_full")
                    continue
                }
                kinds.insert(kind)
            }
            guard let id, let name else { return nil }
            return Checkpoint(id: id, name: name, requiredFor: kinds)
        }
    }

    static func readCatalog(_ readers: [TableReader]) -> [CatalogItem] {
        var seen: Set<String> = []
        return readers.compactMap { reader in
            defer { reader.finish() }
            let id = reader.identifier("id", unique: &seen, of: "item")
            let name = reader.string("name", required: true)
            let cost = reader.int("cost", in: 1...1_000_000, required: true)
            let stock = reader.int("stock", default: 0, in: 0...1_000_000)
            let limit = reader.int("per_volunteer_per_month", in: 1...1000)
            let active = reader.bool("active", default: true)
            guard let id, let name, let cost else { return nil }
            return CatalogItem(id: id, name: name, cost: cost, stock: stock, perVolunteerPerMonth: limit, active: active)
        }
    }

    static func readTiers(_ readers: [TableReader]) -> [Tier] {
        readers.compactMap { reader in
            defer { reader.finish() }
            guard let name = reader.string("name", required: true), let points = reader.int("points", in: 0...10_000_000, required: true)
            else { return nil }
            return Tier(name: name, points: points)
        }
    }

    static func readRedemption(_ reader: TableReader) -> RedemptionRules {
        defer { reader.finish() }
        var rules = RedemptionRules()
        rules.selectionTimeout = .seconds(reader.int("selection_seconds", default: 30, in: 1...600))
        rules.printRefusals = reader.bool("print_refusals", default: true)
        return rules
    }

    static func readKiosk(_ reader: TableReader) -> KioskRules {
        defer { reader.finish() }
        var rules = KioskRules()
        rules.debounce = .seconds(reader.int("debounce_seconds", default: 3, in: 0...60))
        rules.routingWindow = .seconds(reader.int("routing_minutes", default: 10, in: 1...240) * 60)
        rules.commandTimeout = .seconds(reader.int("command_seconds", default: 120, in: 5...3600))
        return rules
    }
}
