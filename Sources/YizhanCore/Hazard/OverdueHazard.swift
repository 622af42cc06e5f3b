/// A hazard past its rectification deadline (SPEC 3.2, "Overdue").
public struct OverdueHazard: Sendable, Codable, Hashable {
    public var id: Int64
    public var checkpointID: String
    public var deadline: String

    public init(id: Int64, checkpointID: String, deadline: String) {
        self.id = id
        self.checkpointID = checkpointID
        self.deadline = deadline
    }
}
