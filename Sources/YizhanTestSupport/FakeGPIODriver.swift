import Foundation
import Synchronization
import YizhanDevices
import YizhanSystem

#if canImport(Glibc)
    import Glibc
#endif

/// A GPIO chip in memory behind the libgpiod funnel: chips found by name, path or label,
/// lines by name or offset, physical levels after active-low, edges delivered through a
/// real pipe so the event-loop code reads a real descriptor, and chips that can vanish.
public final class FakeGPIODriver: GPIODriver, @unchecked Sendable {
    public struct Chip: Sendable {
        public var name: String
        public var label: String
        public var lines: [String]

        public init(name: String, label: String, lines: [String]) {
            self.name = name
            self.label = label
            self.lines = lines
        }
    }

    private struct Line {
        var chip: Int
        var offset: Int
        var requested: String?
        var activeLow = false
        var level = false
        var pipe: (read: Int32, write: Int32)?
        /// Each edge, and when it came on the monotonic clock (as the kernel stamps it).
        var pendingEdges: [(rising: Bool, nanoseconds: Int64)] = []
    }

    private let chips: [Chip]
    private let state = Mutex<(lines: [UInt: Line], gone: Set<Int>, calls: [String])>(([:], [], []))

    public init(chips: [Chip]) {
        self.chips = chips
    }

    public var apiVersion: Int { 1 }

    /// Every call made, in order, like `openChip(gpiochip0)`.
    public var calls: [String] { state.withLock { $0.calls } }

    private func log(_ call: String) {
        state.withLock { $0.calls.append(call) }
    }

    private func lineKey(chip: Int, offset: Int) -> UInt { UInt(chip * 1000 + offset + 1) }

    public func openChip(_ description: String) throws(GPIOError) -> GPIOHandle {
        log("openChip(\(description))")
        guard let index = chips.firstIndex(where: { [$0.name, "/dev/" + $0.name, $0.label].contains(description) }) else {
            throw GPIOError("gpiod_chip_open_lookup(\(description))", .noSuchFileOrDirectory)
        }
        guard !state.withLock({ $0.gone.contains(index) }) else {
            throw GPIOError("gpiod_chip_open_lookup(\(description))", .operationNotSupportedByDevice)
        }
        return GPIOHandle(raw: UInt(index + 1) << 20)
    }

    public func closeChip(_ chip: GPIOHandle) {
        log("closeChip")
    }

    public func chipLabel(_ chip: GPIOHandle) -> String {
        chips[Int(chip.raw >> 20) - 1].label
    }

    public func findLine(_ chip: GPIOHandle, name: String) throws(GPIOError) -> GPIOHandle {
        let index = Int(chip.raw >> 20) - 1
        guard let offset = chips[index].lines.firstIndex(of: name) else {
            throw GPIOError("gpiod_chip_find_line(\(name))", .noSuchFileOrDirectory)
        }
        return GPIOHandle(raw: lineKey(chip: index, offset: offset))
    }

    public func line(_ chip: GPIOHandle, offset: UInt32) throws(GPIOError) -> GPIOHandle {
        let index = Int(chip.raw >> 20) - 1
        guard Int(offset) < chips[index].lines.count else { throw GPIOError("gpiod_chip_get_line(\(offset))", .invalidArgument) }
        return GPIOHandle(raw: lineKey(chip: index, offset: Int(offset)))
    }

    private func withLine<T>(_ handle: GPIOHandle, _ call: String, _ body: (inout Line) throws(GPIOError) -> T) throws(GPIOError) -> T {
        let chip = Int(handle.raw - 1) / 1000
        let offset = Int(handle.raw - 1) % 1000
        log("\(call)(\(chips[chip].lines[offset]))")
        return try state.withLock { state throws(GPIOError) -> T in
            guard !state.gone.contains(chip) else { throw GPIOError(call, .operationNotSupportedByDevice) }
            var line = state.lines[handle.raw] ?? Line(chip: chip, offset: offset)
            defer { state.lines[handle.raw] = line }
            return try body(&line)
        }
    }

