import YizhanSystem

/// A device error with the failing call and its errno, or a device that went away.
public enum DeviceError: Error, CustomStringConvertible {
    case system(String, Errno)
    case gone(String)

    public var description: String {
        switch self {
        case .system(let call, let code): "\(call): \(code)"
        case .gone(let path): "\(path) went away"
        }
    }
}
