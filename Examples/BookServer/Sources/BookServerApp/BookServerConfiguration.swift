import EmbedRec
import Logging

/// How a BookServer listens and what it accepts: a plain value, checked once by ``validated()``.
public struct BookServerConfiguration: Sendable, Hashable {
    /// The address to bind: loopback by default, so that a first run is not open to the network.
    public var host: String = "127.0.0.1"
    /// The TCP port (0: any free port, reported once the server runs).
    public var port: Int = 8080
    /// Event-loop threads serving connections.
    public var threads: Int = 2
    /// The saved recommender the server opened and `POST /admin/reload` opens again; nil for a
    /// recommender built in the process (reload then answers 409).
    public var modelPath: String?
    /// The largest request body accepted (bytes); larger bodies get 413.
    public var maxBodyBytes: Int = 64 * 1024
    /// The largest K a request may ask for.
    public var maxK: Int = 100
    /// K when a request gives none.
    public var defaultK: Int = 10
    /// Most read items a `POST /reader` body may list.
    public var maxReaderItems: Int = 1_000
    /// The level of the per-request timing lines (`info` shows one line per request).
    public var requestLogLevel: Logger.Level = .info
    /// Seconds a connection may stay without a complete request part before it is closed:
    /// idle keep-alive connections, and request heads sent too slowly (a head counts only once
    /// it is whole), so a client cannot hold a descriptor for ever.
    public var idleTimeoutSeconds: Double = 30
    /// Seconds a `POST` body may take to arrive in full; a slower one gets 408.
    public var bodyTimeoutSeconds: Double = 10
    /// Most connections open at once; a further one is closed at once, unanswered.
    public var maxConnections: Int = 512

    public init() {}

    /// Self, or an error naming the first value out of range.
    public func validated() throws -> BookServerConfiguration {
        func check(_ ok: Bool, _ message: String) throws {
            if !ok { throw ConfigurationError.invalidSetting(message) }
        }
        try check((0...65_535).contains(port), "port must be in 0...65535, got \(port)")
        try check((1...256).contains(threads), "threads must be in 1...256, got \(threads)")
        try check(maxBodyBytes > 0, "the body limit must be positive, got \(maxBodyBytes)")
        try check(maxK > 0, "the largest K must be positive, got \(maxK)")
        try check((1...maxK).contains(defaultK), "the default K must be in 1...\(maxK), got \(defaultK)")
        try check(maxReaderItems > 0, "the largest reading list must be positive, got \(maxReaderItems)")
        try check(idleTimeoutSeconds.isFinite && (0.05...86_400).contains(idleTimeoutSeconds),
                  "the idle timeout must be in 0.05...86400 seconds, got \(idleTimeoutSeconds)")
        try check(bodyTimeoutSeconds.isFinite && (0.05...86_400).contains(bodyTimeoutSeconds),
                  "the body timeout must be in 0.05...86400 seconds, got \(bodyTimeoutSeconds)")
        try check((1...1_000_000).contains(maxConnections), "the connection limit must be in 1...1000000, got \(maxConnections)")
        return self
    }
}
