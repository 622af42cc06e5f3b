import YizhanCore

/// The JSON bodies the API takes, one type a route.
public struct ScanBody: RequestBody {
    public static let fields: Set<String> = ["code", "scanner"]
    public var code: String
    public var scanner: String?

    public init(code: String, scanner: String? = nil) {
        self.code = code
        self.scanner = scanner
    }
}

public struct NewVolunteerBody: RequestBody {
    public static let fields: Set<String> = ["name", "role", "phone"]
    public static let choices = ["role": VolunteerRole.allCases.map(\.rawValue)]
    public var name: String
    public var role: VolunteerRole?
    public var phone: String?

    public init(name: String, role: VolunteerRole? = nil, phone: String? = nil) {
        self.name = name
        self.role = role
        self.phone = phone
    }
}

public struct VolunteerPatchBody: RequestBody {
    public static let fields: Set<String> = ["name", "role", "phone", "active", "login"]
    public static let choices = ["role": VolunteerRole.allCases.map(\.rawValue)]
    public var name: String?
    public var role: VolunteerRole?
    public var phone: String?
    public var active: Bool?
    /// The volunteer's local account, when they are also a manager; `""` removes it.
    public var login: String?

    public init(name: String? = nil, role: VolunteerRole? = nil, phone: String? = nil, active: Bool? = nil, login: String? = nil) {
        self.name = name
        self.role = role
        self.phone = phone
        self.active = active
        self.login = login
    }
}

public struct NewBadgeBody: RequestBody {
    public static let fields: Set<String> = ["kind", "uid", "print"]
    public static let choices = ["kind": BadgeKind.allCases.map(\.rawValue)]
    public var kind: BadgeKind
    public var uid: String?
    public var print: Bool?

    public init(kind: BadgeKind, uid: String? = nil, print: Bool? = nil) {
        self.kind = kind
        self.uid = uid
        self.print = print
    }
}

public struct AdjustmentBody: RequestBody {
    public static let fields: Set<String> = ["volunteer_id", "delta", "note"]
    public var volunteerID: Int64
    public var delta: Int
    public var note: String

    enum CodingKeys: String, CodingKey {
        case volunteerID = "volunteer_id"
        case delta, note
    }

    public init(volunteerID: Int64, delta: Int, note: String) {
        self.volunteerID = volunteerID
        self.delta = delta
        self.note = note
    }
}

public struct NoteBody: RequestBody {
    public static let fields: Set<String> = ["note"]
    public var note: String?

    public init(note: String? = nil) {
        self.note = note
    }
}

public struct TransitionBody: RequestBody {
    public static let fields: Set<String> = ["to", "note", "deadline", "by"]
    public static let choices = ["to": HazardState.allCases.map(\.rawValue)]
    public var to: HazardState
    public var note: String?
    /// The rectification deadline, a day (`yyyy-MM-dd`, checked strictly).
    public var deadline: LocalDay?
    /// The manager's own volunteer id, when the manager also patrols.
    public var by: Int64?

    public init(to: HazardState, note: String? = nil, deadline: LocalDay? = nil, by: Int64? = nil) {
        self.to = to
        self.note = note
        self.deadline = deadline
        self.by = by
    }
}

public struct HazardPatchBody: RequestBody {
    public static let fields: Set<String> = ["description"]
    public var description: String

    public init(description: String) {
        self.description = description
    }
}

public struct CatalogPatchBody: RequestBody {
    public static let fields: Set<String> = ["stock", "active"]
    public var stock: Int?
    public var active: Bool?

    public init(stock: Int? = nil, active: Bool? = nil) {
        self.stock = stock
        self.active = active
    }
}

public struct BackupBody: RequestBody {
    public static let fields: Set<String> = ["path"]
    public var path: String

    public init(path: String) {
        self.path = path
    }
}

public struct VerifyBody: RequestBody {
    public static let fields: Set<String> = ["repair"]
    public var repair: Bool?

    public init(repair: Bool? = nil) {
        self.repair = repair
    }
}

public struct RotaBody: RequestBody {
    public static let fields: Set<String> = ["volunteers"]
    /// Who is on daily duty that day; empty clears the day.
    public var volunteers: [Int64]

    public init(volunteers: [Int64]) {
        self.volunteers = volunteers
    }
}

/// Every body type, for checking them all alike (the request fuzz target).
public let requestBodyTypes: [any RequestBody.Type] = [
    ScanBody.self, NewVolunteerBody.self, VolunteerPatchBody.self, NewBadgeBody.self, AdjustmentBody.self, NoteBody.self,
    TransitionBody.self, HazardPatchBody.self, CatalogPatchBody.self, BackupBody.self, VerifyBody.self, RotaBody.self,
]
