#if canImport(Glibc)
    import Glibc
#endif

/// Opening a serial device (a scanner or a printer) the way both want it.
enum SerialPort {
    /// Opens `path` non-blocking in raw mode (no echo, no line editing, no CR/LF
    /// translation, 8 bits) at `baud`, receiver on, modem control lines ignored; then raises
    /// DTR and RTS for devices that wait for them, which a pty cannot do and need not.
    static func open(_ path: String, baud: Int) throws(DeviceError) -> Int32 {
        let speed = try speed(baud)
        let descriptor = Glibc.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw .system("open \(path)", errno) }
        var settings = termios()
        guard tcgetattr(descriptor, &settings) == 0 else { throw failing(descriptor, "tcgetattr \(path)") }
        cfmakeraw(&settings)
        settings.c_cflag |= tcflag_t(CLOCAL | CREAD)
        cfsetispeed(&settings, speed)
        cfsetospeed(&settings, speed)
        guard tcsetattr(descriptor, TCSANOW, &settings) == 0 else { throw failing(descriptor, "tcsetattr \(path)") }
        tcflush(descriptor, TCIFLUSH)
        var lines = Int32(TIOCM_DTR | TIOCM_RTS)
        _ = ioctl(descriptor, UInt(TIOCMBIS), &lines)
        return descriptor
    }

    static func speed(_ baud: Int) throws(DeviceError) -> speed_t {
        let speeds: [Int: Int32] = [
            1200: B1200, 2400: B2400, 4800: B4800, 9600: B9600, 19200: B19200, 38400: B38400, 57600: B57600, 115_200: B115200,
            230_400: B230400, 460_800: B460800, 921_600: B921600,
        ]
        guard let speed = speeds[baud] else { throw .system("baud \(baud)", EINVAL) }
        return speed_t(speed)
    }

    private static func failing(_ descriptor: Int32, _ call: String) -> DeviceError {
        let error = DeviceError.system(call, errno)
        close(descriptor)
        return error
    }
}
