import EmbedRecTestSupport
import Foundation
import Testing
@testable import EmbedRec

@Suite("EASE with a sparse B (the largest weights per item)")
struct SparseEASETests {
    static let data = Result { try SyntheticRatings.generate(.init(users: 80, items: 40, ratings: 1_200, seed: 31)) }
    static let configuration = EASE.Configuration(regularization: 6, dropoutEmphasis: 0.2, weighting: .rating)

    static func fit(_ m: Int?) throws -> EASE {
        var c = configuration
        c.weightsPerItem = m
        return try EASE(fitting: data.get(), configuration: c)
    }

    @Test("each row keeps the m largest weights of the dense B by magnitude, off the diagonal, by ascending item")
    func keepsLargestWeights() throws {
        let dense = try Self.fit(nil), sparse = try Self.fit(7)
        let n = dense.itemCount
        #expect(sparse.isSparse && !dense.isSparse)
        #expect(sparse.itemWeights.shape == [n, 7] && sparse.itemWeightColumns?.shape == [n, 7])
        let columns = sparse.itemWeightColumns!.toArray(), values = sparse.itemWeights.toArray()
        for i in 0..<n {
            let row = (0..<n).filter { $0 != i }.map { (item: $0, weight: dense.weight(from: i, to: $0)) }
            let expected = row.sorted { abs($0.weight) != abs($1.weight) ? abs($0.weight) > abs($1.weight) : $0.item < $1.item }
                .prefix(7).map(\.item).sorted()
            let kept = columns[(i * 7)..<((i + 1) * 7)].map { Int($0) }
            #expect(kept == expected, "row \(i)")
            for (slot, j) in kept.enumerated() {
                #expect(values[i * 7 + slot] == dense.weight(from: i, to: j))
                #expect(sparse.weight(from: i, to: j) == dense.weight(from: i, to: j))
            }
            for j in 0..<n where !kept.contains(j) { #expect(sparse.weight(from: i, to: j) == 0) }
        }
    }

    @Test("scores are the history row times the sparse B; top-K and fold-in agree with them")
    func scoresAndLists() throws {
        let data = try Self.data.get()
        let model = try Self.fit(5)
        let n = data.itemCount, rated = data.itemsByUser()
        let scorer = try TopKScorer(model: model, training: data)
        let foldIn = try FoldInRecommender(model: model, training: data)
        for u in [0, 13, 57] {
            let range = rated.offsets[u]..<rated.offsets[u + 1]
            var expected = [Float](repeating: 0, count: n)
            for e in range {
                let i = Int(rated.items[e]), w = Self.configuration.weighting.weight(forRating: rated.ratings[e])
                for j in 0..<n { expected[j] += w * model.weight(from: i, to: j) }
            }
            let scores = try model.scores(users: [Int32](repeating: Int32(u), count: n), items: (0..<Int32(n)).map { $0 })
            #expect(zip(scores, expected).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }, "user \(u)")
            // The list is the unrated items by those scores (ties to the lower index).
            let unrated = (0..<n).filter { j in !range.contains { Int(rated.items[$0]) == j } }
            let best = unrated.sorted { expected[$0] != expected[$1] ? expected[$0] > expected[$1] : $0 < $1 }.prefix(6)
            let list = try scorer.recommend(user: UserIndex(Int32(u)), options: .init(k: 6))
            #expect(list.map { Int($0.item.offset) } == Array(best), "user \(u)")
            // The same reads as a new reader give the same list.
            let reads = range.map { data.itemIDs.rawID(at: ItemIndex(rated.items[$0]))! }
            let newReader = try foldIn.recommend(readItems: reads, ratings: Array(rated.ratings[range]), k: 6)
            #expect(newReader.recommendations.map(\.item) == list.map(\.item), "user \(u) folded in")
        }
    }

    @Test("keeping every weight gives the dense model's lists")
    func everyWeightIsDense() throws {
        let data = try Self.data.get()
        let dense = try TopKScorer(model: try Self.fit(nil), training: data).recommendAll(options: .init(k: 10))
        let full = try TopKScorer(model: try Self.fit(1_000), training: data).recommendAll(options: .init(k: 10))
        #expect(try Self.fit(1_000).itemWeights.shape == [data.itemCount, data.itemCount - 1])
        let agreeing = zip(dense.items, full.items).filter { $0 == $1 }.count
        // Float sums in another order may swap near-ties; nothing else differs.
        #expect(Double(agreeing) >= 0.98 * Double(dense.items.count), "\(agreeing) of \(dense.items.count)")
    }

    @Test("a sparse EASE passes the model conformance checks and recovers planted taste")
    func conformanceAndPlantedTaste() throws {
        try ModelConformance.check { data in try EASE(fitting: data, configuration: .init(regularization: 20, weightsPerItem: 4)) }
        let planted = try PlantedTaste.data()
        let model = try EASE(fitting: planted, configuration: .init(regularization: 5, weightsPerItem: 10))
        let share = try PlantedTaste.ownGroupShare(model, planted)
        #expect(share >= 0.9, "\(share) of the unread own-group items recommended")
    }

    @Test("a sparse EASE round-trips through a smaller file; columns that are not ascending item indices are refused")
    func persistence() throws {
        let data = try Self.data.get()
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sparsePath = dir.appendingPathComponent("sparse.safetensors").path
        let densePath = dir.appendingPathComponent("dense.safetensors").path
        let original = try Recommender(model: try Self.fit(3), training: data)
        try original.save(to: sparsePath)
        try Recommender(model: try Self.fit(nil), training: data).save(to: densePath)
        let size = { (path: String) in try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int }
        #expect(try size(sparsePath) < size(densePath))
        let loaded = try Recommender(contentsOf: sparsePath)
        #expect((loaded.model as? EASE)?.configuration.weightsPerItem == 3)
        for raw in data.userIDs.rawIDs.prefix(20) { #expect(try original.recommend(user: raw, k: 5) == loaded.recommend(user: raw, k: 5)) }
        #expect(try original.recommend(newReaderRatings: [data.itemIDs.rawID(at: 2)!: 5], k: 4)
                == loaded.recommend(newReaderRatings: [data.itemIDs.rawID(at: 2)!: 5], k: 4))

        let bytes = try SafeTensorsBytes([UInt8](Data(contentsOf: URL(fileURLWithPath: sparsePath))))
        let start = bytes.offsets(EASE.columnsName)[0]
        for (what, value) in [("out of range", Float(data.itemCount)), ("not ascending", Float(0)), ("not an integer", Float(1.5))] {
            var damaged = bytes
            // Row 0's last column: past the catalogue, before its neighbour, or between items.
            let slot = start + 2 * 4
            withUnsafeBytes(of: value.bitPattern.littleEndian) { damaged.data.replaceSubrange(slot..<(slot + 4), with: $0) }
            if what == "not ascending" {
                let first = withUnsafeBytes(of: Float(1).bitPattern.littleEndian) { Array($0) }
                damaged.data.replaceSubrange(start..<(start + 4), with: first)
            }
            let path = dir.appendingPathComponent("damaged.safetensors").path
            try Data(try damaged.bytes()).write(to: URL(fileURLWithPath: path))
            do {
                _ = try Recommender(contentsOf: path)
                Issue.record("columns \(what): opened")
            } catch RecommenderFileError.inconsistentTensor(EASE.columnsName, _) {
            } catch {
                Issue.record("columns \(what): \(error)")
            }
        }
    }

    @Test("the weights per item is a recipe setting of ease only, at least 1")
    func recipeSetting() throws {
        let recipe = try Recipe.ease.adjusted(RecipeChanges(weightsPerItem: 50))
        #expect((recipe.fitter as? EASE.Configuration)?.weightsPerItem == 50)
        #expect(recipe.summary.contains("50 weights per item"))
        #expect(throws: ConfigurationError.self) { try Recipe.ease.adjusted(RecipeChanges(weightsPerItem: 0)) }
        #expect(throws: ConfigurationError.self) { try Recipe.als.adjusted(RecipeChanges(weightsPerItem: 50)) }
        let old = #"{"regularization":250,"dropoutEmphasis":0.25,"weighting":{"binary":{}},"memoryLimit":1000}"#
        #expect(try JSONDecoder().decode(EASE.Configuration.self, from: Data(old.utf8)).weightsPerItem == nil)
    }
}

extension SparseEASETests {
    @Test("pruning a dense fit gives the sparse fit; a sparse model is not pruned again")
    func pruningAFit() throws {
        let pruned = try Self.fit(nil).keepingLargestWeights(perItem: 6)
        let fitted = try Self.fit(6)
        #expect(pruned.configuration == fitted.configuration)
        #expect(pruned.itemWeights.toArray() == fitted.itemWeights.toArray())
        #expect(pruned.itemWeightColumns?.toArray() == fitted.itemWeightColumns?.toArray())
        #expect(throws: ConfigurationError.self) { try fitted.keepingLargestWeights(perItem: 3) }
        #expect(throws: ConfigurationError.self) { try Self.fit(nil).keepingLargestWeights(perItem: 0) }
    }
}

extension SparseEASETests {
    @Test("EASE's lists rank its own scores, for readers of a few items and of more than half the catalogue, dense or sparse B, known or folded in")
    func listsRankScores() throws {
        // Reader 1 read 26 of the 30 items (a history row spelled out item by item); the
        // others read 3–8 (a row listing its items).
        var rng = SeededGenerator(seed: 8)
        var users: [RawID] = [], items: [RawID] = [], ratings: [Float] = []
        for u in 1...40 {
            let read = u == 1 ? Array(0..<26) : Array((0..<30).shuffled(using: &rng).prefix(Int.random(in: 3...8, using: &rng)))
            for i in read { users.append(.integer(Int64(u))); items.append(.integer(Int64(i))); ratings.append(Float(Int.random(in: 1...5, using: &rng))) }
        }
        let data = try RatingsDataset(rawUsers: users, rawItems: items, ratings: ratings)
        let rated = data.itemsByUser()
        for configuration in [EASE.Configuration(regularization: 3, weighting: .rating), .init(regularization: 3, weighting: .rating, weightsPerItem: 6)] {
            let model = try EASE(fitting: data, configuration: configuration)
            let scorer = try TopKScorer(model: model, training: data)
            let foldIn = try FoldInRecommender(model: model, training: data)
            for u in 0..<data.userCount {
                let range = rated.offsets[u]..<rated.offsets[u + 1]
                let seen = Set(rated.items[range].map(Int.init))
                let scores = try model.scores(users: [Int32](repeating: Int32(u), count: data.itemCount), items: (0..<Int32(data.itemCount)).map { $0 })
                let best = (0..<data.itemCount).filter { !seen.contains($0) }
                    .sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(4)
                let list = try scorer.recommend(user: UserIndex(Int32(u)), options: .init(k: 4)).map { Int($0.item.offset) }
                #expect(list == Array(best), "\(model.summary), user \(u) (\(range.count) read)")
                let reads = range.map { data.itemIDs.rawID(at: ItemIndex(rated.items[$0]))! }
                let folded = try foldIn.recommend(readItems: reads, ratings: Array(rated.ratings[range]), k: 4)
                #expect(folded.recommendations.map { Int($0.item.offset) } == list, "\(model.summary), user \(u) folded in")
            }
        }
    }
}
