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

/// Opens a device node (or a FIFO) without blocking and closed on exec, as every scanner
/// reads its device; a failure names the path.
func openDevice(_ path: String, _ access: FileDescriptor.AccessMode) throws(DeviceError) -> FileDescriptor {
    do { return try Kernel.open(path, access, options: [.nonBlocking, .closeOnExec]) } catch { throw .system("open \(path)", error) }
}
