import YizhanSystem

/// Opening a serial device (a scanner or a printer) the way both want it.
enum SerialPort {
    /// Opens `path` non-blocking in raw mode at `baud` (`Kernel.openSerial`).
    static func open(_ path: String, baud: Int) throws(DeviceError) -> FileDescriptor {
        do {
            return try Kernel.openSerial(path, baud: baud)
        } catch {
            throw .system("open \(path) at \(baud) baud", error)
        }
    }
}
