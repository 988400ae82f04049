import Foundation
import Testing
@testable import EmbedRec

/// Small trained recommenders of every model kind, for the file tests.
enum RecommenderFixture {
    static func data() throws -> RatingsDataset {
        try SyntheticRatings.generate(.init(users: 60, items: 40, ratings: 900, seed: 5))
    }

    static let catalog: ItemCatalog = try! ItemCatalog(items: (1...40).map {
        ItemMetadata(rawID: .integer(Int64($0)), title: "Book \($0)\t\"quoted\"\nline", authors: $0 % 2 == 0 ? "A. Author" : nil,
                     year: 1990 + $0, genres: ["Fantasy", "Young Adult"], imageURL: "https://example.com/\($0).jpg")
    })

    /// Each model kind, trained for two epochs on `data`.
    static func models(_ data: RatingsDataset) throws -> [(String, any Model, TrainingConfiguration, TrainingHistory)] {
        let training = TrainingConfiguration(epochs: 2, batchSize: 32, embeddingL2: 1e-4, deterministic: true)
        var out: [(String, any Model, TrainingConfiguration, TrainingHistory)] = []
        let range = data.ratingRange!
        let candidates: [(String, any TrainableModel)] = [
            ("MF", try MatrixFactorization(for: data, configuration: .init(dimension: 6))),
            ("BiasedMF sigmoid", try BiasedMF(for: data, configuration: .init(
                dimension: 5, output: .sigmoidScaled(min: range.lowerBound, max: range.upperBound)))),
            ("BiasedMF held offset", try BiasedMF(for: data, configuration: {
                var c = BiasedMF.Configuration(dimension: 4, globalOffset: data.meanRating)
                c.trainsGlobalOffset = false
                return c
            }())),
            ("ConcatMLP", try ConcatMLP(for: data, configuration: .init(
                userDimension: 4, itemDimension: 3, hiddenUnits: [8, 4], inputDropout: 0.1, hiddenDropout: [0.2, 0],
                output: .sigmoidScaled(min: 1, max: 5)))),
        ]
        for (name, model) in candidates {
            let history = try Trainer(configuration: training).fit(model, on: data)
            out.append((name, model, training, history))
        }
        let members = try (0..<3).map { seed -> BiasedMF in
            let m = try BiasedMF(for: data, configuration: .init(dimension: 3, seed: UInt64(seed)))
            _ = try Trainer(configuration: training).fit(m, on: data)
            return m
        }
        out.append(("averaged BiasedMF", try ModelAveraging.average(members), training, TrainingHistory(lossName: nil)))
        // Ranking models: weighted ALS (a MatrixFactorization with the implicit fold-in) and BPR.
        out.append(("ALS", try ImplicitALS(configuration: .init(factors: 5, iterations: 3, alpha: 2)).fit(data), training, TrainingHistory(lossName: nil)))
        let bpr = try MatrixFactorization(for: data, configuration: .init(dimension: 4))
        let bprHistory = try Trainer(configuration: training, loss: BPRLoss()).fit(bpr, on: data)
        out.append(("BPR", bpr, training, bprHistory))
        return out
    }

    static func path(_ dir: URL, _ name: String = "model.safetensors") -> String { dir.appendingPathComponent(name).path }
}

