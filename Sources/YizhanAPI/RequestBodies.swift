import YizhanCore

struct ScanBody: RequestBody {
    static let fields: Set<String> = ["code", "scanner"]
    var code: String
    var scanner: String?
}

struct NewVolunteerBody: RequestBody {
    static let fields: Set<String> = ["name", "role", "phone"]
    var name: String
    var role: VolunteerRole?
    var phone: String?
}

struct VolunteerPatchBody: RequestBody {
    static let fields: Set<String> = ["name", "role", "phone", "active"]
    var name: String?
    var role: VolunteerRole?
    var phone: String?
    var active: Bool?
}

struct NewBadgeBody: RequestBody {
    enum Kind: String, Decodable { case qr, card }
    static let fields: Set<String> = ["kind", "uid", "print"]
    var kind: Kind
    var uid: String?
    var print: Bool?
}

struct AdjustmentBody: RequestBody {
    static let fields: Set<String> = ["volunteer_id", "delta", "note"]
    var volunteerID: Int64
    var delta: Int
    var note: String

    enum CodingKeys: String, CodingKey {
        case volunteerID = "volunteer_id"
        case delta, note
    }
}

struct NoteBody: RequestBody {
    static let fields: Set<String> = ["note"]
    var note: String?
}

struct TransitionBody: RequestBody {
    static let fields: Set<String> = ["to", "note", "deadline", "by"]
    var to: HazardState
    var note: String?
    var deadline: String?
    /// The manager's own volunteer id, when the manager also patrols.
    var by: Int64?
}

struct HazardPatchBody: RequestBody {
    static let fields: Set<String> = ["description"]
    var description: String
}

struct CatalogPatchBody: RequestBody {
    static let fields: Set<String> = ["stock", "active"]
    var stock: Int?
    var active: Bool?
}

struct BackupBody: RequestBody {
    static let fields: Set<String> = ["path"]
    var path: String
}

struct VerifyBody: RequestBody {
    static let fields: Set<String> = ["repair"]
    var repair: Bool?
}
