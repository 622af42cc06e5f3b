import CLinux
import Glibc
@_exported import SystemPackage

/// The calls to the kernel that swift-system's `FileDescriptor` does not make (terminals,
/// `poll`, `ioctl`, inotify, sockets, FIFOs), in one place: each retried when a signal
/// interrupts it and failing with an `Errno`, never with a bare number.
///
/// The station's code imports this module, not Glibc, and reads, writes, opens and syncs
/// through it (not through `FileDescriptor`'s own calls), so a test can inject a fault in
/// any of them (`KernelFault`). `FileDescriptor` is still the descriptor, and closes it.
public enum Kernel {
    /// Runs `call` until no signal interrupts it; its result, or the `errno` it failed with.
    @discardableResult
    public static func retrying<Result: FixedWidthInteger>(_ call: () -> Result) throws(Errno) -> Result {
        while true {
            let result = call()
            if result >= 0 { return result }
            let code = lastError
            if code != .interrupted { throw code }
        }
    }

    /// The `errno` the last failed call left (ours, or a C library's such as libgpiod).
    public static var lastError: Errno { Errno(rawValue: Glibc.errno) }

    // MARK: Waiting

    /// What `poll` waits for on a descriptor.
    public struct Events: OptionSet, Sendable {
        public let rawValue: Int16
        public init(rawValue: Int16) { self.rawValue = rawValue }
        public static let readable = Events(rawValue: Int16(POLLIN))
        public static let writable = Events(rawValue: Int16(POLLOUT))
    }

    /// Waits until one of `descriptors` has its events (or is hung up), or `timeout` passes
    /// (nil: no limit); returns, for each, the events it has. A signal that cuts the wait
    /// short does not start the timeout again: the wait goes on for what is left of it.
    public static func poll(_ descriptors: [(FileDescriptor, Events)], timeout: Duration?) -> [Events] {
        poll(descriptors, until: timeout.map { ContinuousClock.now + $0 })
    }

    /// `poll(_:timeout:)` until `deadline` (nil: no limit).
    private static func poll(_ descriptors: [(FileDescriptor, Events)], until deadline: ContinuousClock.Instant?) -> [Events] {
        var requests = descriptors.map { pollfd(fd: $0.0.rawValue, events: $0.1.rawValue, revents: 0) }
        let ready =
            (try? retrying {
                Glibc.poll(&requests, nfds_t(requests.count), deadline.map(millisecondsLeft) ?? -1)
            }) ?? 0
        return requests.map { ready > 0 ? Events(rawValue: $0.revents) : [] }
    }

    /// Whole milliseconds until `deadline`, rounded up so that less than one still waits;
    /// 0 once it has passed.
    private static func millisecondsLeft(_ deadline: ContinuousClock.Instant) -> Int32 {
        let left = ContinuousClock.now.duration(to: deadline)
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        return Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }

    /// Waits until `descriptor` is readable (or hung up); false when `deadline` comes first.
    public static func waitUntilReadable(_ descriptor: FileDescriptor, before deadline: ContinuousClock.Instant) -> Bool {
        deadline > .now && !poll([(descriptor, .readable)], until: deadline)[0].isEmpty
    }

