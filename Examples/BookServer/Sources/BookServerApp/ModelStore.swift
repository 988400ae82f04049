import EmbedRec
import Foundation
import Synchronization

/// The recommender being served, swapped atomically by ``reload()``.
///
/// A request takes one ``Snapshot`` at its start and answers from it, so a request in flight
/// during a reload finishes on the old recommender while the next one sees the new. A file that
/// does not open (missing, corrupt, of another format) is refused and the old recommender keeps
/// serving.
public final class ModelStore: Sendable {
    /// One loaded recommender and where it came from. A class, so that taking it for a request
    /// is one reference count, not one per part of the recommender.
    public final class Snapshot: Sendable {
        public let recommender: Recommender
        /// Its books as the API shows them.
        public let books: BookDirectory
        /// The file it was opened from, nil when built in the process.
        public let sourcePath: String?
        /// 1 for the first recommender, +1 per successful reload.
        public let generation: Int
        public let loadedAt: Date

        init(recommender: Recommender, sourcePath: String?, generation: Int, loadedAt: Date = Date()) {
            self.recommender = recommender; books = BookDirectory(recommender); self.sourcePath = sourcePath
            self.generation = generation; self.loadedAt = loadedAt
        }
    }

    private let snapshot: Mutex<Snapshot>
    /// True while a reload opens its file: a second reload is refused rather than queued.
    private let reloading = Mutex(false)

    /// Serves `recommender`; `sourcePath` is the file ``reload()`` opens again.
    public init(recommender: Recommender, sourcePath: String? = nil) {
        snapshot = Mutex(Snapshot(recommender: recommender, sourcePath: sourcePath, generation: 1))
    }

    /// Opens the file at `path` and serves it.
    /// - Throws: as ``Recommender/init(contentsOf:modelKinds:)``.
    public convenience init(contentsOf path: String) throws {
        self.init(recommender: try Recommender(contentsOf: path), sourcePath: path)
    }

    /// The recommender to answer one request with.
    public var current: Snapshot { snapshot.withLock { $0 } }

    /// Opens the source file again and, when it opens, serves it.
    ///
    /// The file is read on a thread of its own, not on the concurrency pool that serves
    /// requests, so that a reload of a large model does not stall them.
    /// - Throws: ``ReloadError``.
    @discardableResult
    public func reload() async throws(ReloadError) -> Snapshot {
        guard let path = current.sourcePath else { throw .noModelFile }
        guard reloading.withLock({ busy in defer { busy = true }; return !busy }) else { throw .alreadyReloading }
        defer { reloading.withLock { $0 = false } }
        let opened: Recommender
        do {
            opened = try await Self.openOnOwnThread(path)
        } catch {
            throw .refused(path: path, reason: String(describing: error))
        }
        // Reloads are serialised (above), so the generation cannot move while this one opens.
        let next = Snapshot(recommender: opened, sourcePath: path, generation: current.generation + 1)
        snapshot.withLock { $0 = next }
        return next
    }

    private static func openOnOwnThread(_ path: String) async throws -> Recommender {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try Recommender(contentsOf: path) })
            }
            thread.name = "model-reload"
            thread.start()
        }
    }
}

/// Why a reload did not swap the recommender (the old one keeps serving).
public enum ReloadError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The recommender was built in the process: there is no file to open again.
    case noModelFile
    /// Another reload is opening the file.
    case alreadyReloading
    /// The file did not open.
    case refused(path: String, reason: String)

    public var description: String {
        switch self {
        case .noModelFile: return "the server was started without a model file, so there is nothing to reload"
        case .alreadyReloading: return "a reload is already running; try again when it has finished"
        case .refused(let path, let reason): return "\(path) was refused and the previous model keeps serving: \(reason)"
        }
    }
}
