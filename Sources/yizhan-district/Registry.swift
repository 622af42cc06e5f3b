import ArgumentParser
import Foundation
import YizhanCore
import YizhanDistrict

extension VolunteerRole: ExpressibleByArgument {}

struct VolunteerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volunteer", abstract: "Volunteers registered once for every station.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a volunteer; every station has them after its next pull, with a balance of their own there.")
        @OptionGroup var options: DistrictOptions
        @Argument(help: "The volunteer's name.") var name: String
        @Flag(help: "A leader, who may lead group patrols.") var leader = false
        @Option(help: "A phone number, kept at the district only.") var phone: String?

        func run() async throws {
            let id = try await options.run { try await $0.addVolunteer(name: name, role: leader ? .leader : .volunteer, phone: phone) }
            if options.json { return try options.print(json: ["id": id]) }
            print("volunteer \(id): \(name)\(leader ? " (leader)" : "")")
        }
    }
}

struct BadgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "badge", abstract: "Badges of district volunteers, kept by hash.", subcommands: [Issue.self, Revoke.self])

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a QR badge (its YZ:B: code shown once) or register a card.")
        @OptionGroup var options: DistrictOptions
        @Argument(help: "The district volunteer's id.") var volunteerID: Int64
        @Option(help: "A card's UID instead of a QR badge.") var card: String?

        func run() async throws {
            let badge = try await options.run { try await $0.issueBadge(volunteerID: volunteerID, cardUID: card) }
            if options.json { return try options.print(json: badge) }
            print(
                "badge \(badge.id) (\(badge.kind)) for volunteer \(badge.volunteerId)"
                    + (badge.code.map { ": \($0)\n(shown once: print it as the volunteer's QR badge now)" } ?? ""))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a badge: every station refuses it after its next pull.")
        @OptionGroup var options: DistrictOptions
        @Argument(help: "The district badge's id.") var badgeID: Int64

        func run() async throws {
            try await options.run { try await $0.revokeBadge(badgeID) }
            if options.json { return try options.print(json: ["revoked": badgeID]) }
            print("badge \(badgeID) revoked")
        }
    }
}

struct CampaignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign", abstract: "Special themed periods for every station.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a campaign: special patrols run at every station while it lasts.",
            discussion: "A checkpoint a station does not have is not required there.")
        @OptionGroup var options: DistrictOptions
        @Argument(help: "The campaign's name, as slips show it.") var name: String
        @Option(help: "First day: MM-DD (every year) or yyyy-MM-dd (once).") var from: String
        @Option(help: "Last day, in the same form.") var to: String
        @Option(help: "Checkpoints its special patrols must also check, comma-separated.") var checkpoints: String?

        func run() async throws {
            let list = checkpoints.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
            let id = try await options.run { try await $0.addCampaign(name: name, from: from, to: to, checkpoints: list) }
            if options.json { return try options.print(json: ["id": id]) }
            print("campaign \(id): \(name), \(from) to \(to)")
        }
    }
}
