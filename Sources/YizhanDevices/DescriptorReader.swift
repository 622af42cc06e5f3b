import Foundation
import YizhanExecutors
import YizhanSystem

/// Reads a non-blocking descriptor without tying up a Swift concurrency thread and without
/// waking up while nothing happens: a task waits for data on the device thread, which
/// sleeps in `poll(2)` on every descriptor waited for (`DeviceThread`).
final class DescriptorReader: Sendable {
    let descriptor: FileDescriptor

    init(descriptor: FileDescriptor) {
        self.descriptor = descriptor
    }

    /// The next bytes, or nil at end of file.
    func read() async throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            try Task.checkCancellation()
            do {
                let count = try Kernel.read(descriptor, into: &buffer)
                return count > 0 ? Array(buffer.prefix(count)) : nil
            } catch .resourceTemporarilyUnavailable {
                await waitUntilReadable()
            } catch {
                throw DeviceError.system("read", error)
            }
        }
    }

    /// The next bytes from a device, nil when it went away: end of file, or the errors an
    /// unplugged device (ENODEV) or a hung-up tty or pty (EIO, ENXIO) reads with. With a
    /// timeout, empty when nothing came within it.
    func readDevice(timeout: Duration? = nil) async throws -> [UInt8]? {
        do {
            if let timeout { return try await read(timeout: timeout) }
            return try await read()
        } catch DeviceError.system(_, let code) where [.operationNotSupportedByDevice, .ioError, .noSuchAddressOrDevice].contains(code) {
            return nil
        }
    }

    /// The next bytes, nil at end of file, or empty when nothing came within `timeout`.
    func read(timeout: Duration) async throws -> [UInt8]? {
        await waitUntilReadable(timeout: timeout) ? try await read() : []
    }

    /// Waits until the descriptor is readable or `timeout` passes; true when it is readable.
    func waitUntilReadable(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.waitUntilReadable()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// Reads and drops whatever is waiting, for a caller to whom its coming was the news
    /// (an inotify or uevent descriptor); stops at the first read that gets nothing or fails.
    func discardWaiting() {
        var buffer = [UInt8](repeating: 0, count: 8192)
        while ((try? Kernel.read(descriptor, into: &buffer)) ?? 0) > 0 {}
    }

    /// Returns when the descriptor is readable (or hung up), or the task is cancelled.
    func waitUntilReadable() async {
        await DeviceThread.shared.waitUntilReadable(descriptor)
    }
}
