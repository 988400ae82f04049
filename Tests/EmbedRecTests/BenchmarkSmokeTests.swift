import Foundation
import Testing
import BenchmarkSuites

/// Runs every benchmark suite on tiny data: checks the harness (every suite reports finite
/// figures, the JSON report is written), not speed.
@Suite("embedrec-bench smoke")
struct BenchmarkSmokeTests {
    @Test func everySuiteReportsOnTinyData() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("embedrec-bench-smoke-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = BenchmarkOptions()
        options.smoke = true
        options.workDir = dir
        options.sharedData = dir + "/no-shared-data"
        let report = try BenchmarkRunner.run(options)
        let suites = Set(report.results.map(\.suite))
        #expect(suites == Set(BenchmarkOptions.suiteNames))
        for result in report.results {
            #expect(result.median.isFinite, "\(result.suite)/\(result.name) has no finite figure")
            #expect(!result.values.isEmpty)
        }
        #expect(report.results.filter { $0.suite == "train" }.allSatisfy { ($0.extras["test RMSE"] ?? .nan).isFinite })
        let json = try Data(contentsOf: URL(fileURLWithPath: dir + "/results.json"))
        let object = try JSONSerialization.jsonObject(with: json) as? [String: Any]
        #expect((object?["results"] as? [Any])?.count == report.results.count)
        #expect(report.table().contains("| suite"))
    }

    @Test func unknownSuiteIsAnError() {
        var options = BenchmarkOptions()
        options.suites = ["nope"]
        #expect(throws: BenchmarkError.self) { try BenchmarkRunner.run(options) }
    }
}