    /// A pipe whose ends do not block and are closed on exec.
    public static func nonBlockingPipe() throws(Errno) -> (read: FileDescriptor, write: FileDescriptor) {
        var ends: [Int32] = [-1, -1]
        try retrying { pipe(&ends) }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)
        }
        return (FileDescriptor(rawValue: ends[0]), FileDescriptor(rawValue: ends[1]))
    }

    /// A file in memory holding `bytes`, to be read from its start: given to a child as its
    /// standard input, it cannot leave the giver blocked or end it by `SIGPIPE`, as a pipe
    /// to a child that stops reading could.
    public static func memoryFile(_ name: String, holding bytes: [UInt8]) throws(Errno) -> FileDescriptor {
        let file = FileDescriptor(rawValue: try retrying { yizhan_memory_file(name) })
        do throws(Errno) {
            try writeAll(file, bytes)
            _ = try retrying { lseek(file.rawValue, 0, SEEK_SET) }
        } catch {
            try? file.close()
            throw error
        }
        return file
    }

    // MARK: Reading and writing

    /// `open(2)`.
    public static func open(
        _ path: String, _ access: FileDescriptor.AccessMode, options: FileDescriptor.OpenOptions = [],
        permissions: FilePermissions = []
    ) throws(Errno) -> FileDescriptor {
        try admit(.open)
        return FileDescriptor(rawValue: try retrying { Glibc.open(path, access.rawValue | options.rawValue, permissions.rawValue) })
    }

    /// `read(2)`: how many bytes were read into `buffer`, 0 at end of file.
    public static func read(_ descriptor: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try transfer(.read, buffer.count) { Glibc.read(descriptor.rawValue, buffer.baseAddress, $0) }
    }

    /// `read(2)` into `buffer` from its start.
    public static func read(_ descriptor: FileDescriptor, into buffer: inout [UInt8]) throws(Errno) -> Int {
        try buffer.withUnsafeMutableBytes { bytes in Result { () throws(Errno) in try read(descriptor, into: bytes) } }.get()
    }

    /// `write(2)`: how many of the bytes went, which may be fewer than all.
    public static func write(_ descriptor: FileDescriptor, _ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        try transfer(.write, bytes.count) { Glibc.write(descriptor.rawValue, bytes.baseAddress, $0) }
    }

    /// `write(2)` of `bytes`.
    public static func write(_ descriptor: FileDescriptor, _ bytes: ArraySlice<UInt8>) throws(Errno) -> Int {
        try bytes.withUnsafeBytes { buffer in Result { () throws(Errno) in try write(descriptor, buffer) } }.get()
    }

    /// Writes every byte, as many `write(2)`s as it takes.
    public static func writeAll(_ descriptor: FileDescriptor, _ bytes: [UInt8]) throws(Errno) {
        var offset = 0
        while offset < bytes.count { offset += try write(descriptor, bytes[offset...]) }
    }

    /// Flushes a file's data to the disk.
    public static func sync(_ descriptor: FileDescriptor) throws(Errno) {
        try admit(.sync)
        try retrying { fsync(descriptor.rawValue) }
    }

    // MARK: Devices

    /// Options `FileDescriptor.OpenOptions` lacks: a terminal that must not become ours.
    public static let noControllingTerminal = FileDescriptor.OpenOptions(rawValue: O_NOCTTY)

    /// Opens a serial line non-blocking in raw mode (no echo, no line editing, no CR/LF
    /// translation, 8 bits) at `baud`, receiver on, modem control lines ignored; then raises
    /// DTR and RTS for devices that wait for them, which a pty cannot do and need not.
    public static func openSerial(_ path: String, baud: Int) throws(Errno) -> FileDescriptor {
        let speeds: [Int: Int32] = [
            1200: B1200, 2400: B2400, 4800: B4800, 9600: B9600, 19200: B19200, 38400: B38400, 57600: B57600, 115_200: B115200,
            230_400: B230400, 460_800: B460800, 921_600: B921600,
        ]
        guard let speed = speeds[baud].map(speed_t.init) else { throw .invalidArgument }
        let descriptor = try open(path, .readWrite, options: [.nonBlocking, .closeOnExec, noControllingTerminal])
        do {
            var settings = termios()
            try retrying { tcgetattr(descriptor.rawValue, &settings) }
            cfmakeraw(&settings)
            settings.c_cflag |= tcflag_t(CLOCAL | CREAD)
            cfsetispeed(&settings, speed)
            cfsetospeed(&settings, speed)
            try retrying { tcsetattr(descriptor.rawValue, TCSANOW, &settings) }
        } catch {
            try? descriptor.close()
            throw error
        }
        tcflush(descriptor.rawValue, TCIFLUSH)
        var lines = Int32(TIOCM_DTR | TIOCM_RTS)
        _ = ioctl(descriptor.rawValue, UInt(TIOCMBIS), &lines)
        return descriptor
    }

    /// `EVIOCGRAB`: takes an input device for this process alone, so its keys reach no console.
    public static func grabInput(_ descriptor: FileDescriptor) throws(Errno) {
        var one: Int32 = 1
        try retrying { ioctl(descriptor.rawValue, 0x4004_4590, &one) }
    }

    /// Makes a FIFO at `path` unless something is there; throws `.notSupported` when what
    /// is there is not a FIFO.
    public static func makeFIFO(_ path: String, permissions: FilePermissions) throws(Errno) {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFIFO else { throw .notSupported }
            return
        }
        do { try retrying { mkfifo(path, permissions.rawValue) } } catch  where error == .fileExists {}
    }

    // MARK: Files

    public enum FileType: Sendable {
        case regular, directory, socket, fifo, other
    }

    /// What is at `path` (a link itself, unless `followingLinks`), or nil when nothing is.
    public static func fileType(_ path: String, followingLinks: Bool = true) -> FileType? {
        var info = stat()
        guard (followingLinks ? stat(path, &info) : lstat(path, &info)) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        case S_IFSOCK: return .socket
        case S_IFIFO: return .fifo
        default: return .other
        }
    }

    /// The size of an open file.
    public static func size(of descriptor: FileDescriptor) -> Int {
        var info = stat()
        return fstat(descriptor.rawValue, &info) == 0 ? Int(info.st_size) : 0
    }

    /// The names in the folder at `path` but `.` and `..`; none when it cannot be read.
    public static func names(in path: String) -> [String] {
        guard let folder = opendir(path) else { return [] }
        defer { closedir(folder) }
        var names: [String] = []
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes the file at `path`; nothing there is not an error.
    public static func remove(_ path: String) throws(Errno) {
        do { try retrying { unlink(path) } } catch  where error == .noSuchFileOrDirectory {}
    }

    /// Renames `path`, replacing what `newPath` names.
    public static func rename(_ path: String, to newPath: String) throws(Errno) {
        try retrying { Glibc.rename(path, newPath) }
    }

    public static func setPermissions(_ path: String, _ permissions: FilePermissions) throws(Errno) {
        try retrying { chmod(path, permissions.rawValue) }
    }

    /// Gives `path` to `group` when the group exists and the file is not in it yet.
    public static func setGroup(_ path: String, _ group: String) throws(Errno) {
        var info = stat()
        guard let entry = getgrnam(group), stat(path, &info) == 0, info.st_gid != entry.pointee.gr_gid else { return }
        try retrying { chown(path, getuid(), entry.pointee.gr_gid) }
    }

    /// Takes an exclusive `flock(2)` at once, or fails with `.wouldBlock` when another holds it.
    public static func lockExclusively(_ descriptor: FileDescriptor) throws(Errno) {
        try retrying { flock(descriptor.rawValue, LOCK_EX | LOCK_NB) }
    }

    // MARK: The process

    public static var processID: Int32 { getpid() }

    /// Ends a process at once (`SIGKILL`).
    public static func kill(_ process: Int32) {
        _ = Glibc.kill(process, SIGKILL)
    }

    /// A write past the file size limit fails with `EFBIG` instead of ending the process.
    public static func ignoreFileSizeSignal() {
        signal(SIGXFSZ, SIG_IGN)
    }

    /// `CLOCK_MONOTONIC` in nanoseconds: it does not jump when the wall clock is set.
    public static var monotonicNanoseconds: UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// A descriptor that becomes readable when the wall clock is set rather than left to run
    /// (a time service's step, `date -s`); reading it then fails with `canceled`, which
    /// clears it until the next step.
    public static func clockStepWatch() throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try retrying { yizhan_clock_step_watch() })
    }

    /// The current second since 1970 (`time(2)`).
    public static var currentSecond: Int { time(nil) }

    /// A second as an HTTP date, `Sun, 29 Nov 2026 11:56:58 GMT` (RFC 9110, IMF-fixdate).
    public static func httpDate(at second: Int) -> String {
        var second = second
        var parts = tm()
        gmtime_r(&second, &parts)
        var buffer = [CChar](repeating: 0, count: 40)
        let length = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Watching directories

    /// An inotify instance, non-blocking and closed on exec.
    public static func inotify() throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try retrying { inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK)) })
    }

    /// A socket that becomes readable each time a device is added, removed or changed (the
    /// kernel's and udev's announcements); what it reads says which, for whoever asks.
    public static func deviceEvents() throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try retrying { yizhan_device_events() })
    }

    /// Watches `path` for entries created, moved in or changed; returns the watch.
    public static func watchForNewEntries(_ inotify: FileDescriptor, _ path: String) throws(Errno) -> Int32 {
        try retrying { inotify_add_watch(inotify.rawValue, path, UInt32(IN_CREATE | IN_MOVED_TO | IN_ATTRIB)) }
    }

    // MARK: Network

    /// A TCP connection to `host`:`port`, reads and writes each limited to `timeout`.
    public static func connectTCP(host: String, port: Int, timeout: Duration) throws(ConnectError) -> FileDescriptor {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else { throw .unresolved }
        defer { freeaddrinfo(results) }
        let address = first.pointee
        let socket: Int32
        do {
            socket = try retrying {
                Glibc.socket(address.ai_family, address.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), address.ai_protocol)
            }
        } catch {
            throw .failed("socket", error)
        }
        limit(socket, to: timeout)
        // A connect a signal interrupts goes on in the background: it is not started again.
        guard Glibc.connect(socket, address.ai_addr, address.ai_addrlen) == 0 else {
            let code = lastError
            close(socket)
            throw .failed("connect", code)
        }
        return FileDescriptor(rawValue: socket)
    }

    /// A connection to the Unix socket at `path`, reads and writes each limited to `timeout`.
    public static func connectUnix(_ path: String, timeout: Duration) throws(Errno) -> FileDescriptor {
        let socket = try retrying { Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        limit(socket, to: timeout)
        guard let result = withUnixAddress(path, { Glibc.connect(socket, $0, $1) }) else {
            close(socket)
            throw .fileNameTooLong
        }
        guard result == 0 else {
            let code = lastError
            close(socket)
            throw code
        }
        return FileDescriptor(rawValue: socket)
    }

    /// A Unix socket bound to `path` and listening, with room for `backlog` connections
    /// not yet accepted; closed on exec.
    public static func listenUnix(_ path: String, backlog: Int32) throws(Errno) -> FileDescriptor {
        let socket = try retrying { Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        guard let bound = withUnixAddress(path, { Glibc.bind(socket, $0, $1) }) else {
            close(socket)
            throw .fileNameTooLong
        }
        guard bound == 0, listen(socket, backlog) == 0 else {
            let code = lastError
            close(socket)
            throw code
        }
        return FileDescriptor(rawValue: socket)
    }

    /// Whether a process accepts connections on the Unix socket at `path`.
    public static func isServed(_ path: String) -> Bool {
        guard let socket = try? connectUnix(path, timeout: .seconds(1)) else { return false }
        try? socket.close()
        return true
    }

    /// Sends one datagram to the Unix socket at `path` (a leading `@` names the abstract
    /// namespace) without waiting: when the receiver's queue is full, it is dropped.
    public static func sendDatagram(_ bytes: [UInt8], toUnixSocket path: String) {
        let socket = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { return }
        defer { close(socket) }
        _ = withUnixAddress(path) { address, length in
            bytes.withUnsafeBytes { sendto(socket, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL), address, length) }
        }
    }

    /// A Unix socket address (`sockaddr_un`) for `path`; a leading `@` names the abstract
    /// namespace. Calls `body` with the address and its length, or returns nil when the path
    /// does not fit in `sun_path`.
    private static func withUnixAddress<Result>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }

    /// Says no more is coming on `socket`; its replies can still be read.
    public static func shutdownWriting(_ socket: FileDescriptor) {
        shutdown(socket.rawValue, Int32(SHUT_WR))
    }

    /// Limits each read and write on `socket` to `timeout`.
    private static func limit(_ socket: Int32, to timeout: Duration) {
        var wait = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
    }

    public enum ConnectError: Error {
        case unresolved
        case failed(String, Errno)
    }

    /// The socket option that reads a Unix socket peer's process, user and group
    /// (`SOL_SOCKET`, `SO_PEERCRED`), for a caller that makes the call itself (NIO).
    public static let peerCredentialsOption = (level: SOL_SOCKET, name: SO_PEERCRED)

    /// The name of user `uid` in the password database; nil when it has none.
    public static func userName(_ uid: UInt32) -> String? {
        var entry = passwd()
        var found: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 1024)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &found) == 0, found != nil, let name = entry.pw_name else { return nil }
        return String(cString: name)
    }

    /// Sends on a socket; a peer that closed is `EPIPE`, not a `SIGPIPE` that ends the process.
    public static func send(_ socket: FileDescriptor, _ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        try transfer(.write, bytes.count) { Glibc.send(socket.rawValue, bytes.baseAddress, $0, Int32(MSG_NOSIGNAL)) }
    }
}
