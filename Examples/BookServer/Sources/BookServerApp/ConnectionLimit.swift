import NIOCore
import Synchronization

/// Closes a new connection at once while `limit` are already open, so that clients that open
/// connections and hold them cannot use up the server's file descriptors. (Hummingbird's own
/// accept throttle stops reading the listening socket, but the server channel accepts in
/// batches, and in a measurement here six of ten connections were served under a limit of 2:
/// too loose to be a bound.) Shared by every connection of one server.
final class ConnectionLimit: Sendable {
    let limit: Int
    private let open = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    /// Connections open now (those refused are not counted).
    var openConnections: Int { open.load(ordering: .relaxed) }

    /// The handler for one connection's pipeline.
    func handler() -> Handler { Handler(limit: self) }

    /// Counts its connection in while it is open; refuses it when the count is at the limit.
    final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        // Parts pass through untouched (the default channelRead forwards them unread).
        typealias InboundIn = Any
        typealias InboundOut = Any

        let limit: ConnectionLimit
        private var counted = false

        init(limit: ConnectionLimit) { self.limit = limit }

        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive { admit(context) }
        }

        func channelActive(context: ChannelHandlerContext) {
            admit(context)
            context.fireChannelActive()
        }

        private func admit(_ context: ChannelHandlerContext) {
            guard !counted else { return }
            let now = limit.open.wrappingAdd(1, ordering: .relaxed).newValue
            counted = true
            if now > limit.limit { context.close(promise: nil) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            if counted { limit.open.wrappingSubtract(1, ordering: .relaxed); counted = false }
            context.fireChannelInactive()
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            if counted { limit.open.wrappingSubtract(1, ordering: .relaxed); counted = false }
        }
    }
}

@available(*, unavailable)
extension ConnectionLimit.Handler: Sendable {}
