import Foundation

/// A district CA, a server certificate it signed for `localhost` and 127.0.0.1, and a
/// second CA that signed nothing here: made by openssl in `directory`.
public struct TestCertificates: Sendable {
    public let ca: String
    public let otherCA: String
    public let serverCertificate: String
    public let serverKey: String

    public init(in directory: TemporaryDirectory) throws {
        ca = directory.file("ca.pem")
        otherCA = directory.file("other-ca.pem")
        serverCertificate = directory.file("server.crt")
        serverKey = directory.file("server.key")
        let names = directory.file("names.ext")
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: names, atomically: false, encoding: .utf8)
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        let steps: [[String]] = [
            ["req", "-x509"] + key + [
                "-keyout", directory.file("ca.key"), "-out", ca, "-days", "2", "-subj", "/CN=Yizhan test district CA",
            ],
            ["req", "-x509"] + key + [
                "-keyout", directory.file("other.key"), "-out", otherCA, "-days", "2", "-subj", "/CN=Someone else's CA",
            ],
            ["req"] + key + ["-keyout", serverKey, "-out", directory.file("server.csr"), "-subj", "/CN=localhost"],
            [
                "x509", "-req", "-in", directory.file("server.csr"), "-CA", ca, "-CAkey", directory.file("ca.key"), "-CAcreateserial",
                "-out", serverCertificate, "-days", "2", "-extfile", names,
            ],
        ]
        for step in steps {
            let made = try Command.run("/usr/bin/openssl", step)
            guard made.status == 0 else { throw PostgresCluster.failure("openssl \(step[0]): \(made.errors)") }
        }
    }
}
