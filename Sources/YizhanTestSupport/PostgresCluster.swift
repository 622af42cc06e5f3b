import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway PostgreSQL cluster of Debian's server, for the district's tests: `initdb` in
/// a temporary directory as the `postgres` user, on a port of its own, stopped and removed
/// with `stop()`. The superuser `postgres` is trusted from loopback; every other role signs
/// in with its password, as a station does.
public final class PostgresCluster: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public let port: Int
    /// Server options beyond the port and address: TLS once `serveTLS` has run.
    private var options = ""
    /// The district office's URL: the superuser, who migrates and adds stations.
    public var adminURL: String { "postgres://postgres@127.0.0.1:\(port)/yizhan" }

    static let binaries = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.sorted().last
        .map { "/usr/lib/postgresql/\($0)/bin" }

    /// Whether this machine has the server (apt: postgresql).
    public static var available: Bool { binaries.map { FileManager.default.fileExists(atPath: $0 + "/initdb") } ?? false }

    public init(port: Int? = nil) throws {
        guard let binaries = Self.binaries else { throw Self.failure("PostgreSQL's server is not installed (apt: postgresql)") }
        directory = try TemporaryDirectory()
        self.port = try port ?? Self.freePort()
        let data = directory.file("data")
        try Command.run("/bin/chown", ["postgres:postgres", directory.path])
        try asPostgres(binaries + "/initdb", ["-D", data, "-U", "postgres", "--auth-local=trust", "--encoding=UTF8", "--locale=C.UTF-8"])
        let access = """
            local all all trust
            host all postgres 127.0.0.1/32 trust
            host all all 127.0.0.1/32 scram-sha-256

            """
        try access.write(toFile: data + "/pg_hba.conf", atomically: false, encoding: .utf8)
        try start()
        try asPostgres(binaries + "/createdb", ["-h", "127.0.0.1", "-p", "\(self.port)", "-U", "postgres", "yizhan"])
    }

    /// Starts the server (again, after `stop(keepData: true)`) and returns once it accepts connections.
    public func start() throws {
        // Each connection is logged with whether it came over TLS.
        let options = "-p \(port) -k \(directory.path) -c listen_addresses=127.0.0.1 -c fsync=off -c log_connections=on" + options
        // The server must not inherit this process's descriptors: it would hold open the
        // pipes `Command` reads to their end. Bash closes every one above 2 first.
        let started = try Command.run(
            "/bin/bash",
            [
                "-c",
                #"for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null; exec "$@" </dev/null >/dev/null 2>&1"#,
                "bash", "/usr/sbin/runuser", "-u", "postgres", "--", Self.binaries! + "/pg_ctl", "-D", directory.file("data"), "-o",
                options,
                "-l", directory.file("log"), "-w", "start",
            ])
        guard started.status == 0 else {
            throw Self.failure("pg_ctl start failed: \((try? log()) ?? "")")
        }
    }

    /// Serves TLS with `certificate` and `key` (PEM files) from the next start on; the
    /// server reads them as its own, mode 0600.
    public func serveTLS(certificate: String, key: String) throws {
        for (source, name) in [(certificate, "server.crt"), (key, "server.key")] {
            let target = directory.file("data/" + name)
            try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.copyItem(atPath: source, toPath: target)
            try Command.run("/bin/chown", ["postgres:postgres", target])
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target)
        }
        options = " -c ssl=on"
    }

    /// What the server has logged since the cluster was made.
    public func log() throws -> String {
        try String(contentsOfFile: directory.file("log"), encoding: .utf8)
    }

    /// Stops the server at once, as a power cut would; with `keepData` it can be started again.
    public func stop(keepData: Bool = false) {
        _ = try? asPostgres(Self.binaries! + "/pg_ctl", ["-D", directory.file("data"), "-m", "immediate", "-w", "stop"], optional: true)
        if !keepData { directory.remove() }
    }

    /// Runs SQL as the superuser and returns what psql prints (unaligned, tuples only).
    @discardableResult
    public func sql(_ statement: String, as user: String = "postgres", password: String? = nil) throws -> Command {
        var environment = ProcessInfo.processInfo.environment
        if let password { environment["PGPASSWORD"] = password }
        return try Command.run(
            "/usr/bin/psql",
            ["-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", "yizhan", "-v", "ON_ERROR_STOP=1", "-At", "-c", statement],
            environment: environment)
    }

    deinit {
        stop()
    }

    @discardableResult
    private func asPostgres(_ program: String, _ arguments: [String], optional: Bool = false) throws -> Command {
        let result = try Command.run("/usr/sbin/runuser", ["-u", "postgres", "--", program] + arguments)
        if result.status != 0 && !optional {
            throw Self.failure("\(program) \(arguments.joined(separator: " ")): \(result.errors)")
        }
        return result
    }

    public static func failure(_ message: String) -> CocoaError {
        CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: message])
    }

    /// A port nothing listens on now: bound, read and released.
    public static func freePort() throws -> Int {
        let socket = try listeningSocket(port: 0)
        defer { close(socket) }
        return boundPort(socket)
    }
}
