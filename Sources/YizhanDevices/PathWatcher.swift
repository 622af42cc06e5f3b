import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Wakes when something appears in a directory (a device node or its by-id link), so a
/// device that comes back is picked up at once rather than at the next retry.
///
/// The directory itself may not exist yet (`/dev/input/by-id` appears with the first
/// device, and goes with the last): so the nearest existing directory above it is watched
/// too, and the watch on the directory is placed again before every wait.
public final class PathWatcher: Sendable {
    private let descriptor: Int32
    private let directory: String
    /// The watch on the directory, once it exists: a new one means a new directory.
    private let directoryWatch = Mutex<Int32>(-1)
    private let reader: DescriptorReader
    private static let changes = UInt32(IN_CREATE | IN_MOVED_TO | IN_ATTRIB)

    /// Watches the directory that holds `path`.
    public init(watching path: String) throws {
        descriptor = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard descriptor >= 0 else { throw DeviceError.system("inotify_init1", errno) }
        directory = (path as NSString).deletingLastPathComponent
        // The nearest existing directory above it, which sees the directory (re)created.
        var ancestor = (directory as NSString).deletingLastPathComponent
        while inotify_add_watch(descriptor, ancestor, Self.changes) < 0 {
            guard errno == ENOENT, ancestor != "/" && !ancestor.isEmpty else {
                let code = errno
                close(descriptor)
                throw DeviceError.system("inotify_add_watch \(ancestor)", code)
            }
            ancestor = (ancestor as NSString).deletingLastPathComponent
        }
        let watch = inotify_add_watch(descriptor, directory, Self.changes)
        directoryWatch.withLock { $0 = watch }
        reader = try DescriptorReader(descriptor: descriptor)
    }

    deinit {
        close(descriptor)
    }

    /// Returns when the directory changes or `timeout` passes, whichever is first.
    public func waitForChange(timeout: Duration) async {
        // Placing a watch again is harmless. A new watch is a directory that was created
        // since the last look, perhaps with the device already in it: no waiting then.
        let watch = inotify_add_watch(descriptor, directory, Self.changes)
        let isNew = directoryWatch.withLock { current in
            defer { if watch >= 0 { current = watch } }
            return watch >= 0 && watch != current
        }
        if isNew { return }
        _ = await reader.waitUntilReadable(timeout: timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while buffer.withUnsafeMutableBytes({ read(descriptor, $0.baseAddress, $0.count) }) > 0 {}
    }
}
