import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive lock on the state directory (`flock(2)` on `yizhand.lock`), held for the
/// daemon's life: a second `yizhand` on the same state refuses to start instead of
/// sharing the database and splitting the scans with the first. The kernel drops the lock
/// when the process ends, however it ends.
final class StateLock: Sendable {
    private let descriptor: Int32

    init(stateDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        let path = stateDirectory + "/yizhand.lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o640)
        guard descriptor >= 0 else {
            throw StartupError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            throw StartupError("another yizhand (pid \(holder ?? "?")) is running on \(stateDirectory)")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    deinit { close(descriptor) }
}
