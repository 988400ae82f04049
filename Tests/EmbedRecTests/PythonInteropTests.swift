import Foundation
import Testing
@testable import EmbedRec

/// A saved recommender read by Python's `safetensors` + NumPy reproduces EmbedRec's predictions.
///
/// Python comes from `EMBEDREC_PYTHON`, else the peers' venv (`Benchmarks/peers/setup.sh`); the
/// test skips with a message when neither has both packages.
@Suite("Saved recommenders: Python interop")
struct PythonInteropTests {
    static let python: String? = {
        let candidates = [ProcessInfo.processInfo.environment["EMBEDREC_PYTHON"],
                          TestSupport.packageRoot.appendingPathComponent(".venv-peers/bin/python").path].compactMap { $0 }
        return candidates.first { path in
            FileManager.default.isExecutableFile(atPath: path)
                && (try? PythonInteropTests.run(path, ["-c", "import safetensors, numpy"]).status) == 0
        }
    }()

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out; process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
    }

    @Test("safetensors + NumPy reproduce 1,000 predictions of each model kind to 1e-5",
          .enabled(if: python != nil, "needs Python with safetensors and numpy (bash Benchmarks/peers/setup.sh)"))
    func numpyReproducesPredictions() throws {
        let python = Self.python!
        let data = try RecommenderFixture.data()
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SeededGenerator(seed: 77)
        let users = (0..<1000).map { _ in Int32(rng.nextInt(below: data.userCount)) }
        let items = (0..<1000).map { _ in Int32(rng.nextInt(below: data.itemCount)) }
        let pairs = dir.appendingPathComponent("pairs.csv")
        try zip(users, items).map { "\(data.userIDs.integerRawIDs![Int($0)]),\(data.itemIDs.integerRawIDs![Int($1)])" }
            .joined(separator: "\n").write(to: pairs, atomically: true, encoding: .utf8)
        let script = TestSupport.packageRoot.appendingPathComponent("Tests/EmbedRecTests/Python/predict_from_safetensors.py").path
        for (name, model, training, history) in try RecommenderFixture.models(data) {
            let path = RecommenderFixture.path(dir, "\(name).safetensors")
            try Recommender(model: model, training: data, configuration: training, history: history).save(to: path)
            let result = try Self.run(python, [script, path, pairs.path])
            #expect(result.status == 0, "\(name): \(result.error)")
            let theirs = result.output.split(separator: "\n").compactMap { Double($0) }
            let ours = try model.scores(users: users, items: items)
            #expect(theirs.count == 1000, "\(name): \(theirs.count) predictions")
            let worst = zip(ours, theirs).map { abs(Double($0) - $1) }.max() ?? .infinity
            #expect(worst <= 1e-5, "\(name): largest difference \(worst)")
        }
    }
}
