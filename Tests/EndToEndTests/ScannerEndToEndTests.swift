import Foundation
import Testing
import YizhanTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The built daemon with a serial scanner on a pty and a keyboard-wedge card reader emulated
/// by umockdev at the same time.
@Suite(.serialized) struct ScannerEndToEndTests {
    static var hasUmockdev: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/umockdev-run") }

    /// An emulated USB keyboard-wedge card reader at /dev/input/event5.
    static let cardReader = """
        P: /devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/0003:FFFF:0035.0001/input/input5/event5
        N: input/event5
        E: DEVNAME=/dev/input/event5
        E: MAJOR=13
        E: MINOR=69
        E: SUBSYSTEM=input
        E: ID_INPUT=1
        E: ID_INPUT_KEYBOARD=1
        A: dev=13:69

        P: /devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/0003:FFFF:0035.0001/input/input5
        E: SUBSYSTEM=input
        E: NAME="RFID Card Reader"
        A: name=RFID Card Reader
        """

    /// US-layout keys: (Linux key code, with Shift).
    static let usKeys: [Character: (UInt16, Bool)] = {
        var keys: [Character: (UInt16, Bool)] = ["-": (12, false), ":": (39, true)]
        for (index, digit) in "1234567890".enumerated() { keys[digit] = (UInt16(2 + index), false) }
        let letters: [Character: UInt16] = [
            "a": 30, "b": 48, "c": 46, "d": 32, "e": 18, "f": 33, "g": 34, "h": 35, "i": 23, "n": 49, "r": 19, "s": 31, "t": 20, "u": 22,
            "x": 45, "y": 21, "z": 44,
        ]
        for (letter, code) in letters {
            keys[letter] = (code, false)
            keys[Character(letter.uppercased())] = (code, true)
        }
        return keys
    }()

    /// Evemu events for scans typed on a US layout, each `(text, at seconds, ends with Enter)`.
    static func events(_ scans: [(text: String, at: Double, enter: Bool)]) -> String {
        var lines: [String] = []
        for scan in scans {
            var time = scan.at
            func key(_ code: UInt16, _ value: Int) {
                lines.append(String(format: "E: %.6f 0001 %04x %04d", time, code, value))
                lines.append(String(format: "E: %.6f 0000 0000 0000", time))
                time += 0.002
            }
            for character in scan.text {
                let (code, shifted) = usKeys[character]!
                if shifted { key(42, 1) }
                key(code, 1)
                key(code, 0)
                if shifted { key(42, 0) }
            }
            if scan.enter {
                key(28, 1)
                key(28, 0)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test(.enabled(if: hasUmockdev, "needs umockdev"))
    func aVolunteerPatrolsWithACardReaderAndASerialScannerAtOnce() throws {
        let pty = try PseudoTerminal()
        let scanners = """
            [[scanner]]
            id = "card"
            kind = "evdev"
            path = "/dev/input/event5"
            layout = "us"
            char_timeout_ms = 80

            [[scanner]]
            id = "serial"
            kind = "serial"
            path = "SERIAL"
            baud = 115200
            """
        let daemon = try DaemonProcess(scanners: scanners)
        // The serial path is a link outside /dev, which umockdev leaves to the real kernel.
        let link = daemon.directory.file("scanner-serial")
        symlink(pty.path, link)
        try daemon.writeConfig(scanners: scanners.replacingOccurrences(of: "SERIAL", with: link))

        // Register the volunteer's card and QR badge before the card reader is plugged in.
        try daemon.start()
        let id = try #require(try daemon.post("/v1/volunteers", ["name": "张三"]).json?["id"] as? Int)
        #expect(try daemon.post("/v1/volunteers/\(id)/badges", ["kind": "card", "uid": "04A1B2C3"]).status == 201)
        let badge = try #require(try daemon.post("/v1/volunteers/\(id)/badges", ["kind": "qr"]).json?["code"] as? String)
        daemon.stop()

        try Self.cardReader.write(toFile: daemon.directory.file("reader.umockdev"), atomically: true, encoding: .utf8)
        // The card, ended by Enter; then a checkpoint tag typed with no terminator, which the
        // pause after its last character ends.
        try Self.events([("04A1B2C3", 0.05, true), ("YZ:C:extinguisher-1", 0.4, false)]).write(
            toFile: daemon.directory.file("card.events"), atomically: true, encoding: .utf8)
        try daemon.start(wrapper: [
            "/usr/bin/umockdev-run", "-d", daemon.directory.file("reader.umockdev"), "-e",
            "/dev/input/event5=" + daemon.directory.file("card.events"),
            "--",
        ])
        // The card reader types the card as soon as it is opened: the patrol opens.
        let opened = try daemon.waitUntil {
            ((try daemon.get("/v1/patrols?state=open")["items"] as? [[String: Any]]) ?? []).first?["volunteer_id"] as? Int == id
        }
        #expect(opened, "the card opened a patrol")
        let serialPresent = try daemon.waitUntil {
            (try daemon.get("/v1/status")["devices"] as? [[String: Any]] ?? []).contains {
                $0["id"] as? String == "serial" && $0["state"] as? String == "present"
            }
        }
        #expect(serialPresent)
        let checked = try daemon.waitUntil {
            (try daemon.get("/v1/scans?limit=1")["items"] as? [[String: Any]])?.first?["reason"] as? String == "checkpoint_recorded"
        }
        #expect(checked, "the unterminated scan ended by the pause")
        pty.send("YZ:C:water-dispenser\r\n\(badge)\r\n")
        let finished = try daemon.waitUntil { try daemon.get("/v1/volunteers/\(id)")["balance"] as? Int == 2 }
        #expect(finished, "the patrol closed completed with its points")

        let scans = try daemon.get("/v1/scans?limit=10")["items"] as? [[String: Any]] ?? []
        #expect(scans.contains { $0["scanner"] as? String == "card" && $0["reason"] as? String == "patrol_started" })
        #expect(scans.contains { $0["scanner"] as? String == "card" && $0["reason"] as? String == "checkpoint_recorded" })
        #expect(scans.filter { $0["scanner"] as? String == "serial" }.count == 2)
        let ledger = try daemon.get("/v1/volunteers/\(id)/ledger")["items"] as? [[String: Any]] ?? []
        #expect(ledger.map { $0["kind"] as? String } == ["patrol_award"])

        // Unplug the serial scanner: reported missing; plug a new one in at the same link: back.
        pty.close()
        #expect(try daemon.waitUntil { try Self.state(of: "serial", daemon) == "missing" })
        let replugged = try PseudoTerminal()
        unlink(link)
        symlink(replugged.path, link)
        #expect(try daemon.waitUntil { try Self.state(of: "serial", daemon) == "present" }, "picked up again when it returns")
        replugged.send("YZ:K:CANCEL\n")
        #expect(
            try daemon.waitUntil {
                (try daemon.get("/v1/scans?limit=1")["items"] as? [[String: Any]])?.first?["reason"] as? String == "selection_cancelled"
            })
    }

    static func state(of device: String, _ daemon: DaemonProcess) throws -> String? {
        (try daemon.get("/v1/status")["devices"] as? [[String: Any]] ?? []).first { $0["id"] as? String == device }?["state"] as? String
    }
}