@Suite("Saved recommenders: round trips")
struct RecommenderRoundTripTests {
    @Test("every model kind round-trips with bit-identical predictions, top-K, similar items and fold-in")
    func roundTrip() throws {
        let data = try RecommenderFixture.data()
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, model, training, history) in try RecommenderFixture.models(data) {
            let original = try Recommender(model: model, training: data, configuration: training, history: history,
                                           catalog: RecommenderFixture.catalog)
            let path = RecommenderFixture.path(dir, "\(name).safetensors")
            try original.save(to: path)
            let loaded = try Recommender(contentsOf: path)
            #expect(type(of: loaded.model) == type(of: model), "\(name)")
            #expect(loaded.model.summary == model.summary)
            // Every tensor, bit for bit.
            let a = (model as! any SavableModel).savedTensors, b = (loaded.model as! any SavableModel).savedTensors
            #expect(a.map(\.name) == b.map(\.name))
            #expect(zip(a, b).allSatisfy { $0.toArray().map(\.bitPattern) == $1.toArray().map(\.bitPattern) }, "\(name)")
            // Predictions for every pair.
            let users = (0..<Int32(data.userCount)).flatMap { u in [Int32](repeating: u, count: data.itemCount) }
            let items = (0..<Int32(data.userCount)).flatMap { _ in (0..<Int32(data.itemCount)).map { $0 } }
            #expect(try model.scores(users: users, items: items).map(\.bitPattern)
                    == loaded.model.scores(users: users, items: items).map(\.bitPattern), "\(name)")
            // Top-K for every user, similar items, a new reader, a pair.
            for raw in data.userIDs.rawIDs {
                let x = try original.recommend(user: raw, k: 7), y = try loaded.recommend(user: raw, k: 7)
                #expect(x == y, "\(name) user \(raw)")
            }
            if model is ConcatMLP {
                #expect(throws: RecommenderError.noItemSimilarity(model.summary)) { try loaded.similarItems(to: 3, k: 5) }
            } else {
                #expect(try original.similarItems(to: 3, k: 5) == loaded.similarItems(to: 3, k: 5))
            }
            #expect(try original.recommend(newReaderRatings: [1: 5, 2: 3, 999: 4], k: 6)
                    == loaded.recommend(newReaderRatings: [1: 5, 2: 3, 999: 4], k: 6))
            #expect(try original.score(user: data.userIDs.rawIDs[4], item: 7).bitPattern
                    == loaded.score(user: data.userIDs.rawIDs[4], item: 7).bitPattern)
            #expect(loaded.model.predictsRatings == model.predictsRatings, "\(name)")
            if model.predictsRatings {
                #expect(try loaded.predictedRating(user: data.userIDs.rawIDs[4], item: 7).bitPattern
                        == loaded.score(user: data.userIDs.rawIDs[4], item: 7).bitPattern)
            } else {
                #expect(throws: RecommenderError.self) { try loaded.predictedRating(user: data.userIDs.rawIDs[4], item: 7) }
            }
            // The rest of the bundle.
            #expect(loaded.userIDs == data.userIDs && loaded.itemIDs == data.itemIDs)
            #expect(loaded.ratedItems.offsets == original.ratedItems.offsets)
            #expect(loaded.ratedItems.items == original.ratedItems.items)
            #expect(loaded.ratedItems.ratings == original.ratedItems.ratings)
            #expect(loaded.ratingScale == data.ratingRange)
            #expect(loaded.trainingConfiguration == training)
            #expect(loaded.history == history)
            #expect(loaded.catalog?.items == RecommenderFixture.catalog.items)
            #expect(loaded.metadata(for: 2)?.title == "Book 2\t\"quoted\"\nline")
        }
    }

    @Test("a file is standard safetensors: sorted, aligned, no holes, named tensors, metadata strings")
    func layout() throws {
        let data = try RecommenderFixture.data()
        let model = try BiasedMF(for: data, configuration: .init(dimension: 5, globalOffset: 3.5))
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = RecommenderFixture.path(dir)
        try Recommender(model: model, training: data).save(to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let n = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        #expect((8 + n) % 8 == 0, "data starts 8-byte aligned")
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as! [String: Any]
        let meta = header["__metadata__"] as! [String: String]
        #expect(meta["format"] == "embedrec.recommender" && meta["format_version"] == "1" && meta["model_kind"] == "BiasedMF")
        var tensors = header.filter { $0.key != "__metadata__" }.map { ($0.key, $0.value as! [String: Any]) }
        tensors.sort { ($0.1["data_offsets"] as! [Int])[0] < ($1.1["data_offsets"] as! [Int])[0] }
        #expect(Set(tensors.map(\.0)) == ["user_embedding", "item_embedding", "user_bias", "item_bias", "global_offset",
                                           "user_ids", "item_ids", "rated_offsets", "rated_items", "rated_ratings"])
        // 8-byte types first, then by name; contiguous from 0 to the end of the file.
        let order = tensors.map(\.0)
        #expect(order == ["item_ids", "rated_offsets", "user_ids", "global_offset", "item_bias", "item_embedding",
                          "rated_items", "rated_ratings", "user_bias", "user_embedding"])
        var cursor = 0
        for (_, t) in tensors {
            let o = t["data_offsets"] as! [Int]
            #expect(o[0] == cursor)
            cursor = o[1]
        }
        #expect(8 + n + cursor == bytes.count)
        #expect((header["user_embedding"] as! [String: Any])["shape"] as! [Int] == [data.userCount, 5])
        // The file is the raw tensor bytes plus a header of a few hundred bytes.
        #expect(Double(bytes.count) <= Double(cursor) * 1.05 + 4096)
    }

    @Test("saving replaces the file atomically and leaves no temporary file; a failed write keeps the old file")
    func atomicSave() throws {
        let data = try RecommenderFixture.data()
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = RecommenderFixture.path(dir)
        let first = try Recommender(model: try MatrixFactorization(for: data, configuration: .init(dimension: 3)), training: data)
        try first.save(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let second = try Recommender(model: try MatrixFactorization(for: data, configuration: .init(dimension: 8, seed: 9)), training: data)
        // A full disk part-way through the write.
        for limit in [0, 7, 100, 5_000] {
            let error = ModelTestKit.thrownError { try second.save(to: path, failingAfterBytes: limit) }
            guard case .cannotWrite(_, let reason)? = error as? FileError else {
                Issue.record("expected cannotWrite, got \(String(describing: error))"); continue
            }
            #expect(reason.contains("No space left"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
        }
        try second.save(to: path)
        #expect(try Recommender(contentsOf: path).model.summary == "MatrixFactorization(d=8)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
        // A folder that does not exist.
        #expect(throws: FileError.self) { try second.save(to: dir.appendingPathComponent("missing/x.safetensors").path) }
    }

    @Test("the raw-ID API: unknown users and items are errors or a flagged popularity fallback")
    func rawIDs() throws {
        let data = try RecommenderFixture.data()
        let model = try BiasedMF(for: data, configuration: .init(dimension: 4))
        _ = try Trainer(configuration: .init(epochs: 2, deterministic: true)).fit(model, on: data)
        let r = try Recommender(model: model, training: data)
        let known = data.userIDs.rawIDs[3]
        let list = try r.recommend(user: known, k: 5)
        #expect(list.recommendations.count == 5 && !list.isPopularityFallback)
        let rated = Set(data.itemsByUser().items(of: data.userIDs.index(of: known)!).map { data.itemIDs.rawIDs[Int($0)] })
        #expect(list.recommendations.allSatisfy { !rated.contains($0.rawItemID) })
        #expect(throws: RecommenderError.unknownUser(-7)) { try r.recommend(user: -7, k: 5) }
        let fallback = try r.recommend(user: -7, k: 5, unknownUser: .popularity)
        #expect(fallback.isPopularityFallback && fallback.recommendations.count == 5)
        #expect(throws: RecommenderError.unknownItem(12345)) { try r.similarItems(to: 12345, k: 3) }
        #expect(throws: RecommenderError.unknownItem(12345)) { try r.predictedRating(user: known, item: 12345) }
        #expect(throws: RecommenderError.unknownUser(-1)) { try r.predictedRating(user: -1, item: 1) }
        let p = try r.predictedRating(user: known, item: 1)
        #expect(p == (try model.scores(users: [data.userIDs.index(of: known)!.position], items: [0]))[0])
        let reader = try r.recommend(newReaderItems: [777_777], k: 4)
        #expect(reader.isPopularityFallback && reader.unknownItemIDs == [777_777])
        #expect(try r.recommend(newReaderRatings: [1: 5, 2: 1], k: 3).recommendations.allSatisfy { ![1, 2].contains($0.rawItemID) })
        // Parts of another dataset are refused.
        let other = try SyntheticRatings.generate(.init(users: 61, items: 40, ratings: 900, seed: 5))
        #expect(throws: DatasetError.self) { try Recommender(model: model, training: other) }
    }
}