    public func requestOutput(_ line: GPIOHandle, consumer: String, activeLow: Bool, value: Bool) throws(GPIOError) {
        try withLine(line, "requestOutput") { line throws(GPIOError) in
            guard line.requested == nil else { throw GPIOError("gpiod_line_request_output_flags", .resourceBusy) }
            line.requested = consumer
            line.activeLow = activeLow
            line.level = value != activeLow
        }
    }

    public func requestEdges(_ line: GPIOHandle, consumer: String, activeLow: Bool) throws(GPIOError) {
        try withLine(line, "requestEdges") { line throws(GPIOError) in
            guard line.requested == nil else { throw GPIOError("gpiod_line_request_both_edges_events_flags", .resourceBusy) }
            var ends: [Int32] = [-1, -1]
            guard pipe(&ends) == 0 else { throw GPIOError("pipe", Kernel.lastError) }
            line.requested = consumer
            line.activeLow = activeLow
            line.pipe = (ends[0], ends[1])
        }
    }

    public func setValue(_ line: GPIOHandle, _ value: Bool) throws(GPIOError) {
        try withLine(line, "setValue") { line in line.level = value != line.activeLow }
    }

    public func eventDescriptor(_ line: GPIOHandle) throws(GPIOError) -> Int32 {
        try withLine(line, "eventDescriptor") { line throws(GPIOError) in
            guard let pipe = line.pipe else { throw GPIOError("gpiod_line_event_get_fd", .notPermitted) }
            return pipe.read
        }
    }

    public func readEvent(_ line: GPIOHandle) throws(GPIOError) -> (rising: Bool, nanoseconds: Int64) {
        try withLine(line, "readEvent") { line throws(GPIOError) in
            guard let pipe = line.pipe, !line.pendingEdges.isEmpty else {
                throw GPIOError("gpiod_line_event_read", .resourceTemporarilyUnavailable)
            }
            var byte: UInt8 = 0
            _ = read(pipe.read, &byte, 1)
            return line.pendingEdges.removeFirst()
        }
    }

    /// Works on a chip that has gone too: the kernel lets a request's descriptor be closed
    /// whatever became of its chip.
    public func release(_ line: GPIOHandle) {
        log("release")
        state.withLock { state in
            guard let released = state.lines[line.raw] else { return }
            if let pipe = released.pipe {
                close(pipe.read)
                close(pipe.write)
            }
            state.lines[line.raw] = Line(chip: released.chip, offset: released.offset)
        }
    }

    // MARK: The test's side of the chip

    /// The physical level of a line (what the LED sees), by name.
    public func level(chip: String, line name: String) -> Bool? {
        guard let index = chips.firstIndex(where: { $0.name == chip }), let offset = chips[index].lines.firstIndex(of: name) else {
            return nil
        }
        return state.withLock { $0.lines[lineKey(chip: index, offset: offset)]?.level }
    }

    /// Drives an input line to a physical level, as a button does, raising an edge event
    /// stamped `at` (nanoseconds on CLOCK_MONOTONIC; now when not given), as the kernel
    /// stamps the edges it saw.
    public func drive(chip: String, line name: String, level: Bool, at stamp: UInt64? = nil) {
        guard let index = chips.firstIndex(where: { $0.name == chip }), let offset = chips[index].lines.firstIndex(of: name) else { return }
        state.withLock { state in
            var line = state.lines[lineKey(chip: index, offset: offset)] ?? Line(chip: index, offset: offset)
            guard line.level != level else { return }
            line.level = level
            if let pipe = line.pipe {
                line.pendingEdges.append((level != line.activeLow, Int64(stamp ?? Kernel.monotonicNanoseconds)))
                var byte: UInt8 = 1
                _ = write(pipe.write, &byte, 1)
            }
            state.lines[lineKey(chip: index, offset: offset)] = line
        }
    }

    /// The chip disappears: every later call on it fails with ENODEV.
    public func unplug(chip: String) {
        guard let index = chips.firstIndex(where: { $0.name == chip }) else { return }
        state.withLock { _ = $0.gone.insert(index) }
    }

    /// The chip is back, its lines as they were.
    public func plug(chip: String) {
        guard let index = chips.firstIndex(where: { $0.name == chip }) else { return }
        state.withLock { _ = $0.gone.remove(index) }
    }
}
