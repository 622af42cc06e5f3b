import Foundation
import YizhanSystem

/// Emulated USB devices that come and go while the daemon runs: the daemon is started
/// inside `Tests/Testbed/testbed.py` under `umockdev-wrapper`, which takes commands from
/// a FIFO and answers `sync` on another. Devices are described in umockdev's format.
public final class DeviceTestbed: Sendable {
    public let directory: TemporaryDirectory
    /// The two FIFOs, held read-write, so opening does not wait for the testbed and reads
    /// never see an end.
    private let control: FileDescriptor
    private let done: FileDescriptor

    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/umockdev-wrapper")
            && ["x86_64", "aarch64"].contains {
                FileManager.default.fileExists(atPath: "/usr/lib/\($0)-linux-gnu/girepository-1.0/UMockdev-1.0.typelib")
            }
    }

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/Testbed/testbed.py").path
    }

    public init() throws {
        BrokenPipes.areErrors
        directory = try TemporaryDirectory()
        for name in ["control", "control.done"] { try Kernel.makeFIFO(directory.file(name), permissions: .ownerReadWrite) }
        control = try Kernel.open(directory.file("control"), .readWrite, options: .closeOnExec)
        done = try Kernel.open(directory.file("control.done"), .readWrite, options: [.closeOnExec, .nonBlocking])
    }

    deinit {
        try? control.close()
        try? done.close()
        directory.remove()
    }

    /// What to start the daemon inside (`DaemonProcess.start(wrapper:)`).
    public var wrapper: [String] {
        ["/usr/bin/umockdev-wrapper", "/usr/bin/python3", Self.script, directory.file("control"), "--"]
    }

    /// Plugs in the devices described.
    public func add(_ description: String) throws {
        let file = directory.file("device-\(UUID().uuidString).umockdev")
        try description.write(toFile: file, atomically: true, encoding: .utf8)
        send("add \(file)")
    }

    /// The device at `node` sends `bytes`.
    public func write(_ node: String, _ bytes: [UInt8]) {
        send("write \(node) " + bytes.map { String(format: "%02x", $0) }.joined())
    }

    /// Unplugs a device: its node hangs up and it leaves sysfs and /dev (`syspaths`
    /// children first).
    public func unplug(node: String, _ syspaths: String...) {
        send((["unplug", node] + syspaths).joined(separator: " "))
    }

    /// Makes `node` a USB printer (before its device is added) whose jobs go to `output`.
    public func usbPrinter(node: String, output: String) {
        send("printer \(node) \(output)")
    }

    /// What the USB printer at `node` answers to status requests.
    public func printerCondition(node: String, _ condition: String) {
        send("condition \(node) \(condition)")
    }

    /// The USB printer at `node` fails like a pulled cable after `bytes` more bytes; nil: it works again.
    public func vanish(node: String, after bytes: Int?) {
        send("vanish \(node) \(bytes.map(String.init) ?? "never")")
    }

    /// Removes devices from sysfs and /dev.
    public func remove(_ syspaths: String...) {
        send((["remove"] + syspaths).joined(separator: " "))
    }

    /// Waits until the testbed has carried out every command sent before (it must be running).
    public func sync(timeout: Duration = .seconds(20)) -> Bool {
        let token = UUID().uuidString
        send("sync \(token)")
        let deadline = ContinuousClock.now + timeout
        var answers: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while !String(decoding: answers, as: UTF8.self).contains(token) {
            guard Kernel.waitUntilReadable(done, before: deadline), let count = try? Kernel.read(done, into: &buffer) else { return false }
            answers += buffer.prefix(count)
        }
        return true
    }

    private func send(_ command: String) {
        try? Kernel.writeAll(control, Array((command + "\n").utf8))
    }
}
