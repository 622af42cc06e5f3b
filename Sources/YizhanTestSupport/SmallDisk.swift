import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file system of its own at a directory (a tmpfs of a few MiB), which the tests fill up
/// as a board's disk fills: its writes then fail with `ENOSPC`, as they do on a card whose
/// last block is taken.
public final class SmallDisk {
    /// Whether this user may mount one (root, with `mount` and a kernel that lets it).
    public static let available: Bool = {
        guard let directory = try? TemporaryDirectory() else { return false }
        defer { directory.remove() }
        guard let disk = try? SmallDisk(at: directory.file("probe")) else { return false }
        disk.unmount()
        return true
    }()

    public let path: String
    private var mounted = true

    /// Mounts a tmpfs of `megabytes` at `path`, which is made if it is not there.
    public init(at path: String, megabytes: Int = 4) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mount = try Command.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0755", "tmpfs", path])
        guard mount.status == 0 else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSLocalizedDescriptionKey: "mount: \(mount.errors)"])
        }
        self.path = path
    }

    deinit { unmount() }

    /// Takes every free block with `filler` but `leaving` bytes; returns the blocks left
    /// free (none once full).
    public func fill(leaving: Int = 0) throws -> UInt64 {
        _ = try Command.run("/usr/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=64k"])
        if leaving > 0 {
            let size = try FileManager.default.attributesOfItem(atPath: filler)[.size] as? Int ?? 0
            _ = try Command.run("/usr/bin/truncate", ["--size=\(max(0, size - leaving))", filler])
        }
        return freeBlocks
    }

    /// Gives the filler's blocks back.
    public func makeRoom() throws {
        try FileManager.default.removeItem(atPath: filler)
    }

    /// The blocks an unprivileged writer could still take, as `statvfs` counts them.
    private var freeBlocks: UInt64 {
        var counts = statvfs()
        return statvfs(path, &counts) == 0 ? UInt64(counts.f_bavail) : 0
    }

    public func unmount() {
        guard mounted else { return }
        mounted = false
        _ = try? Command.run("/usr/bin/umount", ["--lazy", path])
    }

    private var filler: String { path + "/filler" }
}
