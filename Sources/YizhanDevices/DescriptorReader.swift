import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a non-blocking descriptor without tying up a thread: waits in `poll(2)` on a
/// helper thread only while there is nothing to read, and wakes up for cancellation.
final class DescriptorReader: Sendable {
    let descriptor: Int32

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// The next bytes, or nil at end of file.
    func read() async throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            try Task.checkCancellation()
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 { return Array(buffer.prefix(count)) }
            if count == 0 { return nil }
            guard errno == EAGAIN || errno == EINTR else { throw DeviceError.system("read", errno) }
            try await waitReadable()
        }
    }

    /// Waits in poll(2) on a dispatch thread, a second at a time so a cancelled task is
    /// noticed; a second of latency on shutdown costs nothing, and no data is read late.
    private func waitReadable() async throws {
        let descriptor = self.descriptor
        while true {
            try Task.checkCancellation()
            let ready = await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    var pollDescriptor = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                    continuation.resume(returning: poll(&pollDescriptor, 1, 1000) > 0)
                }
            }
            if ready { return }
        }
    }
}
