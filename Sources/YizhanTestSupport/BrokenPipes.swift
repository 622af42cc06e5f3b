import Glibc

/// The test process writes into sockets, FIFOs and pipes whose other end a daemon under
/// test may close at any moment (a stop, a crash test's kill, a connection it refuses). Such
/// a write must fail with `EPIPE` in the test that made it, not end the whole run with
/// `SIGPIPE`, which leaves no test's name and no summary. Set once, by whatever of the test
/// support a test uses first (`DaemonProcess`, `Command`, `DeviceTestbed`).
enum BrokenPipes {
    static let areErrors: Void = { _ = signal(SIGPIPE, SIG_IGN) }()
}
