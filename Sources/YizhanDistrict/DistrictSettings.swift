import Foundation
import NIOSSL
import PostgresNIO

/// Where the district's PostgreSQL is and how to reach it: a libpq-style URL
/// (`postgres://[user[:password]@]host[:port]/database`), the role's password, and TLS.
public struct DistrictSettings: Sendable, Hashable {
    /// `disable`, `require` (encrypted, any certificate) or `verify-full` (the server's
    /// certificate checked against `caFile` and its host name).
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        case disable
        case require
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var database: String
    public var user: String
    public var password: String?
    public var tls: TLSMode
    public var caFile: String?

    public init(
        host: String, port: Int = 5432, database: String, user: String, password: String?, tls: TLSMode = .disable, caFile: String? = nil
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.user = user
        self.password = password
        self.tls = tls
        self.caFile = caFile
    }

    /// Parses `postgres://[user[:password]@]host[:port]/database` (or `postgresql://`);
    /// `user` stands in when the URL names none.
    public init(url: String, user fallbackUser: String? = nil, password fallbackPassword: String? = nil) throws(DistrictError) {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, !host.isEmpty
        else {
            throw DistrictError(.invalidSettings, "\(url) is not a URL like postgres://host:5432/yizhan")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw DistrictError(.invalidSettings, "\(url) names no database") }
        guard let user = components.user ?? fallbackUser else { throw DistrictError(.invalidSettings, "\(url) names no user") }
        self.init(
            host: host, port: components.port ?? 5432, database: database, user: user,
            password: components.password ?? fallbackPassword)
    }

    /// The connection's configuration for postgres-nio, TLS included.
    func configuration() throws -> PostgresConnection.Configuration {
        let tlsConfiguration: PostgresConnection.Configuration.TLS
        switch tls {
        case .disable:
            tlsConfiguration = .disable
        case .require:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            tlsConfiguration = .require(try NIOSSLContext(configuration: tls))
        case .verifyFull:
            guard let caFile else { throw DistrictError(.invalidSettings, "tls = verify-full needs ca_file") }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(caFile)
            tls.certificateVerification = .fullVerification
            tlsConfiguration = .require(try NIOSSLContext(configuration: tls))
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tlsConfiguration)
        configuration.options.connectTimeout = .seconds(10)
        // A name is checked against the certificate's names; an address (which SNI cannot
        // carry) against its IP addresses, as the connected peer.
        let isAddress = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
        if tls == .verifyFull && !isAddress { configuration.options.tlsServerName = host }
        return configuration
    }
}

/// What went wrong with the district, said so a technician knows what to do.
public struct DistrictError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case invalidSettings = "invalid_settings"
        case unreachable
        case authentication
        case untrustedCertificate = "untrusted_certificate"
        case schemaTooNew = "schema_too_new"
        case schemaMissing = "schema_missing"
        case refused
        case timeout
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
