import Foundation
import Synchronization
import Testing
import YizhanDevices
import YizhanTestSupport

/// The serial reader against a real pty.
@Suite struct SerialScannerTests {
    /// Collects frames and lets the test wait for a number of them.
    final class Frames: Sendable {
        private let state = Mutex<(frames: [LineFramer.Frame], waiter: (count: Int, continuation: CheckedContinuation<Void, Never>)?)>(
            ([], nil))

        func append(_ frame: LineFramer.Frame) {
            let ready = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.frames.append(frame)
                guard let waiter = state.waiter, state.frames.count >= waiter.count else { return nil }
                state.waiter = nil
                return waiter.continuation
            }
            ready?.resume()
        }

        func wait(for count: Int) async -> [LineFramer.Frame] {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    if state.frames.count >= count { return true }
                    state.waiter = (count, continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
            return state.withLock { $0.frames }
        }
    }

    /// Starts the scanner and returns once it reports the device present (opened, in raw
    /// mode, input flushed), so what the test sends next is read.
    func start(_ scanner: SerialScanner, devices: DeviceRegistry = DeviceRegistry(), frames: Frames) async -> Task<Void, any Error> {
        let (opened, continuation) = AsyncStream<Void>.makeStream()
        devices.observe { status in
            if status.state == .present { continuation.yield() }
        }
        let reading = Task {
            try await scanner.run(
                opened: { devices.update(DeviceStatus(id: scanner.id, kind: "scanner", state: .present, detail: $0)) },
                handle: { frames.append($0) })
        }
        var iterator = opened.makeAsyncIterator()
        _ = await iterator.next()
        return reading
    }

    func lines(_ frames: [LineFramer.Frame]) -> [String] {
        frames.map {
            switch $0 {
            case .line(let bytes): String(decoding: bytes, as: UTF8.self)
            case .overflow(let length, _): "overflow \(length)"
            case .incomplete(let bytes): "incomplete " + String(decoding: bytes, as: UTF8.self)
            }
        }
    }

    @Test func framesOnCRLFOrCRLFAndKeepsUTF8Intact() async throws {
        let pty = try PseudoTerminal()
        let scanner = SerialScanner(id: "serial", path: pty.path, baud: 115_200)
        let frames = Frames()
        let reading = await start(scanner, frames: frames)
        pty.send("YZ:C:extinguisher-1\r")
        pty.send("YZ:I:towel\n")
        pty.send("04A1B2C3\r\n")
        pty.send("志愿者卡：张三\r\n")
        pty.send(Array("YZ:K:CANCEL".utf8) + [0x0D] + Array(String(repeating: "9", count: 600).utf8) + [0x0A])
        let received = await frames.wait(for: 6)
        #expect(lines(received) == ["YZ:C:extinguisher-1", "YZ:I:towel", "04A1B2C3", "志愿者卡：张三", "YZ:K:CANCEL", "overflow 600"])
        reading.cancel()
        _ = await reading.result
    }

    @Test func aLineThatBreaksOffIsIncompleteNotAScan() async throws {
        let pty = try PseudoTerminal()
        let scanner = SerialScanner(
            id: "serial", path: pty.path, baud: 9600, characterTimeout: .milliseconds(50))
        let frames = Frames()
        let reading = await start(scanner, frames: frames)
        // Half a card number, then nothing: it must not become the card "04A1".
        pty.send("04A1")
        #expect(lines(await frames.wait(for: 1)) == ["incomplete 04A1"])
        pty.send("04A1B2C3\r\n")
        #expect(lines(await frames.wait(for: 2)) == ["incomplete 04A1", "04A1B2C3"], "the next scan is whole")
        reading.cancel()
        _ = await reading.result
    }

    @Test func aBurstOfScansArrivesWholeAndInOrder() async throws {
        let pty = try PseudoTerminal()
        let scanner = SerialScanner(id: "serial", path: pty.path, baud: 9600)
        let frames = Frames()
        let reading = await start(scanner, frames: frames)
        let burst = (0..<300).map { "YZ:C:checkpoint-\($0)" }
        pty.send(burst.joined(separator: "\r\n") + "\r\n")
        #expect(lines(await frames.wait(for: 300)) == burst)
        reading.cancel()
        _ = await reading.result
    }

    @Test func thePeerClosingIsAnUnplugNotACrash() async throws {
        let pty = try PseudoTerminal()
        let devices = DeviceRegistry()
        let scanner = SerialScanner(id: "serial", path: pty.path, baud: 9600)
        let frames = Frames()
        let reading = await start(scanner, devices: devices, frames: frames)
        pty.send("YZ:K:CANCEL\n")
        _ = await frames.wait(for: 1)
        #expect(devices.all.first?.state == .present)
        pty.close()
        do {
            try await reading.value
            Issue.record("the reader did not notice the unplug")
        } catch let error as DeviceError {
            #expect("\(error)".contains("went away"))
        }
    }
}
