import BookServerApp
import EmbedRec
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore

/// The recommenders and helpers the tests share: small models trained in-process on generated
/// data (no file from ../shared is needed).
enum Fixtures {
    /// Trained once for every test (a fraction of a second).
    static let small: Result<Recommender, any Error> = Result { try DemoRecommender.make(.small) }
    /// Another model of the same readers and books (other seed): what a reload swaps in.
    static let retrained: Result<Recommender, any Error> = Result {
        var configuration = DemoRecommender.Configuration.small
        configuration.seed = 7
        return try DemoRecommender.make(configuration)
    }

    static var configuration: BookServerConfiguration {
        var configuration = BookServerConfiguration()
        configuration.port = 0   // any free loopback port
        configuration.maxBodyBytes = 4_096
        configuration.requestLogLevel = .debug
        return configuration
    }

    static var logger: Logger {
        var logger = Logger(label: "bookserver-tests")
        logger.logLevel = .warning
        return logger
    }

    static func app(_ store: ModelStore, _ configuration: BookServerConfiguration = Fixtures.configuration) throws -> some ApplicationProtocol {
        try BookServerApplication.make(store: store, configuration: configuration, logger: logger)
    }

    /// `recommender` saved as `books.safetensors` in a fresh folder, and a store serving that
    /// file (which `POST /admin/reload` opens again). The caller removes the folder.
    static func served(_ recommender: Recommender) throws -> (folder: URL, path: String, store: ModelStore) {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("books.safetensors").path
        try recommender.save(to: path)
        return (folder, path, try ModelStore(contentsOf: path))
    }

    /// A fresh temporary folder.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bookserver-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A decoded JSON error body.
struct ErrorBody: Decodable {
    struct Detail: Decodable { let status: Int; let code: String; let message: String }
    let error: Detail
}

extension TestResponse {
    func decoded<T: Decodable>(_ type: T.Type) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: Data(buffer: body))
    }

    var text: String { String(buffer: body) }
}

extension ByteBuffer {
    init(json: String) { self.init(string: json) }
}
