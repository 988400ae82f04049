import ArgumentParser
import BookServerApp
import EmbedRec
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix

/// `bookserver serve --model books.safetensors` and `bookserver demo-model --output …`.
@main
struct BookServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bookserver",
        abstract: "Serve a saved EmbedRec recommender over HTTP: JSON API and a web page with cover cards.",
        subcommands: [Serve.self, DemoModel.self],
        defaultSubcommand: Serve.self)

    static func main() async {
        OpenBLASRestart.restartIfNeeded()
        do {
            var command = try parseAsRoot()
            if let serve = command as? Serve {
                // Swift concurrency's jobs run on the serving event loops, so a request is read,
                // answered and written on one thread instead of hopping between two pools.
                NIOSingletons.groupLoopCountSuggestion = serve.threads
                NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
            }
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a saved recommender (Recommender.save(to:) or `embedrec train --output`).",
        discussion: """
            Endpoints: GET / (the page), GET /recommend?user=ID&k=10[&fallback=popularity], GET /similar?item=ID&k=10, POST /reader (body {"items": [1, {"id": 2, "rating": 5}]}), GET /items/ID, GET /health, POST /admin/reload (loopback only: opens --model again and swaps it in; a corrupt file is refused).
            """)

    @Option(help: "The saved recommender (.safetensors).")
    var model: String

    @Option(help: "Address to bind (127.0.0.1: this machine only; 0.0.0.0: every interface).")
    var host = "127.0.0.1"

    @Option(help: "TCP port (0: any free port).")
    var port = 8080

    @Option(help: "Event-loop threads.")
    var threads = 2

    @Option(help: "Largest request body in bytes.")
    var maxBodyBytes = 64 * 1024

    @Option(help: "Largest K a request may ask for.")
    var maxK = 100

    @Option(help: "Seconds a connection may stay idle (or take to send a request head) before it is closed.")
    var idleTimeout: Double = 30

    @Option(help: "Seconds a POST body may take to arrive in full (else 408).")
    var bodyTimeout: Double = 10

    @Option(help: "Most connections open at once; one past it is closed at once, unanswered.")
    var maxConnections = 512

    @Option(help: "Log level: trace, debug, info (one line per request), notice, warning, error.")
    var logLevel = "info"

    func validate() throws {
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1...256, got \(threads)") }
    }

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), got '\(logLevel)'")
        }
        var configuration = BookServerConfiguration()
        configuration.host = host; configuration.port = port; configuration.threads = threads
        configuration.modelPath = model; configuration.maxBodyBytes = maxBodyBytes; configuration.maxK = maxK
        configuration.idleTimeoutSeconds = idleTimeout; configuration.bodyTimeoutSeconds = bodyTimeout
        configuration.maxConnections = maxConnections
        do { configuration = try configuration.validated() } catch { throw ValidationError("\(error)") }

        var logger = Logger(label: "bookserver")
        logger.logLevel = level
        let start = ContinuousClock.now
        let store: ModelStore
        do {
            store = try ModelStore(contentsOf: model)
        } catch {
            throw StartupFailure(description: "cannot open \(model): \(error)")
        }
        let r = store.current.recommender
        logger.notice("model opened", metadata: [
            "file": .string(model), "model": .string(r.model.summary), "users": .stringConvertible(r.userIDs.count),
            "items": .stringConvertible(r.itemIDs.count), "catalog": .stringConvertible(r.catalog != nil),
            "openblas_kernels": .string(OpenBLASKernels.coreName),
            "open_ms": .string(String(format: "%.1f", (ContinuousClock.now - start) / .milliseconds(1)))])
        // The singleton group: `threads` loops (set in `main`), also running the handlers.
        let app = try BookServerApplication.make(
            store: store, configuration: configuration, logger: logger, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        try await app.runService()
    }
}

struct DemoModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-model",
        abstract: "Train a recommender on generated goodbooks-shaped ratings and save it (to try the server without the real data).")

    @Option(help: "Where to save the recommender.")
    var output: String

    @Option(help: "Titles, authors and covers: a goodbooks books.csv (without it, generated titles).")
    var catalog: String?

    @Option(help: "Readers, books and ratings to generate (default: the goodbooks-10k shape).")
    var users = 53_424
    @Option var items = 10_000
    @Option var ratings = 981_756

    @Option(help: "ALS factors.")
    var dimension = 32

    @Option(help: "ALS iterations.")
    var iterations = 10

    @Option(help: "Seed of the generated ratings and of training.")
    var seed: UInt64 = 42

    /// A bad --output or --catalog fails now, not after training (the save itself refuses what
    /// is not a regular file, through the library's atomic writer).
    func validate() throws {
        do { try PathChecks.checkWritable(output) } catch { throw ValidationError("--output \(output): \(error.reason)") }
        if let catalog {
            do { try PathChecks.checkReadable(catalog) } catch { throw ValidationError("--catalog \(catalog): \(error.reason)") }
        }
    }

    func run() throws {
        var configuration = DemoRecommender.Configuration(users: users, items: items, ratings: ratings)
        configuration.dimension = dimension; configuration.iterations = iterations; configuration.seed = seed
        let books = try catalog.map { try ItemCatalog.loadGoodbooks(path: $0) }
        let recommender = try DemoRecommender.make(configuration, catalog: books)
        try recommender.save(to: output)
        print("saved \(recommender.model.summary) for \(recommender.userIDs.count) readers × \(recommender.itemIDs.count) books to \(output)")
    }
}

/// A failure before the server runs, printed as one "Error: …" line (no usage text).
struct StartupFailure: Error, CustomStringConvertible {
    let description: String
}
