/// A scanner of any kind (keyboard wedge, serial, HID POS, the simulated FIFO): it opens
/// its device and hands over each scan's frame in order. Whether it is present is the
/// caller's to record, from what `run` tells it.
public protocol ScannerDevice: Sendable {
    /// The scanner's id, from the config.
    var id: String { get }

    /// Opens the device and tells `opened` what it opened (`detail(path:node:_:)`), then reads frames
    /// until the device goes away (throws) or the task is cancelled, handing each to
    /// `handle` and waiting for it before reading on, so scans are never reordered. Throws
    /// without calling `opened` when the device cannot be opened.
    func run(opened: @Sendable (_ detail: String) -> Void, handle: @Sendable (LineFramer.Frame) async -> Void) async throws
}

extension ScannerDevice {
    /// What a scanner tells `opened`, which the status and the log show: its configured
    /// path, the node behind it when that is another, and how it is read.
    func detail(path: String, node: String, _ readAs: String) -> String {
        (node == path ? path : "\(path) (\(node))") + ", " + readAs
    }
}
