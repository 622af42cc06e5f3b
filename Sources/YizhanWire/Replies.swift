/// `GET /v1/health`.
public struct HealthReply: Sendable, Codable, Hashable {
    public var status: String

    public init(status: String) {
        self.status = status
    }
}

/// `POST /v1/backup`: where the copy was written.
public struct BackupReply: Sendable, Codable, Hashable {
    public var path: String

    public init(path: String) {
        self.path = path
    }
}

/// `POST /v1/gpio/test`: the lines walked, and on which backend.
public struct GPIOTestReply: Sendable, Codable, Hashable {
    public var backend: String
    public var lines: [String]

    public init(backend: String, lines: [String]) {
        self.backend = backend
        self.lines = lines
    }
}

/// Every refusal: `{"error": {"code": "...", "message": "..."}}`, with a status that fits the code.
public struct ErrorReply: Sendable, Codable, Hashable {
    public struct Detail: Sendable, Codable, Hashable {
        public var code: String
        public var message: String
    }

    public var error: Detail

    public init(code: String, message: String) {
        error = Detail(code: code, message: message)
    }
}
