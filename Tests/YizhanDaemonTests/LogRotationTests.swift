import Foundation
import Testing
import YizhanSystem
import YizhanTestSupport

@testable import YizhanDaemon

@Suite struct LogRotationTests {
    /// Writes 600 lines from four threads into a sink that rotates at 4 KiB, and returns
    /// the files left, oldest first, and each thread's lines in them.
    func load(keep: Int) throws -> (files: [String], lines: [Int: [Int]], directory: TemporaryDirectory) {
        let directory = try TemporaryDirectory()
        let sink = JSONFileLogHandler.Sink(directory: directory.path, maximumBytes: 4096, keepFiles: keep, time: { "" })
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for index in 0..<150 {
                sink.write(Array("{\"thread\":\(thread),\"line\":\(index),\"pad\":\"\(String(repeating: "x", count: 40))\"}\n".utf8))
            }
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .sorted {
                ($0 == "yizhand.log" ? 0 : Int($0.split(separator: ".").last!)!)
                    > ($1 == "yizhand.log" ? 0 : Int($1.split(separator: ".").last!)!)
            }
        var lines: [Int: [Int]] = [:]
        for name in files {
            let text = try String(contentsOfFile: directory.file(name), encoding: .utf8)
            #expect(text.utf8.count <= 4096)
            for line in text.split(separator: "\n") {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
                lines[object["thread"] as! Int, default: []].append(object["line"] as! Int)
            }
        }
        return (files, lines, directory)
    }

    @Test func noLineIsLostOrTornAcrossRotations() throws {
        let (files, lines, directory) = try load(keep: 20)
        defer { directory.remove() }
        #expect(files.count > 5, "the load rotated several times")
        for thread in 0..<4 {
            #expect(lines[thread] == Array(0..<150), "thread \(thread)")
        }
    }

    @Test func rotationKeepsAtMostTheConfiguredFilesAndDropsOnlyTheOldest() throws {
        let (files, lines, directory) = try load(keep: 3)
        defer { directory.remove() }
        #expect(files == ["yizhand.log.3", "yizhand.log.2", "yizhand.log.1", "yizhand.log"])
        // A thread's lines that are kept are its latest ones, unbroken: only whole older files go.
        for kept in lines.values {
            #expect(kept == Array(kept.first!..<150))
        }
        #expect(!lines.isEmpty)
    }

    /// A sink for the tests of lines that cannot be written: retried after `retryInterval`,
    /// its notices timed 09:00.
    static func sink(in directory: TemporaryDirectory, retryInterval: Duration) -> JSONFileLogHandler.Sink {
        JSONFileLogHandler.Sink(
            directory: directory.path, maximumBytes: 1 << 20, keepFiles: 2, retryInterval: retryInterval, time: { "09:00" })
    }

    static func line(_ message: String) -> [UInt8] { JSONFileLogHandler.line(["message": message]) }

    /// Each line by its message, a notice by the lines it counts (`lost 2`).
    static func summary(_ lines: [[String: String]]) -> [String?] {
        lines.map { $0["lost"].map { "lost \($0)" } ?? $0["message"] }
    }

    /// A log file the kernel stops taking writes to (made immutable here, as a filesystem
    /// remounted read-only refuses them through open descriptors too) drops lines and is not
    /// given up on: once it can be written again the next line is preceded by one saying
    /// how many were lost, while a file tried again only once an hour stays closed.
    @Test(
        .enabled(if: ImmutableAttribute.available, "needs chattr and a filesystem with the immutable attribute (as root)"),
        arguments: [Duration.zero, .seconds(3600)])
    func aFileThatCannotBeWrittenIsOpenedAgainAndSaysWhatWasLost(retryInterval: Duration) throws {
        let directory = try TemporaryDirectory()
        let sink = Self.sink(in: directory, retryInterval: retryInterval)
        defer {
            _ = try? ImmutableAttribute.set(false, on: [sink.path])
            directory.remove()
        }
        let line = Self.line
        sink.write(line("a"))
        #expect(try ImmutableAttribute.set(true, on: [sink.path]))
        sink.write(line("b"))
        sink.write(line("c"))
        #expect(try ImmutableAttribute.set(false, on: [sink.path]))
        sink.write(line("d"))

        let written = try String(contentsOfFile: sink.path, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String], "\($0)")
        }
        let lines = Self.summary(written)
        if retryInterval == .zero {
            #expect(lines == ["a", "lost 2", "d"])
            #expect(written.contains { $0["lost"] != nil && $0["level"] == "warning" && $0["time"] == "09:00" }, "\(written)")
        } else {
            #expect(lines == ["a"], "not opened again before its hour")
        }
    }

    /// A disk that fills in the middle of a line (a short write, then `ENOSPC`) leaves that
    /// line's start in the file; the notice after it starts on a line of its own.
    @Test func aLineCutShortByAFullDiskIsEndedBeforeTheNotice() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let sink = Self.sink(in: directory, retryInterval: .zero)
        let line = Self.line
        sink.write(line("a"))
        Kernel.$fault.withValue(KernelFault(.write, fails: .noSpace, after: 5)) {
            sink.write(line("b"))
            sink.write(line("c"))
        }
        sink.write(line("d"))

        let lines = try String(contentsOfFile: sink.path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 5 && lines[4].isEmpty, "\(lines)")
        #expect(lines.first == Substring(decoding: line("a").dropLast(), as: UTF8.self))
        #expect(lines.dropFirst().first == Substring(decoding: line("b").prefix(5), as: UTF8.self), "the torn line, ended")
        let rest = try lines.dropFirst(2).dropLast().map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String], "\($0)")
        }
        #expect(Self.summary(rest) == ["lost 2", "d"])
    }

    @Test func theJSONHandlerWritesStructuredFields() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let sink = JSONFileLogHandler.Sink(directory: directory.path, maximumBytes: 1 << 20, keepFiles: 2, time: { "" })
        var handler = JSONFileLogHandler(sink: sink, label: "yizhand", logLevel: .info, calendar: { _ in "2026-11-30T09:00:00+08:00" })
        handler.metadata["station"] = "s1"
        handler.log(
            event: .init(
                level: .info, message: "scan", metadata: ["seq": "7", "outcome": "accepted"], source: "t", file: #file, function: #function,
                line: #line))
        let line = try String(contentsOfFile: sink.path, encoding: .utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(
            object == [
                "time": "2026-11-30T09:00:00+08:00", "level": "info", "message": "scan", "label": "yizhand", "station": "s1", "seq": "7",
                "outcome": "accepted",
            ])
    }

    /// Whatever a message or a field holds, the line is one JSON object that a JSON reader
    /// takes back as written, keys in order, on one line.
    @Test func aLineIsValidJSONWhateverItsFieldsHold() throws {
        let fields = [
            "message": "引号\" 反斜杠\\ 斜杠/ 换行\n回车\r制表\t响铃\u{07}删除\u{7F}", "time": "2026-11-30T09:00:00+08:00",
            "payload": "YZ:C:\u{1B}[2J", "a_key": "", "zz": "😀",
        ]
        let line = JSONFileLogHandler.line(fields)
        #expect(line.last == 0x0A)
        #expect(line.dropLast().allSatisfy { $0 != 0x0A && $0 != 0x0D })
        let read = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: String])
        #expect(read == fields)
        let text = String(decoding: line, as: UTF8.self)
        let positions = fields.keys.sorted().map { text.range(of: "\"\($0)\":")!.lowerBound }
        #expect(positions == positions.sorted())
    }
}
