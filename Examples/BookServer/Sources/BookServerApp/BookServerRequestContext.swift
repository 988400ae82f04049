import Hummingbird
import Logging
import NIOCore

/// The per-request context: Hummingbird's core storage plus the peer's address, which
/// `POST /admin/reload` checks (loopback only).
public struct BookServerRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// A context without a channel, for requests sent straight to the router (``RequestFuzzing``).
    package init(logger: Logger, remoteAddress: SocketAddress?) {
        coreContext = .init(source: LoggerSource(logger: logger))
        self.remoteAddress = remoteAddress
    }

    private struct LoggerSource: RequestContextSource { let logger: Logger }
}

extension SocketAddress {
    /// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (::ffff:127.x.y.z).
    public var isLoopbackPeer: Bool {
        switch self {
        case .v4(let address):
            return UInt32(bigEndian: address.address.sin_addr.s_addr) >> 24 == 127
        case .v6:
            guard let ip = ipAddress?.lowercased() else { return false }
            return ip == "::1" || ip.hasPrefix("::ffff:127.")
        case .unixDomainSocket:
            // Only processes on this machine can reach a Unix socket.
            return true
        }
    }
}
