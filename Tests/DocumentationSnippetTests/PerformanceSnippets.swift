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

    @Test func onlineSGD() throws {
        let data = try SyntheticRatings.generate(.init(users: 300, items: 200, ratings: 12_000), parallelism: .sequential)
        let split = try data.randomSplit(testFraction: 0.2, seed: 1)
        let model = try BiasedMF(for: data, configuration: .init(dimension: 8, globalOffset: split.train.meanRating ?? 3))
        var training = TrainingConfiguration(epochs: 20, optimizer: .onlineSGD(learningRate: 0.0025),
                                             embeddingL2: 0.02)
        training.biasL2 = 0.02
        try Trainer(configuration: training, loss: SquaredError(reduction: .sum)).fit(model, on: split.train)

        // (Not in the article: it learned something.)
        let mean = split.train.meanRating ?? 3
        let baseline = (split.test.ratings.map { Double(($0 - mean) * ($0 - mean)) }.reduce(0, +) / Double(split.test.count)).squareRoot()
        #expect(try RatingMetrics(model: model, data: split.test).rmse < baseline)
    }
}
