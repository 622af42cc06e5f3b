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
