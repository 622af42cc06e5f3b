import Foundation
import YizhanCore
import YizhanSystem

/// A CSV file written as its rows arrive, 64 kB at a time, and named only when the last
/// is in (`PartFile`). Rows are appended on the district connection's event loop while
/// they arrive, and by nothing else meanwhile.
final class CSVFile: @unchecked Sendable {
    private let file: PartFile
    private var buffer = CSV.byteOrderMark
    /// The rows appended after the first, the header.
    private(set) var rows = -1
    private var failure: PartFile.Failure?

    init(path: String) throws(PartFile.Failure) {
        file = try PartFile(path: path)
    }

    /// Adds a row; false once the file cannot be written, which `finish` then says.
    func append(_ row: [String]) -> Bool {
        rows += 1
        buffer += CSV.lines([row])
        if buffer.utf8.count >= 1 << 16 { write() }
        return failure == nil
    }

    /// Writes what is left and gives the file its name.
    func finish() throws(PartFile.Failure) {
        write()
        if let failure {
            file.abandon()
            throw failure
        }
        try file.finish()
    }

    /// Removes what was written of an export that did not finish.
    func abandon() {
        file.abandon()
    }

    private func write() {
        guard failure == nil, !buffer.isEmpty else { return }
        do { try file.write(Array(buffer.utf8)) } catch { failure = error }
        buffer = ""
    }
}
