import Foundation
import YizhanSystem

/// Makes a Unix socket path ready to bind, without ever removing what is not ours to
/// remove: a regular file (a mistyped path that names the database) is refused, a socket
/// another process still serves is refused, and only a stale socket left by a stopped
/// daemon is unlinked.
enum SocketPath {
    static func prepare(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard let type = Kernel.fileType(path, followingLinks: false) else { return }  // nothing there
        guard type == .socket else {
            throw StartupError("\(path) exists and is not a socket; refusing to replace it")
        }
        if Kernel.isServed(path) {
            throw StartupError("\(path) is served by another process (is another yizhand running?)")
        }
        do { try Kernel.remove(path) } catch {
            throw StartupError("cannot remove the stale socket \(path): \(error)")
        }
    }

    /// Gives the bound socket its mode and, when `group` exists and the socket is not in it
    /// yet, its group. Under the shipped unit the socket's directory is setgid
    /// `yizhan-admin`, so the group is already right and `chown(2)` (which the unit's
    /// system call filter forbids) is never called.
    static func setPermissions(_ path: String, mode: FilePermissions, group: String?) throws {
        do { try Kernel.setPermissions(path, mode) } catch { throw StartupError("chmod \(path): \(error)") }
        guard let group else { return }
        do { try Kernel.setGroup(path, group) } catch { throw StartupError("cannot give \(path) to the group \(group): \(error)") }
    }
}

/// Why the daemon could not start: a socket path, the state lock.
struct StartupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
