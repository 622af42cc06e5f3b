import ESCPOS
import YizhanSystem

/// A network printer on TCP port 9100 (raw), one connection a job, with the status
/// exchange of `PrinterLink` around it.
public struct TCPPrinter: PrinterTransport {
    public let host: String
    public let port: Int
    public let timeout: Duration

    public init(host: String, port: Int, timeout: Duration = .seconds(10)) {
        self.host = host
        self.port = port
        self.timeout = timeout
    }

    public func send(_ bytes: [UInt8]) throws(PrinterSendError) -> PrinterCondition {
        let descriptor: FileDescriptor
        do {
            descriptor = try Kernel.connectTCP(host: host, port: port, timeout: timeout)
        } catch {
            switch error {
            case .unresolved: throw .notReady("cannot resolve \(host)")
            case .failed(let call, let code):
                throw .notReady(call == "connect" ? "connect to \(host):\(port): \(code)" : "\(call): \(code)")
            }
        }
        defer { try? descriptor.close() }
        return try DescriptorLink(descriptor: descriptor, name: "\(host):\(port)", isSocket: true).send(bytes)
    }
}
