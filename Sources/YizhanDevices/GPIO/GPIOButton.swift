import YizhanCore
import YizhanSystem

/// A button on a GPIO line, read through the line's event descriptor in the event loop:
/// the task sleeps in poll(2) until an edge arrives.
public final class GPIOButton: Sendable {
    private let driver: any GPIODriver
    private let chip: GPIOHandle
    private let line: GPIOHandle
    private let reader: DescriptorReader

    /// Opens `chip` and requests both edges of the line.
    public init(driver: any GPIODriver, chip description: String, line spec: GPIOLineSpec) throws {
        self.driver = driver
        chip = try driver.openChip(description)
        do {
            line = try spec.find(on: chip, driver: driver)
            try driver.requestEdges(line, consumer: "yizhand", activeLow: spec.activeLow)
            reader = DescriptorReader(descriptor: FileDescriptor(rawValue: try driver.eventDescriptor(line)))
        } catch {
            driver.closeChip(chip)
            throw error
        }
    }

    /// The next edge: whether the button went down, and when the kernel saw it, placed on
    /// `clock`. A board busy elsewhere may read a press's edges together, long after they
    /// came; bounce and a press's length are told by when they came. Throws when the chip
    /// is gone.
    public func nextEdge(on clock: any StationClock) async throws -> (pressed: Bool, at: Instant) {
        await reader.waitUntilReadable()
        try Task.checkCancellation()
        let event = try driver.readEvent(line)
        return (event.rising, clock.now().back(toMonotonic: event.nanoseconds))
    }

    public func close() {
        driver.release(line)
        driver.closeChip(chip)
    }
}
