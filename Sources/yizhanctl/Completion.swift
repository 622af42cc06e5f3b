import ArgumentParser
import Foundation
import YizhanClient
import YizhanWire

/// What the shell's Tab offers for arguments only the daemon knows: the catalogue's item ids
/// and the codes of slips not yet collected. The shell runs `yizhanctl` to ask at each Tab,
/// on the socket the command line names (else as every command finds it). A daemon that
/// cannot be reached, or is slow, offers nothing and says nothing: a Tab must not print an
/// error into the line being typed, nor hang it.
enum DaemonCompletion {
    static let catalogItems = CompletionKind.custom { words, _, _ in
        offered(socket: socket(in: words)) { api in try api.call(API.catalog).items.map(\.id) }
    }

    static let uncollectedSlips = CompletionKind.custom { words, _, _ in
        offered(socket: socket(in: words)) { api in try api.call(API.redemptions(state: .issued)).items.map(\.code) }
    }

    /// Every value; the shell keeps those that begin with what is typed.
    private static func offered(socket: String, _ ask: (APIClient) throws -> [String]) -> [String] {
        (try? ask(APIClient(socketPath: socket, timeout: .seconds(2)))) ?? []
    }

    /// `--socket PATH` or `--socket=PATH` among the words typed.
    static func socket(in words: [String]) -> String {
        for (index, word) in words.enumerated() {
            if word.hasPrefix("--socket=") { return String(word.dropFirst("--socket=".count)) }
            if word == "--socket", index + 1 < words.count { return words[index + 1] }
        }
        return GlobalOptions.defaultSocket
    }
}
