import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// A keyboard-wedge scanner or card reader through evdev: grabbed exclusively so scans never
/// reach a console, key events turned into text by the scanner's layout, a scan ended by
/// its terminator or, for readers that send none, by a pause between characters.
public final class EvdevScanner: Sendable {
    public let id: String
    public let path: String
    public let layout: String
    public let terminators: Set<KeyboardDecoder.Terminator>
    public let characterTimeout: Duration
    private let logger: Logger

    public init(
        id: String, path: String, layout: String, terminators: Set<KeyboardDecoder.Terminator> = [.enter, .kpEnter],
        characterTimeout: Duration = .milliseconds(100), logger: Logger
    ) {
        self.id = id
        self.path = path
        self.layout = layout
        self.terminators = terminators
        self.characterTimeout = characterTimeout
        self.logger = logger
    }

    /// `EVIOCGRAB`: `_IOW('E', 0x90, int)`.
    static let grab: UInt = 0x4004_4590
    /// `struct input_event` on 64-bit Linux: a 16-byte timeval, then type, code and value.
    static let eventSize = 24
    static let keyEvent: UInt16 = 1

    /// Reads scans until the device goes away (throws) or the task is cancelled.
    public func run(devices: DeviceRegistry, handle: @Sendable (LineFramer.Frame) async -> Void) async throws {
        let decoder = try KeyboardDecoder(layout: layout, terminators: terminators)
        // Open the node a by-id link points to: the link is the stable name, the node is the device.
        let node = DeviceLocator.node(behind: path)
        let descriptor = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw DeviceError.system("open \(node)", errno) }
        defer { close(descriptor) }
        var one: Int32 = 1
        guard ioctl(descriptor, Self.grab, &one) == 0 else { throw DeviceError.system("EVIOCGRAB \(node)", errno) }
        devices.update(DeviceStatus(id: id, kind: "scanner", state: .present, detail: path))
        logger.info("scanner grabbed", metadata: ["scanner": "\(id)", "path": "\(node)", "layout": "\(layout)"])

        let reader = try DescriptorReader(descriptor: descriptor)
        var scan: [UInt8] = []
        var pending: [UInt8] = []
        func finish(_ frame: LineFramer.Frame?) async {
            if let frame { await handle(frame) }
            scan.removeAll()
        }
        while !Task.isCancelled {
            let bytes: [UInt8]?
            do {
                bytes = try await scan.isEmpty ? reader.read() : reader.read(timeout: characterTimeout)
            } catch DeviceError.system(_, let code) where code == ENODEV || code == EIO {
                bytes = nil
            }
            guard let bytes else { throw DeviceError.gone(path) }
            if bytes.isEmpty {
                // The characters stopped without a terminator: the scan is complete.
                await finish(Self.frame(scan))
                continue
            }
            pending += bytes
            while pending.count >= Self.eventSize {
                let event = Array(pending.prefix(Self.eventSize))
                pending.removeFirst(Self.eventSize)
                let type = UInt16(event[16]) | UInt16(event[17]) << 8
                let code = UInt16(event[18]) | UInt16(event[19]) << 8
                let value = Int32(
                    bitPattern: UInt32(event[20]) | UInt32(event[21]) << 8 | UInt32(event[22]) << 16 | UInt32(event[23]) << 24)
                guard type == Self.keyEvent, value != 2 else { continue }
                switch decoder.key(code: code, pressed: value == 1) {
                case .text(let text): scan += Array(text.utf8)
                case .terminator: await finish(Self.frame(scan))
                case nil: break
                }
            }
        }
    }

    /// A scan's frame, or an overflow when it is longer than any scan can be.
    static func frame(_ bytes: [UInt8]) -> LineFramer.Frame? {
        guard !bytes.isEmpty else { return nil }
        return bytes.count > 512 ? .overflow(length: bytes.count, prefix: Array(bytes.prefix(64))) : .line(bytes)
    }
}
