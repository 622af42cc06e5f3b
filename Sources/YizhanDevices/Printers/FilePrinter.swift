import ESCPOS
import Foundation
import YizhanSystem

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
        let descriptor: FileDescriptor
        do {
            descriptor = try Kernel.open(
                path, .writeOnly, options: [.append, .create, .closeOnExec], permissions: [.ownerReadWrite, .groupRead])
        } catch {
            throw .notReady("open \(path): \(error)")
        }
        defer { try? descriptor.close() }
        var written = 0
        while written < bytes.count {
            do {
                written += try Kernel.write(descriptor, bytes[written...])
            } catch {
                let reason = "write \(path): \(error)"
                throw written == 0 ? .notReady(reason) : .brokeOff(reason)
            }
        }
        do { try Kernel.sync(descriptor) } catch { throw .brokeOff("fsync \(path): \(error)") }
        return .ready
    }
}
