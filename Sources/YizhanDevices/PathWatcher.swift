import Foundation
import Synchronization
import YizhanSystem

/// Wakes when something appears in a directory (a device node or its by-id link), so a
/// device that comes back is picked up at once rather than at the next retry.
///
/// The directory itself may not exist yet (`/dev/input/by-id` appears with the first
/// device, and goes with the last): so the nearest existing directory above it is watched
/// too, and the watch on the directory is placed again before every wait.
public final class PathWatcher: Sendable {
    private let descriptor: FileDescriptor
    private let directory: String
    /// The watch on the directory, once it exists: a new one means a new directory.
    private let directoryWatch = Mutex<Int32>(-1)
    private let reader: DescriptorReader

    /// Watches the directory that holds `path`.
    public init(watching path: String) throws(DeviceError) {
        do { descriptor = try Kernel.inotify() } catch { throw .system("inotify_init1", error) }
        directory = (path as NSString).deletingLastPathComponent
        // The nearest existing directory above it, which sees the directory (re)created.
        var ancestor = (directory as NSString).deletingLastPathComponent
        while true {
            do {
                _ = try Kernel.watchForNewEntries(descriptor, ancestor)
                break
            } catch  where error == .noSuchFileOrDirectory && ancestor != "/" && !ancestor.isEmpty {
                ancestor = (ancestor as NSString).deletingLastPathComponent
            } catch {
                try? descriptor.close()
                throw .system("inotify_add_watch \(ancestor)", error)
            }
        }
        let watch = (try? Kernel.watchForNewEntries(descriptor, directory)) ?? -1
        directoryWatch.withLock { $0 = watch }
        reader = DescriptorReader(descriptor: descriptor)
    }

    deinit {
        try? descriptor.close()
    }

    /// Returns when the directory changes or `timeout` passes, whichever is first.
    public func waitForChange(timeout: Duration) async {
        // Placing a watch again is harmless. A new watch is a directory that was created
        // since the last look, perhaps with the device already in it: no waiting then.
        let watch = (try? Kernel.watchForNewEntries(descriptor, directory)) ?? -1
        let isNew = directoryWatch.withLock { current in
            defer { if watch >= 0 { current = watch } }
            return watch >= 0 && watch != current
        }
        if isNew { return }
        _ = await reader.waitUntilReadable(timeout: timeout)
        reader.discardWaiting()
    }
}
