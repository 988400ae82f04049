import Dispatch
import EmbedRecKernels

/// How many worker threads EmbedRec's parallel loops use.
///
/// A value type passed through configurations; no global mutable state. The default uses
/// every active core.
public struct Parallelism: Sendable, Hashable, Codable {
    /// Worker threads (at least 1).
    public var threads: Int

    /// A fixed number of workers.
    ///
    /// - Parameter threads: worker threads; values below 1 are raised to 1.
    public init(threads: Int) { self.threads = max(1, threads) }

    /// One worker per active core.
    public static var automatic: Parallelism {
        Parallelism(threads: ProcessInfoCores.active)
    }

    /// A single worker: the deterministic, sequential path.
    public static let sequential = Parallelism(threads: 1)
}
