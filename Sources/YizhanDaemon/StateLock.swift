import Foundation
import YizhanCore
import YizhanSystem

/// An exclusive lock on the state directory (`flock(2)` on `yizhand.lock`), held for the
/// daemon's life: a second `yizhand` on the same state refuses to start instead of
/// sharing the database and splitting the scans with the first. The kernel drops the lock
/// when the process ends, however it ends.
final class StateLock: Sendable {
    private let descriptor: FileDescriptor

    init(stateDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        let path = stateDirectory + "/yizhand.lock"
        do {
            descriptor = try Kernel.open(
                path, .readWrite, options: [.create, .closeOnExec, .noFollow], permissions: [.ownerReadWrite, .groupRead])
        } catch let error where [.readOnlyFileSystem, .notPermitted, .permissionDenied].contains(error) {
            // The database beside it cannot be written either: the store is unusable.
            throw YizhanError(
                .storeUnavailable,
                "cannot open \(path): \(error); yizhand must be able to write \(stateDirectory) "
                    + "(a filesystem remounted read-only after errors shows in dmesg)")
        } catch {
            throw StartupError("cannot open \(path): \(error)")
        }
        do { try Kernel.lockExclusively(descriptor) } catch {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            try? descriptor.close()
            throw StartupError("another yizhand (pid \(holder ?? "?")) is running on \(stateDirectory)")
        }
        _ = try? descriptor.resize(to: 0)
        _ = try? descriptor.writeAll(toAbsoluteOffset: 0, Array("\(Kernel.processID)\n".utf8))
    }

    deinit { try? descriptor.close() }
}
