import Foundation
import YizhanSystem

/// Parses a config's text in a child process (`yizhand --parse-config`) before the daemon
/// parses the same text itself. The TOML parser underneath aborts on some malformed input
/// instead of reporting it; `TOMLTraps` catches the inputs known to do so, and this catches
/// the rest: an abort costs the child, and the reload is refused, not the station. The child
/// is handed the text the daemon read, not the file's name, so a file replaced meanwhile
/// cannot reach the daemon's parser unchecked.
enum ConfigProbe {
    /// The longest a parse may take before the child is killed and the reload refused.
    static let limit: Duration = .seconds(10)

    /// Why `source` (the config at `path`) must not be parsed in this process, or nil when the
    /// child parsed it (valid or not: the daemon's own parse then reports the problems).
    static func refusal(source: String, path: String) async -> String? {
        let input: FileDescriptor
        do {
            input = try Kernel.memoryFile("yizhan-config", holding: Array(source.utf8))
        } catch {
            return "could not hand the config to a child to parse first: \(error)"
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = ["--config", path, "--parse-config"]
        process.standardInput = FileHandle(fileDescriptor: input.rawValue, closeOnDealloc: true)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let ended = AsyncStream<Void> { continuation in
            process.terminationHandler = { _ in continuation.finish() }
        }
        do {
            try process.run()
        } catch {
            return "could not start a child to parse the config first: \(error)"
        }
        let watchdog = Task {
            try await Task.sleep(for: limit)
            Kernel.kill(process.processIdentifier)
        }
        for await _ in ended {}
        watchdog.cancel()
        switch process.terminationReason {
        case .exit:
            return nil
        case .uncaughtSignal:
            let signal = process.terminationStatus
            return signal == SIGKILL
                ? "the config parser did not finish within \(limit)"
                : "the config parser crashed on this file (signal \(signal)): look for a malformed line"
        @unknown default:
            return "the config parser ended unexpectedly"
        }
    }
}
