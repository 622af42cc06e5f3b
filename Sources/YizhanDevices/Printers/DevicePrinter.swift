import ESCPOS
import YizhanSystem

/// A printer behind a character device: the kernel's USB printer driver (`/dev/usb/lp*`,
/// which passes status requests and replies through when the printer is bidirectional) or
/// a serial port (RS-232, USB CDC-ACM), opened for each job.
public struct DevicePrinter: PrinterTransport {
    public let path: String
    /// For a serial port, its baud rate; nil for `/dev/usb/lp*`.
    public let baud: Int?

    public init(path: String, baud: Int? = nil) {
        self.path = path
        self.baud = baud
    }

    public func send(_ bytes: [UInt8]) throws(PrinterSendError) -> PrinterCondition {
        let descriptor = try open()
        defer { try? descriptor.close() }
        // A serial line carries ten bits a byte (start, eight data, stop).
        let link = DescriptorLink(descriptor: descriptor, name: path, isSocket: false, bytesPerSecond: baud.map { $0 / 10 } ?? .max)
        return try link.send(bytes)
    }

    private func open() throws(PrinterSendError) -> FileDescriptor {
        if let baud {
            do { return try SerialPort.open(path, baud: baud) } catch { throw .notReady(error.description) }
        }
        do {
            return try Kernel.open(path, .readWrite, options: [.nonBlocking, .closeOnExec])
        } catch {
            throw .notReady("open \(path): \(error)")
        }
    }
}
