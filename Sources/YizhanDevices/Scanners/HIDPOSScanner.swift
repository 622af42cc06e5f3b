import Foundation
import YizhanSystem

/// A HID POS barcode scanner through hidraw: the scanner sends its decoded data in reports
/// of usage page 0x8C rather than typing it, so no keyboard layout is involved and nothing
/// can leak into a console.
public final class HIDPOSScanner: ScannerDevice {
    public let id: String
    public let path: String
    private let sysfs: String

    public init(id: String, path: String, sysfs: String = "/sys") {
        self.id = id
        self.path = path
        self.sysfs = sysfs
    }

    public func run(opened: @Sendable (_ detail: String) -> Void, handle: @Sendable (LineFramer.Frame) async -> Void) async throws {
        // The kernel publishes the report descriptor in sysfs, as HIDIOCGRDESC returns it,
        // under the node's name (a link's own name, when it is a hidraw name, is the node's).
        let named = (path as NSString).lastPathComponent
        let node = named.hasPrefix("hidraw") ? path : DeviceLocator.node(behind: path)
        let name = (node as NSString).lastPathComponent
        guard let descriptor = FileManager.default.contents(atPath: "\(sysfs)/class/hidraw/\(name)/device/report_descriptor") else {
            throw DeviceError.system("read the report descriptor of \(node)", .noSuchFileOrDirectory)
        }
        var decoder = try HIDPOSDecoder(descriptor: Array(descriptor))
        let file = try openDevice(node, .readOnly)
        defer { try? file.close() }
        opened(detail(path: path, node: node, "HID POS"))
        let reader = DescriptorReader(descriptor: file)
        while !Task.isCancelled {
            guard let bytes = try await reader.readDevice() else { throw DeviceError.gone(path) }
            for frame in decoder.feed(bytes) { await handle(frame) }
        }
    }
}
