import CGPIOD
import YizhanSystem

/// The real libgpiod, through the build's shim (`CGPIOD/shim.h`); each call names the C
/// function it wraps in its errors.
public struct LibGPIOD: GPIODriver {
    public init() {}

    public var apiVersion: Int { Int(yizhan_gpiod_api_version()) }

    private func pointer(_ handle: GPIOHandle) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: handle.raw)!
    }

    private func handle(_ pointer: UnsafeMutableRawPointer?, _ call: String) throws(GPIOError) -> GPIOHandle {
        guard let pointer else { throw GPIOError(call, Kernel.lastError) }
        return GPIOHandle(raw: UInt(bitPattern: pointer))
    }

    private func check(_ result: Int32, _ call: String) throws(GPIOError) {
        if result < 0 { throw GPIOError(call, Kernel.lastError) }
    }

    public func openChip(_ description: String) throws(GPIOError) -> GPIOHandle {
        try handle(yizhan_gpiod_chip_open(description), "gpiod_chip_open_lookup(\(description))")
    }

    public func closeChip(_ chip: GPIOHandle) {
        yizhan_gpiod_chip_close(pointer(chip))
    }

    public func chipLabel(_ chip: GPIOHandle) -> String {
        String(cString: yizhan_gpiod_chip_label(pointer(chip)))
    }

    public func findLine(_ chip: GPIOHandle, name: String) throws(GPIOError) -> GPIOHandle {
        try handle(yizhan_gpiod_line_find(pointer(chip), name), "gpiod_chip_find_line(\(name))")
    }

    public func line(_ chip: GPIOHandle, offset: UInt32) throws(GPIOError) -> GPIOHandle {
        try handle(yizhan_gpiod_line_get(pointer(chip), offset), "gpiod_chip_get_line(\(offset))")
    }

    public func requestOutput(_ line: GPIOHandle, consumer: String, activeLow: Bool, value: Bool) throws(GPIOError) {
        try check(yizhan_gpiod_line_request_output(pointer(line), consumer, activeLow, value ? 1 : 0), "gpiod_line_request_output_flags")
    }

    public func requestEdges(_ line: GPIOHandle, consumer: String, activeLow: Bool) throws(GPIOError) {
        try check(yizhan_gpiod_line_request_edges(pointer(line), consumer, activeLow), "gpiod_line_request_both_edges_events_flags")
    }

    public func setValue(_ line: GPIOHandle, _ value: Bool) throws(GPIOError) {
        try check(yizhan_gpiod_line_set_value(pointer(line), value ? 1 : 0), "gpiod_line_set_value")
    }

    public func eventDescriptor(_ line: GPIOHandle) throws(GPIOError) -> Int32 {
        let descriptor = yizhan_gpiod_line_event_fd(pointer(line))
        try check(descriptor, "gpiod_line_event_get_fd")
        return descriptor
    }

    public func readEvent(_ line: GPIOHandle) throws(GPIOError) -> (rising: Bool, nanoseconds: Int64) {
        var rising: Int32 = 0
        var nanoseconds: Int64 = 0
        try check(yizhan_gpiod_line_event_read(pointer(line), &rising, &nanoseconds), "gpiod_line_event_read")
        return (rising != 0, nanoseconds)
    }

    public func release(_ line: GPIOHandle) {
        yizhan_gpiod_line_release(pointer(line))
    }
}
