import Foundation
import Testing
@testable import EmbedRec

/// Replays every input the fuzzers found (Tests/EmbedRecTests/Regressions/<target>/) through the
/// entry point that found it: each must give the loader's own error or a checked result. A
/// crash here is the crash the fuzzer found, back again.
@Suite("Fuzzing regressions")
struct FuzzRegressionTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Regressions")

    static func inputs(_ target: String) throws -> [(name: String, bytes: [UInt8])] {
        let dir = folder.appendingPathComponent(target)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix(".") }.sorted()
        return try names.map { ($0, [UInt8](try Data(contentsOf: dir.appendingPathComponent($0)))) }
    }

    @Test("ratings parser findings load or fail with RatingsFileError")
    func ratings() throws {
        for (name, bytes) in try Self.inputs("ratings") {
            let error = FuzzEntryPoints.ratings(bytes)
            #expect(error == nil || error is RatingsFileError, "\(name): \(String(describing: error))")
        }
    }

    @Test("catalogue reader findings load or fail with RatingsFileError")
    func catalog() throws {
        for (name, bytes) in try Self.inputs("catalog") {
            let error = FuzzEntryPoints.catalog(bytes)
            #expect(error == nil || error is RatingsFileError, "\(name): \(String(describing: error))")
        }
    }

    @Test("model loader findings open or fail with the loader's errors")
    func model() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, bytes) in try Self.inputs("model") {
            // Opening errors come typed from FuzzEntryPoints; serving a model that opened may
            // add ModelError or RecommenderError (an empty catalogue of candidates, say).
            let error = FuzzEntryPoints.model(bytes, scratchPath: dir.appendingPathComponent(name).path)
            #expect(error == nil || error is SafeTensorsError || error is RecommenderFileError || error is ModelError
                    || error is RecommenderError, "\(name): \(String(describing: error))")
        }
    }
}
