@testable import BookServerApp
import Foundation
import Hummingbird
import Testing
@testable import _BookServerFuzzing

/// Replays the request fuzzer's seed corpus (Fuzz/corpus/server/) and every input it found
/// (Tests/BookServerTests/Regressions/server/, when there are any) through the fuzzer's own
/// entry point: the query checks, the body decoder and the real router, each answer checked
/// (no 5xx, JSON with an error body for every API error). A failure here is a finding back again.
@Suite struct RequestFuzzingTests {
    static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let folders = [
        here.appendingPathComponent("../../Fuzz/corpus/server").standardized,
        here.appendingPathComponent("Regressions/server"),
    ]

    static func inputs() throws -> [(name: String, bytes: [UInt8])] {
        try folders.flatMap { folder -> [(name: String, bytes: [UInt8])] in
            guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.sorted()
            let label = folder.deletingLastPathComponent().lastPathComponent   // corpus or Regressions
            return try names.map { ("\(label)/\($0)", [UInt8](try Data(contentsOf: folder.appendingPathComponent($0)))) }
        }
    }

    @Test("every seed and saved finding answers within the invariants")
    func replay() async throws {
        let inputs = try Self.inputs()
        #expect(inputs.filter { $0.name.hasPrefix("corpus/") }.count >= 40)
        #expect(inputs.contains { $0.name.hasPrefix("Regressions/") })
        for (name, bytes) in inputs {
            let broken = await RequestFuzzing.check(bytes)
            #expect(broken == nil, "\(name): \(broken ?? "")")
        }
    }

    /// The seeds reach every endpoint and each kind of answer, so the replay above is not 40
    /// copies of one 404.
    @Test("the seeds reach each endpoint's answers", arguments: [
        ("page", 200), ("health", 200), ("recommend", 200), ("recommend-fallback", 200), ("similar", 200), ("item", 200),
        ("reader-ids", 200), ("reader-rated", 200), ("reader-chunked", 200),
        ("recommend-unknown-user", 404), ("recommend-bad-k", 400), ("recommend-k-too-large", 400), ("similar-unknown", 404),
        ("item-bad", 404), ("reader-bad-rating", 400), ("reader-too-many", 400), ("reader-not-json", 400),
        ("reader-declared-too-long", 413), ("reader-body-too-long", 413), ("reload-remote", 403), ("reload-loopback", 409),
        ("not-found", 404), ("delete-health", 404),
    ])
    func seedStatus(_ name: String, _ status: Int) async throws {
        let bytes = [UInt8](try Data(contentsOf: Self.folders[0].appendingPathComponent(name)))
        let answer = try await RequestFuzzing.respond(bytes)
        #expect(Int(answer.status.code) == status, "\(String(decoding: answer.body.prefix(300), as: UTF8.self))")
    }

    @Test("an input is split into flags, target and body")
    func inputLayout() {
        let input = RequestFuzzing.Input([1 | 8 | 32 | 64] + Array("/reader?k=3\n{\"items\": [1]}\n".utf8))
        #expect(input.method == .post && input.target == "/reader?k=3" && input.body == Array("{\"items\": [1]}\n".utf8))
        #expect(!input.declaresLength && !input.loopbackPeer && input.chunkedBody && !input.declaresTooLong)
        let empty = RequestFuzzing.Input([])
        #expect(empty.method == .get && empty.target.isEmpty && empty.body.isEmpty)
    }
}
