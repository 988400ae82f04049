import BookServerApp
import EmbedRec
import Foundation

/// What the reload fuzz target (`Scripts/fuzz.sh reload`) does with one input, and what
/// `ReloadFuzzingTests` replays: bytes describe what lies at the served model's path — a regular
/// file (raw bytes, or a valid saved model with bytes overwritten), a FIFO, a folder, a socket,
/// a symbolic link to any of these, a dangling link or a loop, nothing — and `ModelStore.reload()`
/// runs on it.
///
/// The invariant: the reload ends within 5 s; only a regular file can swap in; a refusal says
/// why in one line; the store keeps serving, and the next reload is not refused as "already
/// running" (a FIFO once wedged it that way for good).
///
/// An input is a kind byte (mod 10: what to put at the path), then for the mutated-model kind
/// pairs of (offset low byte, offset high byte, value) applied to the valid file, otherwise the
/// file's content. Internal: reached through `@testable import`.
enum ReloadFuzzing {
    /// A saved recommender whose file the mutated kind starts from, and the store's first model.
    static let model: Recommender = {
        var configuration = DemoRecommender.Configuration.small
        configuration.users = 40; configuration.items = 30; configuration.ratings = 600
        return try! DemoRecommender.make(configuration)
    }()

    /// One folder per process; the model path inside it is rebuilt for every input.
    static let folder: String = {
        let path = NSTemporaryDirectory() + "/bookserver-reload-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()
    static var path: String { folder + "/model.safetensors" }

    /// Removes ``folder`` and what the inputs left in it (the replay test's last step).
    static func removeFolder() { try? FileManager.default.removeItem(atPath: folder) }

    static let validBytes: [UInt8] = {
        let scratch = folder + "/valid.safetensors"
        try! model.save(to: scratch)
        return [UInt8](try! Data(contentsOf: URL(fileURLWithPath: scratch)))
    }()

    enum Kind: Int, CaseIterable {
        case rawFile, mutatedModel, fifo, folder, socket, linkToFile, linkToFIFO, danglingLink, linkLoop, nothing
    }

    /// Lays out at ``path`` what `bytes` describes; returns the kind.
    @discardableResult
    static func prepare(_ bytes: [UInt8]) -> Kind {
        let kind = Kind(rawValue: Int(bytes.first ?? 0) % Kind.allCases.count)!
        let rest = Array(bytes.dropFirst())
        for name in ["model.safetensors", "target", "target-fifo", "a", "b"] {
            try? FileManager.default.removeItem(atPath: folder + "/" + name)
        }
        func write(_ content: [UInt8], to file: String) { _ = FileManager.default.createFile(atPath: file, contents: Data(content)) }
        switch kind {
        case .rawFile: write(rest, to: path)
        case .mutatedModel:
            var file = validBytes
            var k = 0
            while k + 2 < rest.count {
                let offset = (Int(rest[k]) | Int(rest[k + 1]) << 8) % file.count
                file[offset] = rest[k + 2]
                k += 3
            }
            write(file, to: path)
        case .fifo: mkfifo(path, 0o644)
        case .folder: mkdir(path, 0o755)
        case .socket:
            // A path longer than sun_path would be cut and bound elsewhere: leave nothing then.
            guard path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else { break }
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (k, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[k] = byte }
            }
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            close(fd)
        case .linkToFile:
            write(rest.isEmpty ? validBytes : rest, to: folder + "/target")
            symlink("target", path)
        case .linkToFIFO:
            mkfifo(folder + "/target-fifo", 0o644)
            symlink(folder + "/target-fifo", path)
        case .danglingLink: symlink("nowhere", path)
        case .linkLoop:
            symlink(folder + "/b", folder + "/a"); symlink(folder + "/a", folder + "/b")
            symlink(folder + "/a", path)
        case .nothing: break
        }
        return kind
    }

    /// Checks one input: nil when every invariant holds, else what broke.
    static func check(_ bytes: [UInt8]) async -> String? {
        try? FileManager.default.removeItem(atPath: path)
        try? model.save(to: path)
        let store: ModelStore
        do { store = try ModelStore(contentsOf: path) } catch { return "the valid model did not open: \(error)" }
        let kind = prepare(bytes)
        let started = Date()
        let outcome: Result<ModelStore.Snapshot, ReloadError> = await withTimeLimit(seconds: 5) {
            do throws(ReloadError) { return .success(try await store.reload()) } catch { return .failure(error) }
        } ?? .failure(.refused(path: path, reason: "TIMED OUT"))
        let seconds = Date().timeIntervalSince(started)
        if case .failure(.refused(_, "TIMED OUT")) = outcome { return "the reload of \(kind) did not end within 5 s" }
        switch outcome {
        case .success(let snapshot):
            guard [.rawFile, .mutatedModel, .linkToFile].contains(kind) else { return "\(kind) was swapped in" }
            guard snapshot.generation == 2 else { return "a successful reload has generation \(snapshot.generation)" }
        case .failure(.refused(_, let reason)):
            guard !reason.isEmpty, !reason.contains("\n"), reason.count < 2_000 else { return "refusal reason: \(reason.prefix(200))" }
            guard store.current.generation == 1 else { return "a refused reload changed the served model" }
        case .failure(let other):
            return "the reload of \(kind) failed with \(other)"
        }
        // The store is not left busy: a reload of a good file right after works.
        try? FileManager.default.removeItem(atPath: path)
        try? model.save(to: path)
        do { _ = try await store.reload() } catch {
            return "after \(kind) (\(String(format: "%.2f", seconds)) s), a reload of the valid file failed: \(error)"
        }
        return nil
    }

    /// `body`'s value, or nil when it has not finished within `seconds`. A hung reload waits on
    /// a thread that no cancellation reaches, so it is left running rather than awaited.
    static func withTimeLimit<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async -> T) async -> T? {
        return await withCheckedContinuation { continuation in
            let once = ResumeOnce(continuation)
            Task { once.resume(await body()) }
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { once.resume(nil) }
        }
    }

    /// ``check(_:)`` from a synchronous caller (the libFuzzer callback).
    static func checkBlocking(_ bytes: [UInt8]) -> String? {
        RequestFuzzing.blocking { await check(bytes) }
    }
}

/// Resumes a continuation with the first value given, ignoring later ones.
private final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T?, Never>?
    init(_ continuation: CheckedContinuation<T?, Never>) { self.continuation = continuation }
    func resume(_ value: T?) {
        let c: CheckedContinuation<T?, Never>? = lock.withLock { defer { continuation = nil }; return continuation }
        c?.resume(returning: value)
    }
}
