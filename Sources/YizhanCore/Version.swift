import CVersion

/// What this build is, as `--version`, `GET /v1/status` and the package show it.
public enum Build {
    /// VERSION at the top of the tree when it was built, or make's `VERSION=` override.
    public static let version = String(cString: yizhan_version())
}
