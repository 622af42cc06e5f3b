import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Makes a Unix socket path ready to bind, without ever removing what is not ours to
/// remove: a regular file (a mistyped path that names the database) is refused, a socket
/// another process still serves is refused, and only a stale socket left by a stopped
/// daemon is unlinked.
enum SocketPath {
    static func prepare(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var info = stat()
        guard lstat(path, &info) == 0 else { return }  // nothing there
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw StartupError("\(path) exists and is not a socket; refusing to replace it")
        }
        if isServed(path) {
            throw StartupError("\(path) is served by another process (is another yizhand running?)")
        }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw StartupError("cannot remove the stale socket \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Whether a connection to `path` is accepted (`connect(2)`).
    static func isServed(_ path: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return withUnixAddress(path) { connect(descriptor, $0, $1) == 0 } ?? false
    }

    /// Gives the bound socket its mode and, when `group` exists and the socket is not in it
    /// yet, its group. Under the shipped unit the socket's directory is setgid
    /// `yizhan-admin`, so the group is already right and `chown(2)` (which the unit's
    /// system call filter forbids) is never called.
    static func setPermissions(_ path: String, mode: mode_t, group: String?) throws {
        guard chmod(path, mode) == 0 else {
            throw StartupError("chmod \(path): \(String(cString: strerror(errno)))")
        }
        guard let group, let entry = getgrnam(group) else { return }
        var info = stat()
        guard stat(path, &info) == 0, info.st_gid != entry.pointee.gr_gid else { return }
        guard chown(path, getuid(), entry.pointee.gr_gid) == 0 else {
            throw StartupError("cannot give \(path) to the group \(group): \(String(cString: strerror(errno)))")
        }
    }
}

/// Why the daemon could not start: a socket path, the state lock.
struct StartupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
