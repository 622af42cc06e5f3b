import Glibc
import Synchronization

/// A file written beside the one named, which takes the name only once it is whole: an
/// export that fails part way (the connection lost, the USB stick full) leaves the name as
/// it was, absent or the last export whole, never a file that looks finished and is short.
/// The part file is removed when writing fails and when the program is interrupted
/// (Ctrl-C, `SIGTERM`, the terminal closed); one left by an export killed outright
/// (`SIGKILL`, a power cut) is removed by the next export of that name, which tells it
/// from a running export's by the lock each export holds on its own. A name that is not a
/// regular file (a pipe, a device) or that stands for a descriptor this program was given
/// (`/dev/stdout`) is written straight.
public final class PartFile {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The name as given, for messages.
    public let path: String
    /// Where the bytes are written until the last: beside the file the name leads to (a
    /// link's target, not the link); nil when the name is written straight.
    private let part: String?
    private let destination: String
    private let descriptor: FileDescriptor

    /// Opens the part file (or the name itself, when it is written straight).
    public init(path: String) throws(Failure) {
        self.path = path
        if let straight = try Self.openStraight(path) {
            part = nil
            destination = path
            descriptor = straight
            return
        }
        destination = Self.resolvingLinks(path)
        Self.removeAbandonedParts(beside: destination)
        // The handler is given the name before mkstemp fills it in and makes the file, so
        // no signal can come between the file's making and the handler's knowing it.
        let (folder, prefix) = Self.partNames(beside: destination)
        let template = strdup(folder + prefix + "XXXXXX")!
        Self.removeOnInterrupt(template)
        let made = mkstemp(template)
        guard made >= 0 else {
            let error = Kernel.lastError
            Self.removeOnInterrupt(nil)
            throw Self.failure(path, error)
        }
        part = String(cString: template)
        descriptor = FileDescriptor(rawValue: made)
        // Held while the part is written: what tells another export it is not abandoned.
        try? Kernel.lockExclusively(descriptor)
        // mkstemp makes it 0600; a finished export reads as any file this user writes.
        let mask = umask(0)
        umask(mask)
        fchmod(made, 0o666 & ~mask)
    }

    deinit {
        try? descriptor.close()
    }

    /// Appends `bytes`.
    public func write(_ bytes: [UInt8]) throws(Failure) {
        do { try Kernel.writeAll(descriptor, bytes) } catch { throw Self.failure(path, error) }
    }

    /// Puts the bytes on the disk and gives the file its name; removes it if either fails.
    public func finish() throws(Failure) {
        guard let part else { return }
        do {
            try Kernel.sync(descriptor)
            try Kernel.rename(part, to: destination)
            Self.removeOnInterrupt(nil)
        } catch {
            abandon()
            throw Self.failure(path, error)
        }
    }

    /// Writes `bytes` as the file `path` names, whole or not at all.
    public static func write(_ bytes: [UInt8], to path: String) throws(Failure) {
        let file = try PartFile(path: path)
        do throws(Failure) {
            try file.write(bytes)
            try file.finish()
        } catch {
            file.abandon()
            throw error
        }
    }

    /// Removes what was written of a file that will not be finished.
    public func abandon() {
        guard let part else { return }
        try? Kernel.remove(part)
        Self.removeOnInterrupt(nil)
    }

    private static func failure(_ path: String, _ error: Errno) -> Failure {
        Failure(description: "cannot write \(path): \(error)")
    }

    /// The descriptor to write `path` through when it is written straight, nil when it
    /// is a regular file (or nothing yet). A name such as `/dev/stdout` or `/dev/fd/3`
    /// stands for a descriptor this program was given open: written through as given, not
    /// opened again by its name (which would truncate a file the shell opened for
    /// appending, or replace it). A pipe or a device is opened and written.
    private static func openStraight(_ path: String) throws(Failure) -> FileDescriptor? {
        do {
            if let inherited = inheritedDescriptor(path) {
                return FileDescriptor(rawValue: try Kernel.retrying { fcntl(inherited, F_DUPFD_CLOEXEC, 0) })
            }
            guard let type = Kernel.fileType(path), type != .regular else { return nil }
            return try Kernel.open(path, .writeOnly, options: [.truncate, .closeOnExec])
        } catch {
            throw failure(path, error)
        }
    }

    /// The descriptor this program was given that `path` stands for (`/dev/stdout`: 1), or nil.
    public static func inheritedDescriptor(_ path: String) -> Int32? {
        let named: [String: Int32] = ["/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2]
        if let number = named[path] { return number }
        for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
            return Int32(path.dropFirst(prefix.count))
        }
        return nil
    }

    private static func resolvingLinks(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The folder of `path` (empty for the working directory) and how its part files' names
    /// begin: `.NAME.part-`, then mkstemp's six letters. A name nobody gives a file of their
    /// own, since one left behind is removed (`removeAbandonedParts`).
    private static func partNames(beside path: String) -> (folder: String, prefix: String) {
        let name = path.lastIndex(of: "/").map(path.index(after:)) ?? path.startIndex
        return (String(path[..<name]), "." + path[name...] + ".part-")
    }

    // MARK: Abandoned

    /// How old an unlocked part file must be to count as abandoned: one made a moment ago
    /// may not be locked yet by the export that made it.
    private static let abandonedAfter = 10

    /// Removes the part files beside `destination` (`.NAME.part-XXXXXX`) that no export
    /// holds locked and that were last written more than a moment ago.
    private static func removeAbandonedParts(beside destination: String) {
        let (folder, prefix) = partNames(beside: destination)
        for entry in Kernel.names(in: folder.isEmpty ? "." : folder) where entry.hasPrefix(prefix) && entry.count == prefix.count + 6 {
            let part = folder + entry
            guard let file = try? Kernel.open(part, .readOnly, options: [.noFollow, .nonBlocking, .closeOnExec]) else { continue }
            defer { try? file.close() }
            var info = stat()
            guard fstat(file.rawValue, &info) == 0, info.st_mode & S_IFMT == S_IFREG, time(nil) - info.st_mtim.tv_sec >= abandonedAfter
            else { continue }
            if (try? Kernel.lockExclusively(file)) != nil { try? Kernel.remove(part) }
        }
    }

    // MARK: Interrupted

    /// The part file an interrupting signal removes (one at a time: a command writes one
    /// export): the address of a C string the handler can pass to `unlink` without
    /// allocating. A string put here is never freed, since a handler may be reading it.
    private static let interruptedPart = Atomic<Int>(0)

    /// Signals that end a command at the terminal; their handler removes the part file and
    /// then ends the program as the signal would have. One ignored when the program started
    /// (`nohup`, a job the shell started in the background) stays ignored.
    private static let interrupts = [SIGINT, SIGTERM, SIGHUP]

    private static func removeOnInterrupt(_ part: UnsafeMutablePointer<CChar>?) {
        interruptedPart.store(Int(bitPattern: part), ordering: .sequentiallyConsistent)
        guard part != nil else { return }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            let part = UnsafePointer<CChar>(bitPattern: PartFile.interruptedPart.load(ordering: .sequentiallyConsistent))
            if let part { unlink(part) }
            Glibc.signal(signal, SIG_DFL)
            raise(signal)
        }
        for interrupt in interrupts {
            var old = sigaction()
            sigaction(interrupt, nil, &old)
            let ignored = unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
            if !ignored { sigaction(interrupt, &action, nil) }
        }
    }
}
