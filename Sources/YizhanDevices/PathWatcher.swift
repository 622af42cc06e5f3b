import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Wakes when something appears in a directory (a device node or its by-id link), so a
/// device that comes back is picked up at once rather than at the next retry.
public final class PathWatcher: Sendable {
    private let descriptor: Int32
    private let reader: DescriptorReader

    /// Watches the directory that holds `path`.
    public init(watching path: String) throws {
        descriptor = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard descriptor >= 0 else { throw DeviceError.system("inotify_init1", errno) }
        let directory = (path as NSString).deletingLastPathComponent
        guard inotify_add_watch(descriptor, directory, UInt32(IN_CREATE | IN_MOVED_TO | IN_ATTRIB)) >= 0 else {
            let code = errno
            close(descriptor)
            throw DeviceError.system("inotify_add_watch \(directory)", code)
        }
        reader = try DescriptorReader(descriptor: descriptor)
    }

    deinit {
        close(descriptor)
    }

    /// Returns when the directory changes or `timeout` passes, whichever is first.
    public func waitForChange(timeout: Duration) async {
        _ = await reader.waitUntilReadable(timeout: timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while buffer.withUnsafeMutableBytes({ read(descriptor, $0.baseAddress, $0.count) }) > 0 {}
    }
}
