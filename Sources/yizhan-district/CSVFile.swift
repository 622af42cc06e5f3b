import Foundation
import YizhanCore

#if canImport(Glibc)
    import Glibc
#endif

/// A CSV file written as its rows arrive, into a file of its own beside the one named,
/// which takes the name only once the last row is in: an export that fails part way (the
/// district gone, the disk full) leaves the name as it was, absent or the last export
/// whole, never a file that looks finished and is short. A name that is not a regular
/// file (`/dev/stdout`, a pipe) is written straight. Rows are appended on the district
/// connection's event loop while they arrive, and by nothing else meanwhile.
final class CSVFile: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let path: String
    /// Where the rows are written until the last: beside the file the name leads to (a
    /// link's target, not the link).
    private let part: String?
    private let destination: String
    private let handle: FileHandle
    private var buffer = CSV.byteOrderMark
    /// The rows appended after the first, the header.
    private(set) var rows = -1
    private var failure: Failure?

    init(path: String) throws {
        self.path = path
        var status = stat()
        let descriptor: Int32
        if stat(path, &status) == 0 && status.st_mode & S_IFMT != S_IFREG {
            part = nil
            destination = path
            descriptor = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        } else {
            let url = URL(fileURLWithPath: path).resolvingSymlinksInPath()
            destination = url.path
            let beside = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).XXXXXX")
            var template = Array(beside.path.utf8CString)
            descriptor = mkstemp(&template)
            part = String(cString: template)
            // mkstemp makes it 0600; a finished export reads as any file this user writes.
            let mask = umask(0)
            umask(mask)
            if descriptor >= 0 { fchmod(descriptor, 0o666 & ~mask) }
        }
        guard descriptor >= 0 else { throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    /// Adds a row; false once the file cannot be written, which `finish` then says.
    func append(_ row: [String]) -> Bool {
        rows += 1
        buffer += CSV.lines([row])
        if buffer.utf8.count >= 1 << 16 { write() }
        return failure == nil
    }

    /// Writes what is left and gives the file its name.
    func finish() throws {
        write()
        if failure == nil, let part {
            do { try handle.synchronize() } catch { fail(error) }
            if failure == nil && rename(part, destination) != 0 {
                failure = Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))")
            }
        }
        if let failure {
            abandon()
            throw failure
        }
        try? handle.close()
    }

    /// Removes what was written of an export that did not finish.
    func abandon() {
        try? handle.close()
        if let part { unlink(part) }
    }

    private func write() {
        guard failure == nil, !buffer.isEmpty else { return }
        do { try handle.write(contentsOf: Data(buffer.utf8)) } catch { fail(error) }
        buffer = ""
    }

    private func fail(_ error: any Error) {
        // Foundation's error wraps the system's, whose words are the ones a technician knows.
        let error = error as NSError
        let system = error.userInfo[NSUnderlyingErrorKey] as? NSError ?? error
        let reason = system.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32(system.code))) : error.localizedDescription
        failure = Failure(description: "cannot write \(path): \(reason)")
    }
}
