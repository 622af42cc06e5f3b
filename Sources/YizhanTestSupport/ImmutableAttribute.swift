import Foundation

/// The immutable attribute (`chattr +i`): the kernel then refuses every write to the file,
/// even through descriptors already open, as it does on a filesystem remounted read-only
/// after errors. How the tests take the disk away from a running daemon.
public enum ImmutableAttribute {
    /// Whether this filesystem and user can set it (ext4 and the like, as root).
    public static let available: Bool = {
        guard let directory = try? TemporaryDirectory() else { return false }
        defer { directory.remove() }
        let probe = directory.file("probe")
        guard FileManager.default.createFile(atPath: probe, contents: nil), (try? set(true, on: [probe])) == true else { return false }
        _ = try? set(false, on: [probe])
        return true
    }()

    /// Sets or clears the attribute on `directory` and each file in it, as they are now;
    /// whether `chattr` did.
    @discardableResult
    public static func set(_ immutable: Bool, onDirectory directory: String) throws -> Bool {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).map { "\(directory)/\($0)" }
        return try set(immutable, on: [directory] + files)
    }

    /// Sets or clears the attribute on each of `paths`; whether `chattr` did.
    @discardableResult
    public static func set(_ immutable: Bool, on paths: [String]) throws -> Bool {
        try Command.run("/usr/bin/chattr", [immutable ? "+i" : "-i"] + paths).status == 0
    }
}
