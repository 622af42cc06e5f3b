import Foundation
import YizhanSystem

/// A keyboard-wedge scanner or card reader through evdev: grabbed exclusively so scans never
/// reach a console, key events turned into text by the scanner's layout, a scan ended by
/// its terminator or, for readers configured with none, by a pause between characters.
public final class EvdevScanner: ScannerDevice {
    public let id: String
    public let path: String
    public let layout: String
    public let terminators: Set<KeyboardDecoder.Terminator>
    public let characterTimeout: Duration

    public init(
        id: String, path: String, layout: String, terminators: Set<KeyboardDecoder.Terminator> = [.enter, .kpEnter],
        characterTimeout: Duration = .milliseconds(100)
    ) {
        self.id = id
        self.path = path
        self.layout = layout
        self.terminators = terminators
        self.characterTimeout = characterTimeout
    }

    public func run(opened: @Sendable (_ detail: String) -> Void, handle: @Sendable (LineFramer.Frame) async -> Void) async throws {
        let decoder = try KeyboardDecoder(layout: layout, terminators: terminators)
        // Open the node a by-id link points to: the link is the stable name, the node is the device.
        let node = DeviceLocator.node(behind: path)
        let descriptor = try openDevice(node, .readOnly)
        defer { try? descriptor.close() }
        do { try Kernel.grabInput(descriptor) } catch { throw DeviceError.system("EVIOCGRAB \(node)", error) }
        opened(detail(path: path, node: node, "grabbed, layout \(layout)"))

        let reader = DescriptorReader(descriptor: descriptor)
        var framer = KeyEventFramer(decoder: decoder, endsOnPause: terminators.isEmpty)
        while !Task.isCancelled {
            guard let bytes = try await reader.readDevice(timeout: framer.isInsideScan ? characterTimeout : nil) else {
                throw DeviceError.gone(path)
            }
            // Nothing within the character timeout: the scan ended, or broke off.
            let frames = bytes.isEmpty ? [framer.pause()].compactMap { $0 } : framer.feed(bytes)
            for frame in frames { await handle(frame) }
        }
    }
}
