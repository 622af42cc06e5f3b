import YizhanSystem

/// An opaque libgpiod chip or line.
public struct GPIOHandle: Hashable, Sendable {
    public let raw: UInt

    public init(raw: UInt) {
        self.raw = raw
    }
}

/// A failed libgpiod call, named, with its errno.
public struct GPIOError: Error, Sendable, Hashable, CustomStringConvertible {
    public var call: String
    public var code: Errno

    public init(_ call: String, _ code: Errno) {
        self.call = call
        self.code = code
    }

    /// The chip went away (unplugged expander, driver unbound).
    public var isGone: Bool { code == .operationNotSupportedByDevice || code == .noSuchAddressOrDevice }

    public var description: String { "\(call): \(code)" }
}

/// Every libgpiod call the daemon makes goes through this funnel, so that tests drive a
/// fake and the real calls stay in one thin file (`LibGPIOD.swift`).
public protocol GPIODriver: Sendable {
    /// The libgpiod API the build uses (1 or 2).
    var apiVersion: Int { get }
    func openChip(_ description: String) throws(GPIOError) -> GPIOHandle
    func closeChip(_ chip: GPIOHandle)
    func chipLabel(_ chip: GPIOHandle) -> String
    func findLine(_ chip: GPIOHandle, name: String) throws(GPIOError) -> GPIOHandle
    func line(_ chip: GPIOHandle, offset: UInt32) throws(GPIOError) -> GPIOHandle
    func requestOutput(_ line: GPIOHandle, consumer: String, activeLow: Bool, value: Bool) throws(GPIOError)
    func requestEdges(_ line: GPIOHandle, consumer: String, activeLow: Bool) throws(GPIOError)
    func setValue(_ line: GPIOHandle, _ value: Bool) throws(GPIOError)
    /// The descriptor that polls readable when an edge is waiting.
    func eventDescriptor(_ line: GPIOHandle) throws(GPIOError) -> Int32
    /// Reads one waiting edge: whether it rose (after active-low), and its kernel timestamp.
    func readEvent(_ line: GPIOHandle) throws(GPIOError) -> (rising: Bool, nanoseconds: Int64)
    func release(_ line: GPIOHandle)
}

/// A configured line: a name or an offset on a chip, `!` in front for active-low.
public struct GPIOLineSpec: Sendable, Hashable, CustomStringConvertible {
    public enum Address: Sendable, Hashable {
        case name(String)
        case offset(UInt32)
    }

    public var address: Address
    public var activeLow: Bool

    /// Parses `GPIO17`, `17` or `!GPIO17`.
    public init?(_ text: String) {
        activeLow = text.hasPrefix("!")
        let body = activeLow ? String(text.dropFirst()) : text
        guard !body.isEmpty, !body.contains(where: \.isWhitespace) else { return nil }
        address = UInt32(body).map(Address.offset) ?? .name(body)
    }

    public var description: String {
        let body =
            switch address {
            case .name(let name): name
            case .offset(let offset): "\(offset)"
            }
        return (activeLow ? "!" : "") + body
    }

    /// Finds the line on an open chip.
    public func find(on chip: GPIOHandle, driver: any GPIODriver) throws(GPIOError) -> GPIOHandle {
        switch address {
        case .name(let name): try driver.findLine(chip, name: name)
        case .offset(let offset): try driver.line(chip, offset: offset)
        }
    }
}
