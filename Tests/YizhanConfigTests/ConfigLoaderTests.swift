import Foundation
import Testing
import YizhanCore

@testable import YizhanConfig

@Suite struct ConfigLoaderTests {
    static let minimal = """
        [station]
        id = "test-station"
        name = "测试驿站"

        [printer]
        transport = "file"
        path = "/tmp/slips"
        """

    /// The problems `source` is refused with; none, and an issue recorded, if it is accepted.
    static func problems(_ source: String, file: String, sourceLocation: SourceLocation = #_sourceLocation) -> [ConfigProblem] {
        do {
            _ = try ConfigLoader.parse(source, file: file)
            Issue.record("accepted: \(source)", sourceLocation: sourceLocation)
            return []
        } catch {
            return error.problems
        }
    }

    @Test func theRepositoryExamplesAreValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for name in ["dev.toml", "yizhand.toml"] {
            let config = try ConfigLoader.load(path: root.appendingPathComponent("config/\(name)").path)
            #expect(!config.rules.checkpoints.isEmpty, "\(name)")
            #expect(config.rules.points.hazardBonus == 2)
        }
    }

    @Test func defaultsFollowTheDistrictScheme() throws {
        let config = try ConfigLoader.parse(Self.minimal, file: "yizhand.toml")
        #expect(config.station.timeZone.identifier == "Asia/Shanghai")
        #expect(config.paths.stateDirectory == "/var/lib/yizhan")
        #expect(config.api.adminSocket == "/run/yizhan/yizhand.sock")
        #expect(config.rules.points.daily == 2 && config.rules.points.keyPeriod == 3 && config.rules.points.special == 4)
        #expect(config.rules.patrol.dailyMaxVolunteers == 2)
        #expect(config.rules.patrol.maximumDuration == .seconds(7200))
        #expect(config.rules.patrol.weeklySlot == WeeklySlot("Sat 09:00-11:00"))
    }

    /// Idle is green steady unless configured otherwise; an idle pattern whose last step
    /// has a time repeats (breathing), one whose last step is held stays.
    @Test func idleSignalsAreHeldOrRepeat() throws {
        #expect(try ConfigLoader.parse(Self.minimal, file: "yizhand.toml").signals.healthy == SignalPattern([.init(.green, nil)]))
        let configured = try ConfigLoader.parse(
            Self.minimal + """

                [signals]
                healthy = ["green:600", "off:2400"]
                device_missing = ["amber:500", "off:500"]
                store_unusable = ["red"]
                """, file: "yizhand.toml"
        ).signals
        #expect(configured.healthy.repeats && configured.healthy.length == .seconds(3))
        #expect(configured.deviceMissing.repeats)
        #expect(!configured.storeUnusable.repeats && configured.storeUnusable.length == nil)
    }

    @Test func printersOnEveryTransport() throws {
        let usb = try ConfigLoader.parse(
            Self.minimal.replacingOccurrences(
                of: "transport = \"file\"\npath = \"/tmp/slips\"",
                with: "transport = \"usb\"\nusb = \"0416:5011:A1\"\ndetach_kernel_driver = true\nchinese = \"raster\"\nqr = \"raster\""),
            file: "yizhand.toml")
        #expect(usb.printer.transport == .usb(USBIdentity(vendor: 0x0416, product: 0x5011, serial: "A1"), detachKernelDriver: true))
        #expect(usb.printer.rasterises)
        let serial = try ConfigLoader.parse(
            Self.minimal.replacingOccurrences(of: "transport = \"file\"", with: "transport = \"serial\"\nbaud = 115200"), file: "t.toml")
        #expect(serial.printer.transport == .serial(path: "/tmp/slips", baud: 115_200))
        let tcp = try ConfigLoader.parse(
            Self.minimal.replacingOccurrences(of: "transport = \"file\"\npath = \"/tmp/slips\"", with: "transport = \"tcp\"\nport = 9101"),
            file: "t.toml")
        #expect(tcp.printer.transport == .tcp(host: "127.0.0.1", port: 9101))
        let file = "transport = \"file\"\npath = \"/tmp/slips\""
        for (printer, problem) in [
            (file + "\nbaud = 12345", "printer.baud: 12345 is not a standard rate"),
            (file + "\nchinese = \"big5\"", "printer.chinese: must be one of fs-gbk, gb18030, raster, not \"big5\""),
            (file + "\nqr = \"raster\"\nfont = \"/nonexistent/font.ttc\"", "printer.font: cannot read /nonexistent/font.ttc"),
            ("transport = \"usb\"\npath = \"/dev/usb/lp0\"", "printer.usb: is required for transport \"usb\""),
            ("transport = \"device\"\nusb = \"0416:5011\"", "printer.path: is required for transport \"device\""),
        ] {
            let problems = Self.problems(Self.minimal.replacingOccurrences(of: file, with: printer), file: "t.toml")
            #expect(problems.contains { $0.description.contains(problem) }, "\(problems)")
        }
    }

    @Test func errorsNameTheFileTheLineAndTheKey() {
        let source = """
            [station]
            id = "test-station"
            name = "测试驿站"
            timezone = "Mars/Olympus"

            [printer]
            transport = "file"
            path = "/tmp/slips"
            width_dots = 400

            [[scanner]]
            id = "front"
            kind = "fifo"
            path = "/tmp/a"

            [[scanner]]
            id = "front"
            kind = "laser"
            path = "/tmp/b"

            [patrol]
            key_periods = ["11:00-10:00"]
            weekly_slot = "Caturday 09:00-11:00"
            min_minuts = 5

            [pointz]
            daily = 2
            """
        let problems = Self.problems(source, file: "/etc/yizhan/yizhand.toml")
        let lines = Set(problems.map(\.description))
        #expect(lines.contains("/etc/yizhan/yizhand.toml:4: station.timezone: unknown time zone \"Mars/Olympus\""))
        #expect(lines.contains("/etc/yizhan/yizhand.toml:9: printer.width_dots: must be 384 (58 mm) or 576 (80 mm)"))
        #expect(lines.contains("/etc/yizhan/yizhand.toml:17: scanner[2].id: \"front\" is used by another scanner"))
        #expect(
            lines.contains("/etc/yizhan/yizhand.toml:18: scanner[2].kind: must be one of evdev, serial, hidraw, fifo, not \"laser\""))
        #expect(
            lines.contains(
                "/etc/yizhan/yizhand.toml:22: patrol.key_periods: \"11:00-10:00\" is not HH:MM-HH:MM with the end after the start"))
        #expect(
            lines.contains(
                "/etc/yizhan/yizhand.toml:23: patrol.weekly_slot: \"Caturday 09:00-11:00\" is not like \"Sat 09:00-11:00\" (Mon … Sun)")
        )
        #expect(lines.contains("/etc/yizhan/yizhand.toml:24: patrol.min_minuts: unknown key"))
        #expect(lines.contains("/etc/yizhan/yizhand.toml:26: pointz: unknown section"))
        #expect(problems.count == 8, "\(problems)")
    }

    @Test func scannersAreFoundByPathOrByUSBIds() throws {
        let config = try ConfigLoader.parse(
            Self.minimal + """

                [[scanner]]
                id = "wedge"
                kind = "evdev"
                usb = "0C2E:0b61:SN42"

                [[scanner]]
                id = "pos"
                kind = "hidraw"
                path = "/dev/hidraw0"
                terminator = []

                [[scanner]]
                id = "serial"
                kind = "serial"
                usb = "1a86:7523"
                """, file: "yizhand.toml")
        let wedge = USBIdentity(vendor: 0x0C2E, product: 0x0B61, serial: "SN42")
        #expect(
            config.scanners.map(\.kind) == [
                .evdev(.usb(wedge), layout: "us", terminators: ["enter", "kp_enter"], characterTimeout: .milliseconds(100)),
                .hidraw(.path("/dev/hidraw0")),
                .serial(.usb(USBIdentity(vendor: 0x1A86, product: 0x7523)), baud: 9600, characterTimeout: .milliseconds(100)),
            ])
        #expect(wedge.description == "0c2e:0b61:SN42")

        let broken =
            Self.minimal + """

                [[scanner]]
                id = "a"
                kind = "evdev"
                usb = "0c2e-0b61"

                [[scanner]]
                id = "b"
                kind = "fifo"
                usb = "0c2e:0b61"

                [[scanner]]
                id = "c"
                kind = "hidraw"

                [[scanner]]
                id = "d"
                kind = "serial"
                path = "/dev/ttyACM0"
                usb = "0c2e:0b6a"
                """
        let problems = Self.problems(broken, file: "y.toml")
        let lines = Set(problems.map(\.description))
        #expect(lines.contains("y.toml:11: scanner[1].usb: must be VID:PID or VID:PID:serial in hex, e.g. \"0416:5011\""))
        #expect(lines.contains("y.toml:16: scanner[2].usb: finds evdev, serial and hidraw scanners; a fifo scanner is a path"))
        #expect(lines.contains("y.toml:18: scanner[3].path: is required"))
        #expect(lines.contains("y.toml:26: scanner[4].usb: names the scanner as path does: give one of them"))
        #expect(problems.count == 4, "\(problems)")
    }

    @Test func usbIdentitiesParseAsLsusbShowsThem() {
        #expect(USBIdentity("0416:5011") == USBIdentity(vendor: 0x0416, product: 0x5011))
        #expect(USBIdentity("0416:5011:A:B")?.serial == "A:B", "a serial may hold colons")
        #expect(USBIdentity("0416:5011:A:B")?.matches(vendor: 0x0416, product: 0x5011, serial: "A:B") == true)
        #expect(USBIdentity("0416:5011")?.matches(vendor: 0x0416, product: 0x5011, serial: "anything") == true)
        #expect(USBIdentity("0416:5011:X")?.matches(vendor: 0x0416, product: 0x5011, serial: nil) == false)
        for bad in ["", "0416", "416:5011", "0416:5011:", "04G6:5011", "0416:50111", "+416:5011"] {
            #expect(USBIdentity(bad) == nil, "\(bad)")
        }
    }

    /// Found by fuzzing: the TOML parser underneath aborts on these instead of reporting them.
    @Test func inputThatWouldCrashTheParserIsASyntaxError() {
        let cases: [(String, Int, String)] = [
            ("[#", 1, TOMLTraps.header), ("[station]\nid = \"x\"\n[[ !scanner]]\n", 3, TOMLTraps.header),
            ("a = \"\"\"\n[#]\"\"\"\n[ =]", 3, TOMLTraps.header), ("t=[}", 1, TOMLTraps.missingValue),
            ("t = [1,\n  # a comment\n}", 3, TOMLTraps.missingValue), ("t = { a = [[}]] }", 1, TOMLTraps.missingValue),
        ]
        for (source, line, message) in cases {
            let problems = Self.problems(source, file: "bad.toml")
            #expect(problems.map(\.description) == ["bad.toml:\(line): (syntax): \(message)"])
        }
        // Lists of lists and of inline tables, and a brace in a string or a comment, are fine.
        #expect(TOMLTraps.first(in: "a = [\n  [1],\n  [{ b = 2 }],\n]\n[station]\n# [#] [}\nc = \"[}\"\nd = {e = 1}\n") == nil)
    }

    @Test func syntaxErrorsCarryTheirLine() {
        let problems = Self.problems("[station]\nid = \"x\"\nname = \n", file: "bad.toml")
        #expect(problems.first?.line == 3)
        #expect(problems.first?.key == "(syntax)")
    }

    @Test func campaignsMustNameConfiguredCheckpoints() {
        let source =
            Self.minimal + """

                [[campaign]]
                name = "夏季防暑"
                from = "07-01"
                to = "09-31"
                checkpoints = ["fan"]
                """
        let problems = Self.problems(source, file: "c.toml")
        #expect(problems.map(\.key) == ["campaign[1].to", "campaign[1].checkpoints"])
    }

    @Test func campaignsRunEveryYearOrOnDatedDays() throws {
        let source =
            Self.minimal + """

                [[campaign]]
                name = "冬季取暖"
                from = "11-15"
                to = "03-15"

                [[campaign]]
                name = "春节"
                from = "2027-01-28"
                to = "2027-02-04"
                """
        let campaigns = try ConfigLoader.parse(source, file: "c.toml").rules.campaigns
        #expect(
            campaigns.map(\.period) == [
                .yearly(from: MonthDay(month: 11, day: 15), to: MonthDay(month: 3, day: 15)),
                .dated(from: LocalDay("2027-01-28")!, to: LocalDay("2027-02-04")!),
            ])
    }

    @Test(arguments: [
        ("07-01", "2027-09-15", "campaign[1].to", "must both be MM-DD"),
        ("2027-02-04", "2027-01-28", "campaign[1].to", "comes before"),
        ("2027-13-01", "2027-12-31", "campaign[1].from", "is not MM-DD (every year) or yyyy-MM-dd (once)"),
    ])
    func campaignDatesAreCheckedStrictly(from: String, to: String, key: String, message: String) {
        let source = Self.minimal + "\n\n[[campaign]]\nname = \"x\"\nfrom = \"\(from)\"\nto = \"\(to)\"\n"
        let problems = Self.problems(source, file: "c.toml")
        #expect(problems.map(\.key) == [key])
        #expect(problems.first?.description.contains(message) == true, "\(problems)")
    }

    @Test func theDistrictTableIsOptionalAndChecked() throws {
        #expect(try ConfigLoader.parse(Self.minimal, file: "c.toml").district == nil, "a station runs alone without it")
        let district = try #require(
            try ConfigLoader.parse(
                Self.minimal
                    + "\n\n[district]\nurl = \"postgres://10.0.0.5:5432/yizhan\"\npassword_file = \"/etc/yizhan/district.password\"\ntls = \"disable\"\n",
                file: "c.toml"
            ).district)
        #expect(district.user == "station_test_station" && district.syncInterval == .seconds(30) && district.tls == .disable)
        let problems = Self.problems(Self.minimal + "\n\n[district]\nurl = \"mysql://x/y\"\npassword_file = \"/p\"\n", file: "c.toml")
        #expect(problems.map(\.key) == ["district.url", "district.ca_file"])
    }
}
