import Foundation
import Logging
import Synchronization
import YizhanSystem

/// Writes log events as JSON lines to `yizhand.log` in the log directory, rotating to
/// `yizhand.log.1` … `.N` when the file reaches its size limit.
struct JSONFileLogHandler: LogHandler {
    final class Sink: Sendable {
        let directory: String
        let maximumBytes: Int
        let keepFiles: Int
        /// The log file, nil while it cannot be opened (lines are then dropped).
        private let state: Mutex<(descriptor: FileDescriptor?, size: Int)>

        var path: String { directory + "/yizhand.log" }

        init(directory: String, maximumBytes: Int, keepFiles: Int) throws {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            self.directory = directory
            self.maximumBytes = maximumBytes
            self.keepFiles = keepFiles
            let path = directory + "/yizhand.log"
            guard let descriptor = Self.open(path) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
            state = Mutex((descriptor, Kernel.size(of: descriptor)))
        }

        private static func open(_ path: String) -> FileDescriptor? {
            try? Kernel.open(path, .writeOnly, options: [.append, .create, .closeOnExec], permissions: [.ownerReadWrite, .groupRead])
        }

        func write(_ line: [UInt8]) {
            state.withLock { state in
                if state.size + line.count > maximumBytes, state.size > 0 {
                    try? state.descriptor?.close()
                    rotate()
                    state.descriptor = Self.open(path)
                    state.size = 0
                }
                guard let descriptor = state.descriptor else { return }
                try? Kernel.writeAll(descriptor, line)
                state.size += line.count
            }
        }

        private func rotate() {
            try? Kernel.remove("\(path).\(keepFiles)")
            for index in stride(from: keepFiles - 1, through: 1, by: -1) {
                try? Kernel.rename("\(path).\(index)", to: "\(path).\(index + 1)")
            }
            try? Kernel.rename(path, to: "\(path).1")
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
