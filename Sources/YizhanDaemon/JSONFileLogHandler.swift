import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Writes log events as JSON lines to `yizhand.log` in the log directory, rotating to
/// `yizhand.log.1` … `.N` when the file reaches its size limit.
struct JSONFileLogHandler: LogHandler {
    final class Sink: Sendable {
        let directory: String
        let maximumBytes: Int
        let keepFiles: Int
        private let state: Mutex<(descriptor: Int32, size: Int)>

        var path: String { directory + "/yizhand.log" }

        init(directory: String, maximumBytes: Int, keepFiles: Int) throws {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            self.directory = directory
            self.maximumBytes = maximumBytes
            self.keepFiles = keepFiles
            let path = directory + "/yizhand.log"
            let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
            var info = stat()
            fstat(descriptor, &info)
            state = Mutex((descriptor, Int(info.st_size)))
        }

        func write(_ line: [UInt8]) {
            state.withLock { state in
                if state.size + line.count > maximumBytes, state.size > 0 {
                    close(state.descriptor)
                    rotate()
                    state.descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
                    state.size = 0
                }
                guard state.descriptor >= 0 else { return }
                _ = line.withUnsafeBytes { Glibc.write(state.descriptor, $0.baseAddress, $0.count) }
                state.size += line.count
            }
        }

        private func rotate() {
            unlink("\(path).\(keepFiles)")
            for index in stride(from: keepFiles - 1, through: 1, by: -1) {
                rename("\(path).\(index)", "\(path).\(index + 1)")
            }
            rename(path, "\(path).1")
        }
    }

    let sink: Sink
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let calendar: @Sendable (Date) -> String

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: String] = [
            "time": calendar(Date()), "level": event.level.rawValue, "message": "\(event.message)", "label": label,
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) where object[key] == nil {
            object[key] = "\(value)"
        }
        guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return
        }
        line.append(0x0A)
        sink.write(Array(line))
    }
}
