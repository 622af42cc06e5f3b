import Foundation
import Logging
import Synchronization
import YizhanSystem

/// Writes log events as JSON lines to `yizhand.log` in the log directory, rotating to
/// `yizhand.log.1` … `.N` when the file reaches its size limit.
struct JSONFileLogHandler: LogHandler {
    final class Sink: Sendable {
        private struct State {
            /// The log file, nil while it cannot be written (lines are then counted and dropped).
            var descriptor: FileDescriptor?
            var size: Int
            /// Lines dropped since the file was last written.
            var lost = 0
            /// Whether the write that failed left part of its line in the file.
            var torn = false
            /// When a file that could not be written is next opened again.
            var nextTry = ContinuousClock.now
        }

        let directory: String
        let maximumBytes: Int
        let keepFiles: Int
        /// How often a file that could not be written (a directory turned read-only, a full
        /// disk) is opened again; each line in between is dropped without a system call.
        let retryInterval: Duration
        /// The time for the line that says lines were lost.
        private let time: @Sendable () -> String
        private let state: Mutex<State>

        var path: String { directory + "/yizhand.log" }

        /// Whether the file could be opened at start. A log file that cannot be written does
        /// not stop the daemon, at start as later: the station's scans matter more than its
        /// file, and the journal has every line.
        let openedAtStart: Bool

        init(
            directory: String, maximumBytes: Int, keepFiles: Int, retryInterval: Duration = .seconds(1),
            time: @escaping @Sendable () -> String
        ) {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            self.directory = directory
            self.maximumBytes = maximumBytes
            self.keepFiles = keepFiles
            self.retryInterval = retryInterval
            self.time = time
            let descriptor = Self.open(directory + "/yizhand.log")
            openedAtStart = descriptor != nil
            state = Mutex(
                State(descriptor: descriptor, size: descriptor.map(Kernel.size(of:)) ?? 0, nextTry: .now + retryInterval))
        }

        private static func open(_ path: String) -> FileDescriptor? {
            try? Kernel.open(path, .writeOnly, options: [.append, .create, .closeOnExec], permissions: [.ownerReadWrite, .groupRead])
        }

        /// Appends `line`, rotating first if it would pass the size limit. A line that cannot
        /// be written is dropped (the journal has it too) and the file is closed; it is opened
        /// again at most once a `retryInterval`, and the first line then says how many were lost,
        /// so that a file that failed once is not given up on until a restart.
        func write(_ line: [UInt8]) {
            state.withLock { state in
                if state.size + line.count > maximumBytes, state.size > 0 {
                    try? state.descriptor?.close()
                    rotate()
                    reopen(&state)
                } else if state.descriptor == nil, ContinuousClock.now >= state.nextTry {
                    reopen(&state)
                }
                if state.lost > 0, state.descriptor != nil {
                    let notice = JSONFileLogHandler.line([
                        "time": time(), "level": "warning", "label": "yizhand", "lost": "\(state.lost)",
                        "message": "log lines could not be written to this file and were dropped (the journal has them)",
                    ])
                    // A torn line is ended first, so that the notice is a line of its own.
                    if append((state.torn ? [UInt8(ascii: "\n")] : []) + notice, to: &state) { state.lost = 0 }
                }
                if !append(line, to: &state) { state.lost += 1 }
            }
        }

        private func reopen(_ state: inout State) {
            state.descriptor = Self.open(path)
            state.size = state.descriptor.map(Kernel.size(of:)) ?? 0
            if state.descriptor == nil { state.nextTry = .now + retryInterval }
        }

        /// Writes `bytes` to the open file; on failure closes it and sets when to try again.
        private func append(_ bytes: [UInt8], to state: inout State) -> Bool {
            guard let descriptor = state.descriptor else { return false }
            var written = 0
            do {
                while written < bytes.count { written += try Kernel.write(descriptor, bytes[written...]) }
                state.size += written
                state.torn = false
                return true
            } catch {
                try? descriptor.close()
                state.descriptor = nil
                state.torn = state.torn || written > 0
                state.nextTry = .now + retryInterval
                return false
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
        var fields: [String: String] = [
            "time": calendar(Date()), "level": event.level.rawValue, "message": "\(event.message)", "label": label,
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) where fields[key] == nil {
            fields[key] = "\(value)"
        }
        sink.write(Self.line(fields))
    }

    /// One JSON object of string fields, keys sorted, and a newline. Written by hand:
    /// `JSONSerialization` with sorted keys compared them through ICU's collation and took
    /// a sixth of the daemon's CPU at 100 scans a second, each scan logging one line.
    static func line(_ fields: [String: String]) -> [UInt8] {
        var line: [UInt8] = [UInt8(ascii: "{")]
        line.reserveCapacity(256)
        for (index, key) in fields.keys.sorted().enumerated() {
            if index > 0 { line.append(UInt8(ascii: ",")) }
            quote(key, into: &line)
            line.append(UInt8(ascii: ":"))
            quote(fields[key]!, into: &line)
        }
        line.append(contentsOf: "}\n".utf8)
        return line
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `text` as a JSON string (RFC 8259): quotes, backslashes and control characters
    /// escaped, everything else as its UTF-8.
    private static func quote(_ text: String, into line: inout [UInt8]) {
        line.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): line += [UInt8(ascii: "\\"), byte]
            case UInt8(ascii: "\n"): line += Array(#"\n"#.utf8)
            case UInt8(ascii: "\r"): line += Array(#"\r"#.utf8)
            case UInt8(ascii: "\t"): line += Array(#"\t"#.utf8)
            case ..<0x20: line += Array(#"\u00"#.utf8) + [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
            default: line.append(byte)
            }
        }
        line.append(UInt8(ascii: "\""))
    }
}
