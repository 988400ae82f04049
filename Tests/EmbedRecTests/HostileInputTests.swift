import Foundation
import Testing
@testable import EmbedRec

/// The crashes and silently wrong answers a probe of the library found: each now fails with an
/// error that says what is wrong (Docs/Reliability.md lists them).
@Suite("Hostile input: mismatched spaces")
struct MismatchedSpaceTests {
    /// Two datasets with different item spaces: 6 and 9 items.
    static func spaces() throws -> (small: RatingsDataset, large: RatingsDataset) {
        let small = try RatingsDataset(rawUsers: ([1, 1, 2, 3, 3, 4]).map(RawID.integer), rawItems: ([1, 2, 3, 4, 5, 6]).map(RawID.integer), ratings: [5, 4, 3, 2, 1, 5])
        let large = try RatingsDataset(rawUsers: [1, 2, 3, 4, 5, 6, 7, 8, 9], rawItems: [1, 2, 3, 4, 5, 6, 7, 8, 9],
                                       ratings: [5, 4, 3, 2, 1, 5, 4, 3, 2])
        return (small, large)
    }

    static func expectMismatch(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = ModelTestKit.thrownError(body)
        guard case .mismatchedSpace? = error as? DatasetError else {
            Issue.record("expected DatasetError.mismatchedSpace, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
    }

    @Test("a fold-in recommender rejects training data of another item space (was a heap overflow)")
    func foldInRejectsOtherItemSpace() throws {
        let (small, large) = try Self.spaces()
        for model in [try MatrixFactorization(for: small, configuration: .init(dimension: 3)) as any Model,
                      try BiasedMF(for: small, configuration: .init(dimension: 3)),
                      try ConcatMLP(for: small, configuration: .init(userDimension: 2, itemDimension: 2, hiddenUnits: [3]))] {
            Self.expectMismatch { _ = try FoldInRecommender(model: model, training: large) }
            #expect(throws: Never.self) { _ = try FoldInRecommender(model: model, training: small) }
        }
        // Fewer items than the model is just as wrong: raw IDs would be missing.
        let wide = try MatrixFactorization(for: large, configuration: .init(dimension: 3))
        Self.expectMismatch { _ = try FoldInRecommender(model: wide, training: small) }
    }

    @Test("a top-K scorer rejects training data with other items or more users (was a trap in IDMap)")
    func scorerRejectsOtherSpace() throws {
        let (small, large) = try Self.spaces()
        let model = try MatrixFactorization(for: small, configuration: .init(dimension: 3))
        Self.expectMismatch { _ = try TopKScorer(model: model, training: large) }
        let wide = try MatrixFactorization(for: large, configuration: .init(dimension: 3))
        Self.expectMismatch { _ = try TopKScorer(model: wide, training: small) }
        // More model users than the data has is allowed: the extra users exclude nothing.
        let moreUsers = try MatrixFactorization(users: 10, items: small.itemCount, configuration: .init(dimension: 3))
        #expect(throws: Never.self) { _ = try TopKScorer(model: moreUsers, training: small) }
    }

    @Test("similar items reject an ID map of the wrong size (was a trap in IDMap)")
    func similarItemsRejectWrongIDMap() throws {
        let (small, large) = try Self.spaces()
        let model = try MatrixFactorization(for: small, configuration: .init(dimension: 3))
        Self.expectMismatch { _ = try SimilarItems(model: model, itemIDs: large.itemIDs) }
        Self.expectMismatch { _ = try SimilarItems(embeddings: [1, 0, 0, 1], dimension: 2, itemIDs: small.itemIDs) }
        let similar = try SimilarItems(model: model, itemIDs: small.itemIDs)
        // The neighbours carry the raw IDs of the map that was given, not their dense indices.
        let neighbours = try similar.similar(to: [0], k: 2)
        #expect(neighbours.count == 2 && neighbours.allSatisfy { $0.rawItemID == small.itemIDs.rawIDs[Int($0.item.position)] })
    }
}

@Suite("Hostile input: absurd configurations fail fast")
struct AbsurdConfigurationTests {
    @Test("a billion-wide or overflowing model fails before allocating, naming the tensor")
    func hugeModels() {
        ModelTestKit.expectInvalidConfiguration(mentioning: "GiB") {
            _ = try BiasedMF(users: 53_424, items: 10_000, configuration: .init(dimension: 1_000_000_000))
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "user_embedding") {
            _ = try MatrixFactorization(users: 53_424, items: 10_000, configuration: .init(dimension: 1_000_000_000))
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "more elements than Int") {
            _ = try MatrixFactorization(users: 4, items: 3, configuration: .init(dimension: Int.max / 2))
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "overflow") {
            _ = try ConcatMLP(users: 4, items: 3, configuration: .init(userDimension: Int.max, itemDimension: 2, hiddenUnits: [2]))
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "dense_0_kernel") {
            _ = try ConcatMLP(users: 4, items: 3, configuration: .init(userDimension: 2, itemDimension: 2, hiddenUnits: [Int.max / 2]))
        }
    }

    @Test("batch sizes beyond Int32 are rejected; a batch larger than the data trains on all of it")
    func hugeBatches() throws {
        ModelTestKit.expectInvalidConfiguration(mentioning: "batch size") { _ = try Trainer(configuration: .init(batchSize: Int.max)) }
        ModelTestKit.expectInvalidConfiguration(mentioning: "batch size") {
            _ = try Trainer(configuration: .init(batchSize: 1_000_000_000_000))
        }
        let data = try SyntheticRatings.generate(.init(users: 30, items: 20, ratings: 300, seed: 5))
        let model = try BiasedMF(for: data, configuration: .init(dimension: 2, globalOffset: 3))
        let history = try Trainer(configuration: .init(epochs: 3, batchSize: Int(Int32.max), optimizer: .adam(learningRate: 0.05)))
            .fit(model, on: data)
        #expect(history.epochs.count == 3)
        #expect(history.epochs.last!.meanLoss < history.epochs.first!.meanLoss)
    }

    @Test("generated data with a NaN, infinite or negative scale is an error, not a trap")
    func badSyntheticScale() {
        for scale in [Double.nan, .infinity, -1, 0] {
            #expect(throws: DatasetError.self) { _ = try SyntheticRatings.generate(.goodbooks(scale: scale)) }
        }
        // Fewer ratings than two per user: the message says so (it used to say "at most").
        let error = ModelTestKit.thrownError { _ = try SyntheticRatings.generate(.init(users: 100, items: 50, ratings: 60)) }
        #expect("\(String(describing: error))".contains("too few"))
    }
}

@Suite("Hostile input: numbers that would be silently wrong")
struct SilentlyWrongNumberTests {
    @Test("Adam at a huge learning rate stops with a divergence error and the last good weights")
    func adamDivergence() throws {
        let data = try SyntheticRatings.generate(.init(users: 40, items: 30, ratings: 600, seed: 2))
        let model = try BiasedMF(for: data, configuration: .init(dimension: 4, initializer: .normal(std: 0.1), globalOffset: 3))
        let initial = ModelTestKit.snapshot(model)
        let error = ModelTestKit.thrownError {
            // One thread: with two, lock-free updates may race the loss to ∞ instead (a
            // non-finite-loss error), depending on how the threads interleave.
            try Trainer(configuration: .init(epochs: 3, batchSize: 8, optimizer: .adam(learningRate: 1e6), deterministic: true)).fit(model, on: data)
        }
        guard case let .diverged(epoch, mse, lastGood)? = error as? TrainingError else {
            Issue.record("expected TrainingError.diverged, got \(String(describing: error))")
            return
        }
        #expect(epoch == 1 && lastGood == 0)
        #expect(mse > 1e6)
        #expect(ModelTestKit.snapshot(model) == initial)
        #expect("\(error!)".contains("lower the learning rate"))
    }

    @Test("fold-in rejects a NaN, infinite or negative regularization and ratings too large for Float32")
    func foldInNumbers() throws {
        let data = try SyntheticRatings.generate(.init(users: 40, items: 30, ratings: 600, seed: 3))
        let model = try BiasedMF(for: data, configuration: .init(dimension: 3, initializer: .normal(std: 0.3), globalOffset: 3))
        for bad: Float in [.nan, .infinity, -0.5] {
            ModelTestKit.expectInvalidConfiguration(mentioning: "regularization") {
                _ = try FoldInRecommender(model: model, training: data, regularization: bad)
            }
            var foldIn = try FoldInRecommender(model: model, training: data)
            foldIn.regularization = bad
            ModelTestKit.expectInvalidConfiguration(mentioning: "regularization") {
                _ = try foldIn.recommend(readItems: [data.itemIDs.rawIDs[0]], ratings: [5], k: 3)
            }
        }
        let foldIn = try FoldInRecommender(model: model, training: data)
        let read = Array(data.itemIDs.rawIDs.prefix(4))
        // Ratings outside the training range (3e38 once gave a non-finite reader; recommend --read
        // 242:100 was accepted): refused, naming the first.
        let scale = try #require(data.ratingRange)
        for bad: Float in [3e38, -3e38, scale.upperBound * 20, -1e30, scale.lowerBound - 1] {
            let refused = ModelTestKit.thrownError { _ = try foldIn.recommend(readItems: read, ratings: [3, bad, 3, 3], k: 3) }
            #expect(refused as? RecommenderError == .ratingOutsideScale(item: read[1], rating: bad, scale: scale),
                    "rating \(bad) of a \(scale) scale: got \(String(describing: refused))")
        }
        // Ordinary ratings still work, the scale's ends included.
        #expect(try foldIn.recommend(readItems: read, ratings: [scale.upperBound, scale.lowerBound, 4, 5], k: 3).recommendations.count == 3)
        #expect(try foldIn.recommend(readItems: read, ratings: [5, 1, 4, 5], k: 3).recommendations.count == 3)
    }

    @Test("ratings outside a preset's scale are errors naming the line; a delimited format has no scale unless given")
    func ratingsOutsideScale() throws {
        expectFileError(file: "r.csv", line: 3, kind: .ratingOutsideScale(text: "1e30", scale: 1...5)) {
            _ = try RatingsLoader.load(text: "user_id,book_id,rating\n1,2,5\n1,3,1e30\n", name: "r.csv", format: .goodbooks)
        }
        expectFileError(file: "r.csv", line: 2, kind: .ratingOutsideScale(text: "-3", scale: 1...5)) {
            _ = try RatingsLoader.load(text: "user_id,book_id,rating\n1,2,-3\n", name: "r.csv", format: .goodbooks)
        }
        expectFileError(file: "u.data", line: 1, kind: .ratingOutsideScale(text: "0", scale: 1...5)) {
            _ = try RatingsLoader.load(text: "1\t2\t0\t881250949\n", name: "u.data", format: .movieLens100K)
        }
        // Half stars are on MovieLens ratings.csv's scale, 0 is not.
        #expect(try RatingsLoader.load(text: "userId,movieId,rating\n1,2,0.5\n", format: .movieLensCSV).ratings == [0.5])
        expectFileError(file: "m.csv", line: 2, kind: .ratingOutsideScale(text: "0.0", scale: 0.5...5)) {
            _ = try RatingsLoader.load(text: "userId,movieId,rating\n1,2,0.0\n", name: "m.csv", format: .movieLensCSV)
        }
        let anyScale = RatingsFileFormat.delimited(separator: ",", hasHeader: false, userColumn: 0, itemColumn: 1, ratingColumn: 2)
        #expect(try RatingsLoader.load(text: "1,2,-10\n1,3,100\n", format: anyScale).ratings == [-10, 100])
        var declared = anyScale
        declared.ratingScale = -10...10
        expectFileError(file: "<text>", line: 2, kind: .ratingOutsideScale(text: "100", scale: -10...10)) {
            _ = try RatingsLoader.load(text: "1,2,-10\n1,3,100\n", format: declared)
        }
    }

    @Test("a NUL byte after a rating is not a number (it used to parse as the digits before it)")
    func nulAfterRating() throws {
        expectFileError(file: "n.csv", line: 2, kind: .notANumber(column: 2, text: "5\u{0}garbage")) {
            _ = try RatingsLoader.load(bytes: Array("user_id,book_id,rating\n1,2,5\u{0}garbage\n".utf8), name: "n.csv", format: .goodbooks)
        }
        expectFileError(file: "n.csv", line: 2, kind: .notANumber(column: 2, text: "4.5\u{0}")) {
            _ = try RatingsLoader.load(bytes: Array("user_id,book_id,rating\n1,2,4.5\u{0}\n".utf8), name: "n.csv", format: .goodbooks)
        }
    }
}
