import ESCPOS
import YizhanSystem

/// One job's connection to a printer that can talk back: bytes out, status bytes in. The
/// TCP, serial, `/dev/usb/lp` and USB transports differ only in this; the status exchange
/// around a job is the same for all of them (`send(_:)`).
protocol PrinterLink {
    /// Names the printer in messages: a path, an address, USB ids.
    var name: String { get }
    /// How fast the link carries bytes, when it is slower than the printer (a serial line).
    var bytesPerSecond: Int { get }
    /// Writes some of `bytes` and returns how many went; throws why none could.
    func write(_ bytes: ArraySlice<UInt8>, timeout: Duration) throws(PrinterLinkError) -> Int
    /// One byte from the printer, or nil when none comes within `timeout`.
    func readByte(timeout: Duration) -> UInt8?
}

struct PrinterLinkError: Error {
    var reason: String
}

extension PrinterLink {
    /// How long a printer may take to answer a status request.
    static var replyTimeout: Duration { .seconds(1) }

    /// How long the bytes of a job may take to reach the printer: the slower of the link and
    /// the printer, which takes data only as fast as it prints once its buffer is full (a
    /// raster slip prints at some 8 KiB a second).
    func timeout(for byteCount: Int) -> Duration {
        .seconds(2) + .milliseconds(byteCount * 1000 / min(bytesPerSecond, 8192))
    }

    /// Sends one job: asks the printer's condition first (`DLE EOT` 1, 2, 4) and holds the
    /// job back while it cannot print; after the job, one more status reply is the receipt
    /// that the bytes reached the printer rather than a buffer on the way. A printer that
    /// never answers gets its jobs sent blind, with the condition unknown.
    func send(_ bytes: [UInt8]) throws(PrinterSendError) -> PrinterCondition {
        drain()
        let condition = self.condition()
        guard condition.canPrint else { throw .notReady(condition.rawValue) }
        let timeout = timeout(for: bytes.count)
        var sent = 0
        while sent < bytes.count {
            do {
                sent += try write(bytes[sent...], timeout: timeout)
            } catch {
                throw sent == 0 ? .notReady(error.reason) : .brokeOff(error.reason)
            }
        }
        guard condition == .unknown || status(1, timeout: timeout).map(RealTimeStatus.isWellFormed) == true else {
            throw .brokeOff("no answer from \(name) after the job")
        }
        return condition
    }

    /// The printer's condition from its three status replies; unknown, after one wait, when
    /// it does not answer at all.
    func condition() -> PrinterCondition {
        guard let printer = status(1, timeout: Self.replyTimeout) else { return .unknown }
        return RealTimeStatus.condition(
            printer: printer, offlineCause: status(2, timeout: Self.replyTimeout), paper: status(4, timeout: Self.replyTimeout))
    }

    /// Sends `DLE EOT n` and reads the one-byte reply.
    func status(_ n: UInt8, timeout: Duration) -> UInt8? {
        let request = RealTimeStatus.request(n)
        guard (try? write(request[...], timeout: timeout)) == request.count else { return nil }
        return readByte(timeout: timeout)
    }

    /// Drops bytes left from before (a late reply to an earlier job's request), so they
    /// cannot pass for the answers to this job's.
    func drain() {
        while readByte(timeout: .zero) != nil {}
    }
}

/// A printer link over a file descriptor: a TCP socket, a serial port, `/dev/usb/lp*`.
struct DescriptorLink: PrinterLink {
    let descriptor: FileDescriptor
    let name: String
    /// Sockets are written with `send` so that a closed peer is an error, not SIGPIPE.
    let isSocket: Bool
    var bytesPerSecond = Int.max

    func write(_ bytes: ArraySlice<UInt8>, timeout: Duration) throws(PrinterLinkError) -> Int {
        while true {
            guard wait(for: .writable, timeout: timeout) else { throw PrinterLinkError(reason: "\(name) takes no data") }
            do {
                return try bytes.withUnsafeBytes { buffer in
                    isSocket ? try Kernel.send(descriptor, buffer) : try Kernel.write(descriptor, buffer)
                }
            } catch Errno.resourceTemporarilyUnavailable {
                continue
            } catch {
                throw PrinterLinkError(reason: "write to \(name): \(error)")
            }
        }
    }

    func readByte(timeout: Duration) -> UInt8? {
        let deadline = ContinuousClock.now + timeout
        while wait(for: .readable, timeout: max(.zero, deadline - .now)) {
            var byte: [UInt8] = [0]
            do {
                if try Kernel.read(descriptor, into: &byte) == 1 { return byte[0] }
                return nil
            } catch Errno.resourceTemporarilyUnavailable {
                // A tty may say readable and then have nothing yet; anything else is the end.
            } catch {
                return nil
            }
        }
        return nil
    }

    /// `poll(2)` for `events`; false on timeout or a hung-up descriptor with nothing to read.
    private func wait(for events: Kernel.Events, timeout: Duration) -> Bool {
        !Kernel.poll([(descriptor, events)], timeout: timeout)[0].isDisjoint(with: events)
    }
}
