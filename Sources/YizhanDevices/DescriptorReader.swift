import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a non-blocking descriptor without tying up a Swift concurrency thread and without
/// waking up while nothing happens: waits in `poll(2)` on a thread of its own dispatch queue
/// for data or for a pipe that cancellation writes to. (Not on a global queue: libdispatch's
/// global pool, once used, wakes the process every second for good.)
final class DescriptorReader: Sendable {
    let descriptor: Int32
    /// Read end and write end of the cancellation pipe.
    private let wakeup: (read: Int32, write: Int32)
    private let waiter = DispatchQueue(label: "yizhan.descriptor-reader")

    init(descriptor: Int32) throws {
        self.descriptor = descriptor
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw DeviceError.system("pipe", errno) }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)
        }
        wakeup = (ends[0], ends[1])
    }

    deinit {
        close(wakeup.read)
        close(wakeup.write)
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
            await waitUntilReadable()
        }
    }

    /// The next bytes from a device, nil when it went away: end of file, or the errors an
    /// unplugged device (ENODEV) or a hung-up tty or pty (EIO, ENXIO) reads with. With a
    /// timeout, empty when nothing came within it.
    func readDevice(timeout: Duration? = nil) async throws -> [UInt8]? {
        do {
            if let timeout { return try await read(timeout: timeout) }
            return try await read()
        } catch DeviceError.system(_, let code) where code == ENODEV || code == EIO || code == ENXIO {
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
                    var descriptors = [
                        pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
                        pollfd(fd: wakeup.read, events: Int16(POLLIN), revents: 0),
                    ]
                    while poll(&descriptors, 2, -1) < 0 && errno == EINTR {}
                    // A cancellation's byte is used up, so the next wait sleeps again.
                    var drained: UInt8 = 0
                    while Glibc.read(wakeup.read, &drained, 1) > 0 {}
                    continuation.resume()
                }
            }
        } onCancel: {
            var byte: UInt8 = 1
            _ = Glibc.write(wakeup.write, &byte, 1)
        }
    }
}
