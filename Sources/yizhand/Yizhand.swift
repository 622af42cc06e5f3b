import ArgumentParser
import Foundation
import YizhanConfig
import YizhanCore
import YizhanDaemon
@_spi(ExperimentalCustomExecutors) import YizhanExecutors

/// Tasks run on threads that sleep until there is work, not on libdispatch's pool, which
/// would wake an idle station every second.
typealias DefaultExecutorFactory = SleepingExecutors

/// The station daemon: scans in, points and slips out.
@main
struct Yizhand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yizhand",
        abstract: "The union-station kiosk daemon: turns scans into patrols, points and printed slips.",
        version: Build.version)

    /// The arguments, also when a preloaded library has hidden them from the Swift runtime
    /// (libfaketime does, and a technician may run the daemon under it to test a clock
    /// change): then they are read back from `/proc/self/cmdline`.
    static func main() async {
        var arguments = CommandLine.arguments
        if arguments.isEmpty, let data = FileManager.default.contents(atPath: "/proc/self/cmdline") {
            arguments = data.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
        }
        await main(Array(arguments.dropFirst()))
    }

    @Option(name: .long, help: "The config file.")
    var config = "/etc/yizhan/yizhand.toml"

    @Flag(name: .customLong("check-config"), help: "Validate the config and exit 0 if it is valid, 1 if not.")
    var checkConfig = false

    @Flag(
        name: .customLong("parse-config"),
        help: "Only parse the config text on standard input (named by --config), touching no device; exit 0 or 1: a reload's first step.")
    var parseConfig = false

    func run() async throws {
        let loaded: DaemonConfig
        do {
            if parseConfig {
                _ = try ConfigLoader.parse(String(decoding: FileHandle.standardInput.readToEnd() ?? Data(), as: UTF8.self), file: config)
                return
            }
            loaded = try ConfigLoader.load(path: config)
        } catch {
            FileHandle.standardError.write(Data("yizhand: invalid config\n\(error)\n".utf8))
            throw ExitCode(checkConfig || parseConfig ? 1 : Daemon.invalidConfigExitStatus)
        }
        if checkConfig {
            print("\(config): ok")
            // Lines the config names that this machine's chip lacks, or no chip at all, are
            // devices not found, like an unplugged scanner: the daemon serves without
            // lights and says so, so the check warns and passes.
            for problem in Daemon.probeGPIO(loaded) {
                FileHandle.standardError.write(Data("yizhand: warning: \(problem): the lights will be reported missing\n".utf8))
            }
            return
        }
        Daemon.bootstrapLogging(loaded)
        do {
            try await Daemon.run(config: loaded, configPath: config)
        } catch let error as YizhanError where error.code == .storeUnavailable {
            FileHandle.standardError.write(Data("yizhand: \(error.message)\n".utf8))
            throw ExitCode(Daemon.storeUnusableExitStatus)
        }
    }
}
