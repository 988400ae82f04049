// The code of Sources/EmbedRec/EmbedRec.docc/Performance.md, verbatim (see
// GettingStartedSnippets.swift).
import EmbedRec
import Testing

@Suite("Snippets: Performance")
struct PerformanceSnippets {
    @Test func kernels() {
        print(BLASThreading.openBLASConfiguration)
        print("OpenBLAS kernels:", OpenBLASKernels.coreName)
        if let core = OpenBLASKernels.recommendedCoreType {
            print("start the process with OPENBLAS_CORETYPE=\(core) for vector kernels")
        }
        // (Not in the article: what the report must say.)
        #expect(BLASThreading.openBLASConfiguration.contains("OpenBLAS"), "\(BLASThreading.openBLASConfiguration)")
        #expect(!OpenBLASKernels.coreName.isEmpty)
        #expect(OpenBLASKernels.recommendedCoreType.map { !$0.isEmpty && $0 != OpenBLASKernels.coreName } ?? true)
    }

    @Test func threads() throws {
        let data = try SyntheticRatings.generate(.init(users: 300, items: 200, ratings: 12_000), parallelism: .sequential)
        // Hogwild!: fast, run-to-run differences
        let model = try Recipe.tutorialV2.fit(data, options: .init(parallelism: Parallelism(threads: 2))).model

        let scorer = try TopKScorer(model: model, training: data, blockSize: 256, tileSize: 2048,
                                    parallelism: .automatic)
        let all = try scorer.recommendAll(options: .init(k: 10))

        #expect(all.users.count == data.userCount)
    }
}
