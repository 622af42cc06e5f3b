import Foundation
import YizhanSystem

/// Reads a non-blocking descriptor without tying up a Swift concurrency thread and without
/// waking up while nothing happens: waits in `poll(2)` on a thread of its own dispatch queue
/// for data or for a pipe that cancellation writes to. (Not on a global queue: libdispatch's
/// global pool, once used, wakes the process every second for good.)
final class DescriptorReader: Sendable {
    let descriptor: FileDescriptor
    /// Read end and write end of the cancellation pipe.
    private let wakeup: (read: FileDescriptor, write: FileDescriptor)
    private let waiter = DispatchQueue(label: "yizhan.descriptor-reader")

    init(descriptor: FileDescriptor) throws(DeviceError) {
        self.descriptor = descriptor
        do { wakeup = try Kernel.nonBlockingPipe() } catch { throw .system("pipe", error) }
    }

    deinit {
        try? wakeup.read.close()
        try? wakeup.write.close()
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

    /// Returns when the descriptor is readable (or hung up), or the task is cancelled.
    func waitUntilReadable() async {
        let descriptor = self.descriptor
        let wakeup = self.wakeup
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiter.async {
                    _ = Kernel.poll([(descriptor, .readable), (wakeup.read, .readable)], timeout: nil)
                    // A cancellation's byte is used up, so the next wait sleeps again.
                    var drained = [UInt8](repeating: 0, count: 16)
                    while ((try? Kernel.read(wakeup.read, into: &drained)) ?? 0) > 0 {}
                    continuation.resume()
                }
            }
        } onCancel: {
            try? Kernel.writeAll(wakeup.write, [1])
        }
    }
}
