import EmbedRec
import Hummingbird
import Logging
import NIOCore
import NIOPosix

/// Builds the HTTP application over a ``ModelStore``.
public enum BookServerApplication {
    /// The router with every endpoint and the JSON-error and timing middleware.
    public static func makeRouter(store: ModelStore, configuration: BookServerConfiguration) -> Router<BookServerRequestContext> {
        // HEAD answers as GET without the body (Hummingbird derives the HEAD routes).
        let router = Router(context: BookServerRequestContext.self, options: .autoGenerateHeadEndpoints)
        // Outermost first: timing sees the final status, including errors turned into JSON.
        router.add(middleware: RequestTimingMiddleware(level: configuration.requestLogLevel))
        router.add(middleware: JSONErrorMiddleware())
        BookServerRoutes(store: store, configuration: configuration).add(to: router)
        return router
    }

    /// The application, ready for `runService()` (or a test's `test(_:)`). `eventLoopGroup`
    /// serves the connections: the executable passes one of `configuration.threads` threads.
    ///
    /// OpenBLAS runs single-threaded: each request is small and requests already run in
    /// parallel, so BLAS threads would only compete with them for the cores.
    public static func make(
        store: ModelStore, configuration: BookServerConfiguration, logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let configuration = try configuration.validated()
        BLASThreading.useSingleThreadedBLAS()
        let limit = ConnectionLimit(limit: configuration.maxConnections)
        return Application(
            router: makeRouter(store: store, configuration: configuration),
            server: .http1(configuration: .init(
                additionalChannelHandlers: [limit.handler()],
                idleTimeout: .nanoseconds(Int64(configuration.idleTimeoutSeconds * 1e9)))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "BookServer"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port) },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
    }
}
