import YizhanSystem

/// Wakes when a device is added to or removed from the board, as the kernel and udev
/// announce it: what a watch on a device with nothing of its own to wait on (a printer
/// between slips) waits for, rather than looking every few seconds, so that an idle board
/// sleeps until something is plugged in or pulled out.
public final class DeviceEvents: Sendable {
    private let reader: DescriptorReader

    public init() throws(DeviceError) {
        do { reader = DescriptorReader(descriptor: try Kernel.deviceEvents()) } catch { throw .system("listen for device events", error) }
    }

    deinit {
        try? reader.descriptor.close()
    }

    /// Returns at the next announcement, or at once if some came since the last call, with
    /// all of them read. Which device they were about is not read: the caller looks again
    /// at what it watches. Returns when the task is cancelled, too, leaving them for the
    /// next call.
    public func next() async {
        await reader.waitUntilReadable()
        guard !Task.isCancelled else { return }
        // A burst that overflowed the socket (ENOBUFS) ends the reading as well; the caller
        // still looks.
        reader.discardWaiting()
    }
}
