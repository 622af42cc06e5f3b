import CLinux
import Hummingbird
import NIOCore
import YizhanSystem

/// A request's context with the connection it came on, so that a change made through the
/// admin socket records the local user who made it (SPEC 3.2, "Who did it"). The kernel
/// vouches for that user: it is the peer's credentials on the Unix socket, not something the
/// client says.
public struct StationRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Nil in router tests without a socket.
    let channel: (any Channel)?
    /// The local user, read by the route table before a write request's handler runs.
    var actor: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        channel = source.channel
    }

    /// The peer's user name (`SO_PEERCRED`, then the password database), or `uid N` when
    /// the uid has no name; nil when the connection is not a Unix socket.
    func peerUser() async -> String? {
        guard let provider = channel as? SocketOptionProvider,
            let credentials = try? await PeerCredentials.read(provider).get()
        else { return nil }
        return Kernel.userName(credentials.uid) ?? "uid \(credentials.uid)"
    }
}

/// `getsockopt(SO_PEERCRED)`, kept apart from public code: NIO asks that its unsafe
/// socket-option calls be made from non-public, non-inlinable functions.
enum PeerCredentials {
    static func read(_ provider: SocketOptionProvider) -> EventLoopFuture<yizhan_peer_credentials> {
        let option = Kernel.peerCredentialsOption
        return provider.unsafeGetSocketOption(level: SocketOptionLevel(option.level), name: SocketOptionName(option.name))
    }
}
