import ArgumentParser
import YizhanCore

// The states and roles a manager types, checked before anything is sent: help lists the
// values (ArgumentParser does, for a CaseIterable argument), and a wrong one is refused by name.
extension PatrolState: ExpressibleByArgument {}
extension HazardState: ExpressibleByArgument {}
extension RedemptionState: ExpressibleByArgument {}
extension PrintJobState: ExpressibleByArgument {}
extension VolunteerRole: ExpressibleByArgument {}
extension Slip.Kind: ExpressibleByArgument {}

/// A day, `yyyy-MM-dd`, checked as the daemon checks it.
extension LocalDay: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(argument)
    }
}
