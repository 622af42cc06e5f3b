import ESCPOS
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where slip bytes go: the file printer here, and its siblings for USB, `/dev/usb/lp*`,
/// serial and TCP printers.
public protocol PrinterTransport: Sendable {
    /// Sends one complete job; returns the printer's condition when it was sent (paper near
    /// end, status unknown) for the status API. Blocks until the job is out or has failed:
    /// the spooler calls it on a thread of its own.
    func send(_ bytes: [UInt8]) throws(PrinterSendError) -> PrinterCondition
}

/// How sending a job failed, which decides what happens to it.
public enum PrinterSendError: Error, Sendable, Hashable {
    /// Nothing reached the printer; the job can wait and go out later.
    case notReady(String)
    /// Some bytes may have reached the printer; the job is uncertain and is not resent by itself.
    case brokeOff(String)
}

/// The simulated printer: appends each job's ESC/POS bytes to a file and syncs it, so
/// development and tests can read exactly what a printer would have received.
public struct FilePrinter: PrinterTransport {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public func send(_ bytes: [UInt8]) throws(PrinterSendError) -> PrinterCondition {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw .notReady("open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                let reason = "write \(path): \(String(cString: strerror(errno)))"
                throw written == 0 ? .notReady(reason) : .brokeOff(reason)
            }
            written += count
        }
        guard fsync(descriptor) == 0 else { throw .brokeOff("fsync \(path): \(String(cString: strerror(errno)))") }
        return .ready
    }
}
