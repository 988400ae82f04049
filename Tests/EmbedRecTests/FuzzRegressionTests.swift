import Foundation
import Testing
@testable import EmbedRec
import _EmbedRecFuzzing

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
        let inputs = try Self.inputs("ratings")
        #expect(inputs.count >= 6, "the replay must have inputs to check")
        for (name, bytes) in inputs {
            let error = FuzzEntryPoints.ratings(bytes)
            #expect(error == nil || error is RatingsFileError, "\(name): \(String(describing: error))")
        }
    }

    @Test("catalogue regressions (crafted bad catalogues: the fuzzer has found none) fail with RatingsFileError or load checked")
    func catalog() throws {
        let inputs = try Self.inputs("catalog")
        #expect(inputs.count >= 5, "the replay must have inputs to check")
        var refused = 0
        for (name, bytes) in inputs {
            // Since item IDs may be text, some crafted IDs are valid: the entry point checks
            // the catalogue it loads; anything else must be a RatingsFileError.
            let error = FuzzEntryPoints.catalog(bytes)
            #expect(error == nil || error is RatingsFileError, "\(name): \(String(describing: error))")
            if error != nil { refused += 1 }
        }
        #expect(refused >= 4, "most crafted catalogues are still refused")
    }

    @Test("model regressions (crafted damaged files: the fuzzer has found none) fail with the loader's errors")
    func model() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let inputs = try Self.inputs("model")
        #expect(inputs.count >= 8, "the replay must have inputs to check")
        for (name, bytes) in inputs {
            // Each is damaged: opening must fail, with the reader's own error.
            let error = FuzzEntryPoints.model(bytes, scratchPath: dir.appendingPathComponent(name).path)
            #expect(error is SafeTensorsError || error is RecommenderFileError, "\(name): \(String(describing: error))")
        }
    }
}
