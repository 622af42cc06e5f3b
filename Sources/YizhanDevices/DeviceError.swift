#if canImport(Glibc)
    import Glibc
#endif

/// A device error with the failing call and errno, or a device that went away.
public enum DeviceError: Error, CustomStringConvertible {
    case system(String, Int32)
    case gone(String)

    public var description: String {
        switch self {
        case .system(let call, let code): "\(call): \(String(cString: strerror(code)))"
        case .gone(let path): "\(path) went away"
        }
    }
}
