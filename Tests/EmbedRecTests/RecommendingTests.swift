import Dispatch
import Foundation
import Testing
@testable import EmbedRec

// MARK: - Fixtures

/// The models whose top-K is checked against brute force.
enum RecModelKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case matrixFactorization
    case biasedLinearOffset
    case biasedSigmoid
    case mlpNoHiddenLinear
    case mlp8Linear, mlp8Relu, mlp8Sigmoid
    case mlp16x8Linear, mlp16x8Relu, mlp16x8Sigmoid
    case baselineBiases, baselinePopularity, baselineGlobalMean

    var testDescription: String { rawValue }
}

/// Small random problems (37 users × 53 items) for the scorer tests.
enum RecFixture {
    static let users = 37
    static let items = 53

    /// Raw item ID of a dense index (ascending, so the map gives the index back).
    static func rawItemNumber(_ i: Int32) -> Int64 { 1000 + 7 * Int64(i) }
    static func rawItem(_ i: Int32) -> RawID { .integer(rawItemNumber(i)) }
    static let userIDs = UserIDMap(integerIDs: (0..<users).map { Int64($0) + 1 })
    static let itemIDs = ItemIDMap(integerIDs: (0..<Int32(items)).map(rawItemNumber))

    /// Training ratings: user 0 rated nothing, user 1 everything but items 3, 20 and 37,
    /// user 2 every item, the others 0–15 random items with ratings 1…5.
    static func training(seed: UInt64 = 7) throws -> RatingsDataset {
        var rng = SeededGenerator(seed: seed)
        var u: [Int32] = [], it: [Int32] = [], r: [Float] = []
        for user in 0..<users {
            let chosen: [Int]
            switch user {
            case 0: chosen = []
            case 1: chosen = (0..<items).filter { $0 % 17 != 3 }
            case 2: chosen = Array(0..<items)
            default:
                var all = Array(0..<items)
                rng.shuffle(&all)
                chosen = Array(all.prefix(rng.nextInt(below: 16)))
            }
            for i in chosen {
                u.append(Int32(user)); it.append(Int32(i)); r.append(Float(1 + rng.nextInt(below: 5)))
            }
        }
        return try RatingsDataset(users: u, items: it, ratings: r, userIDs: userIDs, itemIDs: itemIDs)
    }

    /// A model of `kind` with random weights (every bias random too), or a baseline fitted on `train`.
    static func model(_ kind: RecModelKind, train: RatingsDataset, seed: UInt64 = 11) throws -> any Model {
        var rng = SeededGenerator(seed: seed &+ 1000)
        func mlp(_ hidden: [Int], _ output: OutputActivation) throws -> ConcatMLP {
            let m = try ConcatMLP(users: users, items: items, configuration: .init(
                userDimension: 5, itemDimension: 4, hiddenUnits: hidden, output: output,
                embeddingInitializer: .uniform(0.5), seed: seed))
            for t in m.parameters where t.role == .bias {
                try t.assign(randomFloats(t.count, &rng, range: -0.5...0.5))
            }
            if case .relu = output {
                // Mostly positive outputs, so the ReLU case is not all ties at zero.
                m.parameter(named: "output_bias")![0] += 1
            }
            return m
        }
        switch kind {
        case .matrixFactorization:
            return try MatrixFactorization(users: users, items: items, configuration: .init(
                dimension: 6, initializer: .uniform(0.5), seed: seed))
        case .biasedLinearOffset, .biasedSigmoid:
            let sigmoid = kind == .biasedSigmoid
            let m = try BiasedMF(users: users, items: items, configuration: .init(
                dimension: 6, initializer: .uniform(0.5), globalOffset: sigmoid ? 0.25 : 3.5,
                output: sigmoid ? .sigmoidScaled(min: 1, max: 5) : .linear, seed: seed))
            try m.userBias.assign(randomFloats(users, &rng))
            try m.itemBias.assign(randomFloats(items, &rng))
            return m
        case .mlpNoHiddenLinear: return try mlp([], .linear)
        case .mlp8Linear: return try mlp([8], .linear)
        case .mlp8Relu: return try mlp([8], .relu)
        case .mlp8Sigmoid: return try mlp([8], .sigmoidScaled(min: 1, max: 5))
        case .mlp16x8Linear: return try mlp([16, 8], .linear)
        case .mlp16x8Relu: return try mlp([16, 8], .relu)
        case .mlp16x8Sigmoid: return try mlp([16, 8], .sigmoidScaled(min: 0.5, max: 5))
        case .baselineBiases: return try BaselineModel(.biases, fittedOn: train)
        case .baselinePopularity: return try BaselineModel(.popularity, fittedOn: train)
        case .baselineGlobalMean: return try BaselineModel(.globalMean, fittedOn: train)
        }
    }

    /// `model.predict` for `user` against every item.
    static func predictions(_ model: any Model, user: Int32) throws -> [Float] {
        let n = model.itemCount
        return try model.scores(users: [Int32](repeating: user, count: n), items: (0..<Int32(n)).map { $0 })
    }

    /// Brute-force top K of `candidates` by `keys`, descending, ties by the lower index.
    static func bruteForceTopK(keys: [Float], candidates: [Int32], k: Int) -> [Int32] {
        Array(candidates.sorted { a, b in
            keys[Int(a)] != keys[Int(b)] ? keys[Int(a)] > keys[Int(b)] : a < b
        }.prefix(max(0, k)))
    }

    static func close(_ a: Float, _ b: Float, rel: Float = 1e-4) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        return abs(a - b) <= rel * max(1, abs(a), abs(b))
    }

    /// Differences between a top-K list and the brute-force one, as messages (empty = match).
    /// Positions may only differ where the brute-force keys are equal within the tolerance;
    /// `ratings`, when given, must equal `predictions` of the returned item.
    static func compare(
        got: [Int32], ratings: [Float]?, expected: [Int32], keys: [Float], predictions: [Float]?,
        candidates: Set<Int32>, context: String
    ) -> [String] {
        var problems: [String] = []
        guard got.count == expected.count else {
            return ["\(context): \(got.count) items, expected \(expected.count): got \(got) expected \(expected)"]
        }
        if Set(got).count != got.count { problems.append("\(context): duplicate items \(got)") }
        for j in got.indices {
            let g = got[j], e = expected[j]
            guard g >= 0, Int(g) < keys.count, candidates.contains(g) else {
                problems.append("\(context): rank \(j) item \(g) is not a candidate"); continue
            }
            if g != e && !close(keys[Int(g)], keys[Int(e)]) {
                problems.append("\(context): rank \(j) item \(g) (key \(keys[Int(g)])) but expected \(e) (key \(keys[Int(e)]))")
            }
            if let ratings, let predictions, !close(ratings[j], predictions[Int(g)]) {
                problems.append("\(context): rank \(j) item \(g) predicted \(ratings[j]), model.predict says \(predictions[Int(g)])")
            }
        }
        return problems
    }

    /// Bitwise equality, NaN equal to NaN.
    static func same(_ a: Float, _ b: Float) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }
}

/// Results written from concurrent workers.
final class RecLockedResults<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Int: Value] = [:]
    private var errors: [String] = []
    func set(_ key: Int, _ value: Value) { lock.lock(); storage[key] = value; lock.unlock() }
    func fail(_ message: String) { lock.lock(); errors.append(message); lock.unlock() }
    var values: [Int: Value] { lock.lock(); defer { lock.unlock() }; return storage }
    var failures: [String] { lock.lock(); defer { lock.unlock() }; return errors }
}

// MARK: - Top-K scoring

@Suite("Recommending: top-K scoring")
struct RecommendingTopKTests {
    @Test("TopKScorer equals brute force over model.predict for every block, tile and K", arguments: RecModelKind.allCases)
    func matchesBruteForce(_ kind: RecModelKind) throws {
        let train = try RecFixture.training()
        let model = try RecFixture.model(kind, train: train)
        let seen = train.itemsByUser()
        let users = (0..<Int32(RecFixture.users)).map { $0 }
        let predictions = try users.map { try RecFixture.predictions(model, user: $0) }
        // Every model ranks by its score; popularity's score is the training count.
        let keys = predictions
        if kind == .baselinePopularity {
            let counts = train.ratingsPerItem().map(Float.init)
            #expect(predictions.allSatisfy { $0 == counts }, "popularity scores are not the training counts")
        }
        // The problem is not degenerate: scores differ between items (counts tie more often;
        // the global mean is one value).
        if kind != .baselineGlobalMean {
            #expect(Set(predictions[5]).count > (kind == .baselinePopularity ? 5 : RecFixture.items / 2), "\(predictions[5])")
        }
        var problems: [String] = []
        var positions = 0, exactPositions = 0
        for blockSize in [1, 5, 1024] {
            for tileSize in [8, 13, 16, 48, 1024] {
                let scorer = try TopKScorer(model: model, training: train, blockSize: blockSize, tileSize: tileSize)
                #expect(scorer.itemCount == RecFixture.items && scorer.userCount == RecFixture.users)
                for k in [1, 10, 60] {
                    let options = RecommendationOptions(k: k)
                    let lists = try scorer.recommend(users: users.map(UserIndex.init), options: options)
                    let flat = try scorer.recommendAll(options: options)
                    #expect(flat.k == min(k, RecFixture.items))
                    #expect(flat.users == users.map(UserIndex.init))
                    #expect(flat.items.count == users.count * flat.k)
                    for u in users {
                        let context = "\(kind) block \(blockSize) tile \(tileSize) k \(k) user \(u)"
                        let rated = Set(seen.items(of: Int(u)))
                        let candidates = (0..<Int32(RecFixture.items)).filter { !rated.contains($0) }
                        let expected = RecFixture.bruteForceTopK(keys: keys[Int(u)], candidates: candidates, k: k)
                        let got = lists[Int(u)]
                        let ratings = got.map(\.score)
                        problems += RecFixture.compare(
                            got: got.map(\.item.position), ratings: ratings, expected: expected, keys: keys[Int(u)],
                            predictions: predictions[Int(u)], candidates: Set(candidates), context: context)
                        positions += expected.count
                        exactPositions += zip(got.map(\.item.position), expected).filter { g, e in
                            g == e || (g >= 0 && keys[Int(u)][Int(g)] == keys[Int(u)][Int(e)])
                        }.count
                        // Raw IDs come from the training set's map.
                        if got.contains(where: { $0.rawItemID != RecFixture.rawItem($0.item.position) }) {
                            problems.append("\(context): wrong raw IDs \(got)")
                        }
                        // The flat result: same items, −1 padding past what is available, same ratings.
                        let row = flat.items[(Int(u) * flat.k)..<((Int(u) + 1) * flat.k)]
                        if Array(row.prefix(got.count)) != got.map(\.item.position) || !row.dropFirst(got.count).allSatisfy({ $0 == -1 }) {
                            problems.append("\(context): flat row \(Array(row)) vs \(got.map(\.item.position))")
                        }
                        if Array(flat.items(forRow: Int(u))) != got.map(\.item.position) {
                            problems.append("\(context): items(forRow:) \(flat.items(forRow: Int(u)))")
                        }
                        for j in got.indices where !RecFixture.same(flat.score(row: Int(u), rank: j), got[j].score) {
                            problems.append("\(context): flat rating \(flat.score(row: Int(u), rank: j)) vs \(got[j].score)")
                        }
                    }
                    // Everything that remains, for K beyond the catalogue: user 0 rated nothing,
                    // user 1 left three items, user 2 none.
                    if k == 60 {
                        #expect(lists[0].count == RecFixture.items)
                        #expect(lists[1].map(\.item.position).sorted() == [3, 20, 37])
                        #expect(lists[2].isEmpty)
                        #expect(flat.items(forRow: 2).isEmpty)
                        #expect(flat.items[(2 * flat.k)..<(3 * flat.k)].allSatisfy { $0 == -1 })
                    }
                    if k == 10 {
                        #expect(lists[1].count == 3)
                        #expect(Array(flat.items[(1 * 10 + 3)..<(2 * 10)]) == [Int32](repeating: -1, count: 7))
                    }
                    #expect(lists.allSatisfy { $0.allSatisfy { $0.item >= 0 } })
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.count) problems, first: \(problems.prefix(8))")
        // Near-ties may swap, but almost every position is exact (all of them for exact ties).
        #expect(exactPositions * 100 >= positions * 99, "\(exactPositions) of \(positions) positions exact")
    }

    @Test("rated, excluded and allowed items; K ≤ 0 and bad indices throw")
    func exclusionAndValidation() throws {
        let train = try RecFixture.training()
        let seen = train.itemsByUser()
        let allItems = (0..<Int32(RecFixture.items)).map { $0 }
        for kind in [RecModelKind.biasedLinearOffset, .mlp16x8Sigmoid] {
            let model = try RecFixture.model(kind, train: train)
            let users = (0..<Int32(RecFixture.users)).map { $0 }
            let predictions = try users.map { try RecFixture.predictions(model, user: $0) }
            let excluded: [Int32] = [40, 3, 3, 17, 52, 0]
            let allowed: [Int32] = [50, 3, 20, 20, 7, 8, 9, 37, 44, 12, 13, 30, 31, 26, 0, 52]
            var problems: [String] = []
            for tileSize in [8, 13, 16, 48, 1024] {
                let scorer = try TopKScorer(model: model, training: train, blockSize: 4, tileSize: tileSize)
                for k in [1, 5, 100] {
                    func check(_ options: RecommendationOptions, _ candidatesOf: (Int32) -> [Int32], _ label: String) throws {
                        let lists = try scorer.recommend(users: users.map(UserIndex.init), options: options)
                        for u in users {
                            let candidates = candidatesOf(u)
                            let expected = RecFixture.bruteForceTopK(keys: predictions[Int(u)], candidates: candidates, k: k)
                            problems += RecFixture.compare(
                                got: lists[Int(u)].map(\.item.position), ratings: lists[Int(u)].map(\.score),
                                expected: expected, keys: predictions[Int(u)], predictions: predictions[Int(u)],
                                candidates: Set(candidates), context: "\(kind) \(label) tile \(tileSize) k \(k) user \(u)")
                        }
                    }
                    let rated = { (u: Int32) in Set(seen.items(of: Int(u))) }
                    // Default: rated items never come back.
                    try check(.init(k: k), { u in allItems.filter { !rated(u).contains($0) } }, "excludeRated")
                    // Without the exclusion every item is a candidate.
                    try check(.init(k: k, excludeRated: false), { _ in allItems }, "includeRated")
                    // Excluded items (unsorted, repeated) never come back.
                    try check(.init(k: k, excludedItems: excluded.map(ItemIndex.init)),
                              { u in allItems.filter { !rated(u).contains($0) && !excluded.contains($0) } }, "excluded")
                    // Allowed items restrict the candidates; exclusions still apply.
                    try check(.init(k: k, allowedItems: allowed.map(ItemIndex.init)),
                              { u in allItems.filter { allowed.contains($0) && !rated(u).contains($0) } }, "allowed")
                    try check(.init(k: k, excludeRated: false, excludedItems: excluded.map(ItemIndex.init), allowedItems: allowed.map(ItemIndex.init)),
                              { _ in allItems.filter { allowed.contains($0) && !excluded.contains($0) } }, "allowed+excluded")
                    try check(.init(k: k, allowedItems: []), { _ in [] }, "allowed empty")
                }
            }
            #expect(problems.isEmpty, "\(problems.count) problems, first: \(problems.prefix(8))")

            let scorer = try TopKScorer(model: model, training: train)
            // User 1 rated 50 of 53 items: with rated items allowed its top 10 must contain some.
            let withRated = try scorer.recommend(user: 1, options: .init(k: 10, excludeRated: false))
            #expect(withRated.count == 10)
            #expect(withRated.contains { seen.items(of: 1).contains($0.item.position) })
            #expect(try scorer.recommend(user: 2, options: .init(k: 10)).isEmpty)
            #expect(try scorer.recommend(user: 2, options: .init(k: 10, excludeRated: false)).count == 10)
            // Allowing nothing pads every flat row.
            let none = try scorer.recommendAll(options: .init(k: 4, allowedItems: []))
            #expect(none.items.allSatisfy { $0 == -1 })
            // The same user twice gets the same list. Its scores may differ in the last bit: a
            // user's row sits at another position of the sgemm block, and BLAS kernels handle
            // edge rows with a different summation order (seen with OpenBLAS's Prescott kernels).
            let twice = try scorer.recommend(users: [5, 9, 5], options: .init(k: 7))
            #expect(twice[0].map(\.item.position) == twice[2].map(\.item.position))
            #expect(zip(twice[0], twice[2]).allSatisfy { abs($0.score - $1.score) <= 1e-5 * abs($0.score) })
            #expect(try scorer.recommendFlat(users: [], options: .init(k: 3)).items.isEmpty)

            // Validation.
            for k in [0, -1] {
                #expect(throws: RecommenderError.invalidK(k)) { _ = try scorer.recommend(user: 0, options: .init(k: k)) }
                #expect(throws: RecommenderError.invalidK(k)) { _ = try scorer.recommendAll(options: .init(k: k)) }
            }
            #expect(throws: RecommenderError.indexOutOfRange(what: "user", index: 37, count: 37)) {
                _ = try scorer.recommend(user: 37, options: .init(k: 3))
            }
            #expect(throws: RecommenderError.indexOutOfRange(what: "user", index: -1, count: 37)) {
                _ = try scorer.recommend(users: [0, -1], options: .init(k: 3))
            }
            #expect(throws: RecommenderError.indexOutOfRange(what: "item", index: 53, count: 53)) {
                _ = try scorer.recommend(user: 0, options: .init(k: 3, excludedItems: [1, 53]))
            }
            #expect(throws: RecommenderError.indexOutOfRange(what: "item", index: -1, count: 53)) {
                _ = try scorer.recommend(user: 0, options: .init(k: 3, allowedItems: [4, -1]))
            }
            #expect(throws: RecommenderError.indexOutOfRange(what: "item", index: 99, count: 53)) {
                _ = try scorer.recommendAll(options: .init(k: 3, allowedItems: [99]))
            }
        }
    }

    @Test("without training data nothing is excluded and raw IDs are the dense indices; extra model users are unrestricted")
    func scorerWithoutTrainingData() throws {
        let train = try RecFixture.training()
        let model = try RecFixture.model(.matrixFactorization, train: train)
        let scorer = try TopKScorer(model: model)
        let top = try scorer.recommend(user: 2, options: .init(k: 60))
        #expect(top.count == RecFixture.items)
        #expect(top.allSatisfy { $0.rawItemID == .integer(Int64($0.item.position)) })
        let p = try RecFixture.predictions(model, user: 2)
        #expect(top.map(\.item.position) == RecFixture.bruteForceTopK(keys: p, candidates: (0..<53).map { $0 }, k: 60))

        // A model with more users than the training set: the extra users have nothing to exclude.
        let bigger = try MatrixFactorization(users: 40, items: RecFixture.items, configuration: .init(
            dimension: 4, initializer: .uniform(0.5), seed: 3))
        let s = try TopKScorer(model: bigger, training: train, tileSize: 8)
        #expect(s.userCount == 40)
        let extra = try s.recommend(user: 39, options: .init(k: 100))
        #expect(extra.count == RecFixture.items)
        let p39 = try RecFixture.predictions(bigger, user: 39)
        #expect(extra.map(\.item.position) == RecFixture.bruteForceTopK(keys: p39, candidates: (0..<53).map { $0 }, k: 100))
        // Known users still lose their rated items.
        #expect(try s.recommend(user: 2, options: .init(k: 5)).isEmpty)
    }

    @Test("block and tile sizes are clamped: block ≥ 1, tile ≥ 8")
    func sizeClamping() throws {
        let model = try RecFixture.model(.matrixFactorization, train: RecFixture.training())
        let scorer = try TopKScorer(model: model, blockSize: 0, tileSize: 1)
        #expect(scorer.blockSize == 1)
        #expect(scorer.tileSize == 8)
        let reference = try TopKScorer(model: model, blockSize: 64, tileSize: 1024)
        #expect(try scorer.recommendAll(options: .init(k: 10)).items == reference.recommendAll(options: .init(k: 10)).items)
    }

    @Test("exact ties come back lowest index first, for every block, tile, K, thread count and run")
    func tiesBreakByLowerIndex() throws {
        // Integer embeddings: every score is an exact small integer, so ties are exact whatever
        // order sgemm sums in. Item rows cycle through five patterns; users through four.
        let users = 11, items = 61
        let model = try MatrixFactorization(users: users, items: items, configuration: .init(dimension: 3))
        let itemPatterns: [[Float]] = [[1, 0, 0], [0, 1, 0], [1, 1, 0], [2, 0, 1], [0, 0, 0]]
        let userPatterns: [[Float]] = [[1, 1, 1], [1, 0, 0], [0, 2, 1], [0, 0, 0]]
        try model.itemEmbedding.assign((0..<items).flatMap { itemPatterns[($0 * 7) % 5] })
        try model.userEmbedding.assign((0..<users).flatMap { userPatterns[$0 % 4] })
        // Training: user u rated items u, u+11, u+22 (so exclusions interleave with the ties).
        var tu: [Int32] = [], ti: [Int32] = []
        for u in 0..<users { for i in [u, u + 11, u + 22] { tu.append(Int32(u)); ti.append(Int32(i)) } }
        let train = try RatingsDataset(
            users: tu, items: ti, ratings: [Float](repeating: 3, count: tu.count),
            userIDs: IDMap(integerIDs: (0..<Int64(users))), itemIDs: IDMap(integerIDs: (0..<Int64(items))))
        var reference: [Int: [Int32]] = [:]
        for k in [1, 5, 17, 100] {
            var expected: [[Int32]] = []
            for u in 0..<Int32(users) {
                let p = try RecFixture.predictions(model, user: u)
                #expect(p.allSatisfy { $0 == $0.rounded() })
                let rated: Set<Int32> = [u, u + 11, u + 22]
                expected.append(RecFixture.bruteForceTopK(
                    keys: p, candidates: (0..<Int32(items)).filter { !rated.contains($0) }, k: k))
            }
            // A user with a zero row ties everything: the lowest unrated indices.
            #expect(expected[3] == Array((0..<Int32(items)).filter { ![3, 14, 25].contains($0) }.prefix(k)))
            for blockSize in [1, 3, 1024] {
                for tileSize in [8, 9, 13, 16, 48, 1024] {
                    for parallelism in [Parallelism.sequential, Parallelism(threads: 4)] {
                        let scorer = try TopKScorer(model: model, training: train, blockSize: blockSize,
                                                tileSize: tileSize, parallelism: parallelism)
                        for _ in 0..<2 {
                            let all = try scorer.recommendAll(options: .init(k: k))
                            let lists = (0..<users).map { Array(all.items(forRow: $0)) }
                            #expect(lists == expected, "block \(blockSize) tile \(tileSize) k \(k)")
                            let reversed = try scorer.recommend(users: (0..<Int32(users)).reversed().map(UserIndex.init), options: .init(k: k))
                            #expect(reversed.reversed().map { $0.map(\.item.position) } == expected)
                        }
                    }
                }
            }
            reference[k] = expected[0]
        }
        // Global-mean baseline: everything ties, so the list is the lowest unrated indices.
        let baseline = try BaselineModel(.globalMean, fittedOn: train)
        for tileSize in [8, 13] {
            let top = try TopKScorer(model: baseline, training: train, tileSize: tileSize)
                .recommend(user: 4, options: .init(k: 20))
            #expect(top.map(\.item.position) == Array((0..<Int32(items)).filter { ![4, 15, 26].contains($0) }.prefix(20)))
            #expect(top.allSatisfy { $0.score == 3 })
        }
        #expect(reference[100]?.count == items - 3)
    }

    @Test("a NaN score is never selected and does not hide the other items in its group")
    func nanScoresAreSkipped() throws {
        let model = try MatrixFactorization(users: 2, items: 40, configuration: .init(
            dimension: 2, initializer: .uniform(0.5), seed: 9))
        // Items 0, 8 and 21 score NaN for every user: the first two open a group of eight in
        // the selection loop (where a NaN once made the group maximum NaN and hid the group).
        let nanItems: Set<Int32> = [0, 8, 21]
        var q = model.itemEmbedding.toArray()
        for i in nanItems { q[Int(i) * 2] = .nan; q[Int(i) * 2 + 1] = .nan }
        try model.itemEmbedding.assign(q)
        let p = try RecFixture.predictions(model, user: 1)
        #expect(nanItems.allSatisfy { p[Int($0)].isNaN })
        let candidates = (0..<Int32(40)).filter { !nanItems.contains($0) }
        for tileSize in [8, 13, 16, 48, 1024] {
            let scorer = try TopKScorer(model: model, tileSize: tileSize)
            for k in [5, 40] {
                let got = try scorer.recommend(user: 1, options: .init(k: k))
                let expected = RecFixture.bruteForceTopK(keys: p, candidates: candidates, k: k)
                #expect(got.map(\.item.position) == expected, "tile \(tileSize) k \(k): got \(got.count) items: \(got.map(\.item.position))")
                #expect(got.allSatisfy { !$0.score.isNaN })
            }
        }
        // The same for similar items: a NaN row is never a neighbour and hides nothing.
        var table = model.itemEmbedding.toArray()
        table[2 * 3] = 0; table[2 * 3 + 1] = 0   // item 3 is a zero row
        let similar = try SimilarItems(embeddings: table, dimension: 2)
        let neighbours = try similar.similar(to: [5], k: 100)
        #expect(neighbours.count == 40 - nanItems.count - 2, "\(neighbours.map(\.item.position))")
        #expect(!neighbours.contains { nanItems.contains($0.item.position) || $0.item == 3 || $0.item == 5 })
    }
}

// MARK: - Thread safety

@Suite("Recommending: concurrency")
struct RecommendingConcurrencyTests {
    @Test("one scorer and model shared by 16 concurrent workers gives the sequential results",
          arguments: [RecModelKind.biasedSigmoid, .mlp16x8Relu, .baselineBiases])
    func concurrentUseMatchesSequential(_ kind: RecModelKind) throws {
        let train = try RecFixture.training()
        let model = try RecFixture.model(kind, train: train)
        let scorer = try TopKScorer(model: model, training: train, blockSize: 5, tileSize: 13)
        let options = RecommendationOptions(k: 10)
        let userOf: @Sendable (Int) -> Int32 = { i in Int32((i * 5) % 7 + (i % 3) * 11) }   // repeats some users
        let sequential = try (0..<16).map { try scorer.recommend(user: UserIndex(userOf($0)), options: options) }
        let sequentialAll = try scorer.recommendAll(options: options)
        let sequentialPredictions = try RecFixture.predictions(model, user: 4)
        let results = RecLockedResults<[Recommendation]>()
        let flat = RecLockedResults<[Int32]>()
        let predicted = RecLockedResults<[Float]>()
        for _ in 0..<3 {
            DispatchQueue.concurrentPerform(iterations: 16) { i in
                do {
                    results.set(i, try scorer.recommend(user: UserIndex(userOf(i)), options: options))
                    if i % 4 == 0 {
                        let all = try scorer.recommendAll(options: options)
                        flat.set(i, all.items)
                    }
                    if i % 4 == 1 { predicted.set(i, try RecFixture.predictions(model, user: 4)) }
                } catch {
                    results.fail("worker \(i): \(error)")
                }
            }
            #expect(results.failures.isEmpty, "\(results.failures)")
            let got = results.values
            #expect(got.count == 16)
            for i in 0..<16 { #expect(got[i] == sequential[i], "worker \(i)") }
            #expect(flat.values.count == 4)
            for (_, items) in flat.values { #expect(items == sequentialAll.items) }
            for (_, p) in predicted.values { #expect(p == sequentialPredictions) }
        }
    }

    @Test("concurrent similar-items and fold-in requests match the sequential ones")
    func concurrentSimilarAndFoldIn() throws {
        let train = try RecFixture.training()
        let model = try RecFixture.model(.biasedLinearOffset, train: train)
        let similar = try SimilarItems(model: model)
        let foldIn = try FoldInRecommender(model: model, training: train)
        let query: @Sendable (Int) -> [Int32] = { i in [Int32(i % 53), Int32((i * 7) % 53)] }
        let reads: @Sendable (Int) -> [RawID] = { i in [RecFixture.rawItem(Int32(i)), RecFixture.rawItem(Int32(i + 20))] }
        let expectedSimilar = try (0..<16).map { try similar.similar(to: query($0).map(ItemIndex.init), k: 8) }
        let expectedFold = try (0..<16).map { try foldIn.recommend(readItems: reads($0), ratings: [5, 2], k: 8).recommendations }
        let s = RecLockedResults<[SimilarItems.Neighbour]>()
        let f = RecLockedResults<[Recommendation]>()
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            do {
                s.set(i, try similar.similar(to: query(i).map(ItemIndex.init), k: 8))
                f.set(i, try foldIn.recommend(readItems: reads(i), ratings: [5, 2], k: 8).recommendations)
            } catch { s.fail("\(i): \(error)") }
        }
        #expect(s.failures.isEmpty)
        for i in 0..<16 {
            #expect(s.values[i] == expectedSimilar[i])
            #expect(f.values[i] == expectedFold[i])
        }
    }
}

// MARK: - Similar items

@Suite("Recommending: similar items")
struct SimilarItemsTests {
    /// Brute-force cosine neighbours in Double.
    static func bruteForce(_ table: [Float], dimension d: Int, query: [Int32]) -> (keys: [Float], candidates: [Int32]) {
        let n = table.count / d
        func row(_ i: Int) -> [Double] { (0..<d).map { Double(table[i * d + $0]) } }
        func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        var q = [Double](repeating: 0, count: d)
        for i in query {
            let r = row(Int(i)), nr = norm(r)
            if nr > 0 { for f in 0..<d { q[f] += r[f] / nr } }
        }
        let nq = norm(q)
        var keys = [Float](repeating: -.infinity, count: n)
        var candidates: [Int32] = []
        guard nq > 0 else { return (keys, []) }
        for j in 0..<n {
            let r = row(j), nr = norm(r)
            guard nr > 0, !query.contains(Int32(j)) else { continue }
            keys[j] = Float(zip(r, q).reduce(0) { $0 + $1.0 * $1.1 } / (nr * nq))
            candidates.append(Int32(j))
        }
        return (keys, candidates)
    }

    @Test("cosine top-K equals brute force; query items and zero rows are never returned")
    func matchesBruteForce() throws {
        let n = 53, d = 6
        var rng = SeededGenerator(seed: 21)
        var table = randomFloats(n * d, &rng)
        for zero in [5, 20] { for f in 0..<d { table[zero * d + f] = 0 } }
        let ids = ItemIDMap(integerIDs: (0..<Int32(n)).map(RecFixture.rawItemNumber))
        let index = try SimilarItems(embeddings: table, dimension: d, itemIDs: ids)
        let plain = try SimilarItems(embeddings: table, dimension: d)
        #expect(index.itemCount == n)
        var problems: [String] = []
        let queries: [[Int32]] = [[0], [7], [52], [3, 9], [1, 2, 30, 44], [10, 10], [5, 6], [20, 21, 22]]
        for query in queries {
            let (keys, candidates) = Self.bruteForce(table, dimension: d, query: query)
            for k in [1, 10, 100] {
                let got = try index.similar(to: query.map(ItemIndex.init), k: k)
                let expected = RecFixture.bruteForceTopK(keys: keys, candidates: candidates, k: k)
                problems += RecFixture.compare(
                    got: got.map(\.item.position), ratings: got.map(\.similarity), expected: expected, keys: keys,
                    predictions: keys, candidates: Set(candidates), context: "query \(query) k \(k)")
                if got.contains(where: { $0.rawItemID != RecFixture.rawItem($0.item.position) }) { problems.append("raw IDs \(got)") }
                if got.contains(where: { $0.similarity < -1.0001 || $0.similarity > 1.0001 }) { problems.append("range \(got)") }
                let withoutIDs = try plain.similar(to: query.map(ItemIndex.init), k: k)
                if withoutIDs.map(\.item.position) != got.map(\.item.position) || withoutIDs.contains(where: { $0.rawItemID != .integer(Int64($0.item.position)) }) {
                    problems.append("without IDs \(withoutIDs)")
                }
            }
            // Everything that can be returned: all items but the query and the two zero rows.
            let all = try index.similar(to: query.map(ItemIndex.init), k: 100)
            let queried = Set(query)
            #expect(all.count == n - queried.union([5, 20]).count, "\(query)")
            #expect(!all.contains { queried.contains($0.item.position) || $0.item == 5 || $0.item == 20 })
        }
        #expect(problems.isEmpty, "\(problems.count) problems, first: \(problems.prefix(8))")
        // A repeated item is the same query as the item alone (minus nothing: it is excluded anyway).
        #expect(try index.similar(to: [10, 10], k: 5) == index.similar(to: [10], k: 5))
        // A zero row adds no direction.
        #expect(try index.similar(to: [5, 6], k: 50).map(\.item.position) == index.similar(to: [6], k: 50).map(\.item.position).filter { $0 != 5 })
        // An item's nearest neighbour by a hand-made table: rows 0 and 2 point the same way.
        let hand = try SimilarItems(embeddings: [1, 0, 0, 1, 3, 0.1, -1, 0], dimension: 2)
        let nn = try hand.similar(to: [0], k: 3)
        #expect(nn.map(\.item.position) == [2, 1, 3])
        #expect(abs(nn[0].similarity - 3 / (9.01 as Float).squareRoot()) < 1e-6)
        #expect(abs(nn[1].similarity) < 1e-6)
        #expect(abs(nn[2].similarity + 1) < 1e-6)
    }

    @Test("a query whose directions cancel returns nothing; a zero-row query returns nothing")
    func degenerateQueries() throws {
        let index = try SimilarItems(embeddings: [1, 0, -1, 0, 0, 1, 0, 0], dimension: 2)
        #expect(try index.similar(to: [0, 1], k: 3).isEmpty)
        #expect(try index.similar(to: [3], k: 3).isEmpty)
        #expect(try index.similar(to: [2], k: 5).map(\.item.position) == [0, 1])
    }

    @Test("invalid requests and tables throw")
    func validation() throws {
        let index = try SimilarItems(embeddings: [1, 0, 0, 1, 1, 1], dimension: 2)
        for k in [0, -3] {
            #expect(throws: RecommenderError.invalidK(k)) { _ = try index.similar(to: [0], k: k) }
        }
        #expect(throws: RecommenderError.emptyQuery) { _ = try index.similar(to: [], k: 2) }
        #expect(throws: RecommenderError.indexOutOfRange(what: "item", index: 3, count: 3)) { _ = try index.similar(to: [0, 3], k: 2) }
        #expect(throws: RecommenderError.indexOutOfRange(what: "item", index: -1, count: 3)) { _ = try index.similar(to: [-1], k: 2) }
        let bad: [([Float], Int)] = [([], 2), ([1, 2, 3], 2), ([1, 2], 0)]
        for (values, d) in bad {
            #expect(throws: ConfigurationError.self) { _ = try SimilarItems(embeddings: values, dimension: d) }
        }
        let train = try RecFixture.training()
        let baseline = try BaselineModel(.biases, fittedOn: train)
        #expect(throws: RecommenderError.noItemEmbedding(baseline.summary)) { _ = try SimilarItems(model: baseline) }
    }

    @Test("SimilarItems(model:) uses the item embedding table", arguments: [RecModelKind.matrixFactorization, .biasedSigmoid, .mlp8Relu])
    func fromModel(_ kind: RecModelKind) throws {
        let train = try RecFixture.training()
        let model = try RecFixture.model(kind, train: train)
        let table = try model.itemEmbeddingTable()
        let fromModel = try SimilarItems(model: model, itemIDs: train.itemIDs, acceptingNonDotProductModels: true)
        let fromTable = try SimilarItems(embeddings: table.toArray(), dimension: table.rowLength)
        for query: [Int32] in [[0], [11, 40]] {
            let a = try fromModel.similar(to: query.map(ItemIndex.init), k: 12), b = try fromTable.similar(to: query.map(ItemIndex.init), k: 12)
            #expect(a.map(\.item.position) == b.map(\.item.position))
            #expect(a.map(\.similarity) == b.map(\.similarity))
            #expect(a.allSatisfy { $0.rawItemID == RecFixture.rawItem($0.item.position) })
        }
    }
}

// MARK: - Fold-in

/// A BiasedMF trained on planted synthetic data, shared by the fold-in tests.
enum RecTrainedFixture {
    struct Trained: Sendable {
        let data: RatingsDataset
        let model: BiasedMF
        let seconds: Double
    }

    static let trained: Result<Trained, any Error> = Result(catching: {
        let data = try SyntheticRatings.generate(.init(users: 300, items: 150, ratings: 15_000))
        let model = try BiasedMF(for: data, configuration: .init(
            dimension: 8, globalOffset: data.meanRating!, output: .linear, seed: 5))
        let start = Date()
        try Trainer(configuration: .init(
            epochs: 12, batchSize: 64, optimizer: .adam(learningRate: 0.01), embeddingL2: 1e-4,
            seed: 3, deterministic: true)).fit(model, on: data)
        return Trained(data: data, model: model, seconds: Date().timeIntervalSince(start))
    })

    static func get() throws -> Trained { try trained.get() }
}

@Suite("Recommending: fold-in")
struct FoldInTests {
    @Test("at λ = 0 one read book still folds in: a ridge floor keeps the singular system solvable; the read book is never listed")
    func ridgeFloorAtZero() throws {
        let data = try SyntheticRatings.generate(.init(users: 50, items: 30, ratings: 600, seed: 17))
        for model in [try BiasedMF(for: data, configuration: .init(dimension: 4, initializer: .normal(std: 0.3), globalOffset: 3)) as any Model,
                      try MatrixFactorization(for: data, configuration: .init(dimension: 4, initializer: .normal(std: 0.3)))] {
            var foldIn = try FoldInRecommender(model: model, training: data)
            foldIn.regularization = 0
            let book = data.itemIDs.rawIDs[3]
            let result = try foldIn.recommend(readItems: [book], ratings: [5], k: data.itemCount)
            #expect(!result.isPopularityFallback && result.userRow.allSatisfy(\.isFinite), "\(model.summary)")
            #expect(result.recommendations.count == data.itemCount - 1 && !result.recommendations.contains { $0.rawItemID == book },
                    "\(model.summary): the read book is listed, or items are missing")
        }
    }

    @Test("fold-in of a training user's reads agrees with the trained user's top 10")
    func agreesWithTrainedUsers() throws {
        let t = try RecTrainedFixture.get()
        let data = t.data
        let rmse = try RatingMetrics(model: t.model, data: data).rmse
        let seen = data.itemsByUser()
        let scorer = try TopKScorer(model: t.model, training: data)
        let foldIn = try FoldInRecommender(model: t.model, training: data)
        let users = (0..<data.userCount).filter { seen.offsets[$0 + 1] - seen.offsets[$0] >= 20 }.prefix(40)
        #expect(users.count == 40)
        var overlaps: [Double] = []
        for u in users {
            let range = seen.offsets[u]..<seen.offsets[u + 1]
            let read = seen.items[range].map { data.itemIDs.rawID(at: ItemIndex($0))! }
            let ratings = Array(seen.ratings[range])
            let folded = try foldIn.recommend(readItems: read, ratings: ratings, k: 10)
            #expect(!folded.isPopularityFallback && folded.unknownItemIDs.isEmpty)
            #expect(folded.recommendations.count == 10)
            let readSet = Set(read)
            #expect(!folded.recommendations.contains { readSet.contains($0.rawItemID) })
            #expect(folded.recommendations.allSatisfy { data.itemIDs.rawID(at: $0.item) == $0.rawItemID })
            let known = try scorer.recommend(user: UserIndex(Int32(u)), options: .init(k: 10))
            let common = Set(folded.recommendations.map(\.item.position)).intersection(known.map(\.item.position))
            overlaps.append(Double(common.count) / 10)
        }
        let mean = overlaps.reduce(0, +) / Double(overlaps.count)
        print("fold-in: trained in \(t.seconds) s, training RMSE \(rmse), mean top-10 overlap \(mean) over \(overlaps.count) users, min \(overlaps.min()!)")
        #expect(rmse < 0.8, "the model learned the planted structure (RMSE \(rmse))")
        #expect(mean >= 0.6, "mean top-10 overlap \(mean): \(overlaps)")
    }

    @Test("the fold-in row solves the ridge normal equations and scores match it",
          arguments: [RecModelKind.matrixFactorization, .biasedLinearOffset, .biasedSigmoid])
    func ridgeSolution(_ kind: RecModelKind) throws {
        let train = try RecFixture.training()
        let model = try RecFixture.model(kind, train: train)
        let λ: Float = 0.7
        var foldIn = try FoldInRecommender(model: model, training: train)
        foldIn.regularization = λ
        let reads: [Int32] = [4, 9, 17, 30, 31, 44, 50]
        let ratings: [Float] = [5, 1, 4, 3, 2, 5, 4]
        let result = try foldIn.recommend(readItems: reads.map(RecFixture.rawItem), ratings: ratings, k: 60)
        let d = 6
        let q = (model as! any TrainableModel).parameter(named: "item_embedding")!.toArray()
        let itemBias = (model as! any TrainableModel).parameter(named: "item_bias")?.toArray()
        let hasBias = itemBias != nil
        let unknowns = hasBias ? d + 1 : d
        var activation = OutputActivation.linear
        if let mf = model as? BiasedMF { activation = mf.configuration.output }
        // The row: [p, b_u + μ, 1] with biases, else p.
        #expect(result.userRow.count == (hasBias ? d + 2 : d))
        if hasBias { #expect(result.userRow.last == 1) }
        let x = result.userRow.prefix(unknowns).map(Double.init)
        // A x = rhs with A = Σ f fᵀ + λI, rhs = Σ t f, f = [q_j, 1], t = target − b_j.
        var residual = [Double](repeating: 0, count: unknowns)
        var scale = 1.0
        for r in 0..<unknowns { residual[r] = Double(λ) * x[r] }
        for (j, item) in reads.enumerated() {
            var f = (0..<d).map { Double(q[Int(item) * d + $0]) }
            var target: Double
            switch activation {
            case let .sigmoidScaled(lo, hi):
                let s = min(max(Double((ratings[j] - lo) / (hi - lo)), 0.02), 0.98)
                target = log(s / (1 - s))
            default: target = Double(ratings[j])
            }
            if hasBias { f.append(1); target -= Double(itemBias![Int(item)]) }
            let fx = zip(f, x).reduce(0) { $0 + $1.0 * $1.1 }
            for r in 0..<unknowns { residual[r] += f[r] * fx - target * f[r]; scale = max(scale, abs(target * f[r])) }
        }
        let worst = residual.map(abs).max()!
        #expect(worst <= 1e-4 * scale, "\(kind): normal-equation residual \(residual)")
        // Every item but the reads, each predicted from the row.
        #expect(result.recommendations.count == RecFixture.items - reads.count)
        #expect(!result.recommendations.contains { reads.contains($0.item.position) })
        var keys = [Float](repeating: 0, count: RecFixture.items)
        for i in 0..<RecFixture.items {
            var z = (0..<d).reduce(Float(0)) { $0 + result.userRow[$1] * q[i * d + $1] }
            if hasBias { z += result.userRow[d] + itemBias![i] }
            keys[i] = activation.apply(z)
        }
        let candidates = (0..<Int32(RecFixture.items)).filter { !reads.contains($0) }
        let problems = RecFixture.compare(
            got: result.recommendations.map(\.item.position), ratings: result.recommendations.map(\.score),
            expected: RecFixture.bruteForceTopK(keys: keys, candidates: candidates, k: 60), keys: keys,
            predictions: keys, candidates: Set(candidates), context: "\(kind)")
        #expect(problems.isEmpty, "\(problems.prefix(5))")
    }

    @Test("unknown IDs are reported and ignored; duplicates count once; nil ratings use the 75th percentile")
    func unknownAndDefaultRatings() throws {
        let train = try RecFixture.training()
        let model = try RecFixture.model(.biasedLinearOffset, train: train)
        let foldIn = try FoldInRecommender(model: model, training: train)
        let known = [RecFixture.rawItem(3), RecFixture.rawItem(8), RecFixture.rawItem(40)]
        let base = try foldIn.recommend(readItems: known, ratings: [5, 2, 4], k: 12)
        let mixed = try foldIn.recommend(
            readItems: [999_999, known[0], -5, known[1], known[2], 1001, known[0]],
            ratings: [1, 5, 1, 2, 4, 1, 1], k: 12)
        #expect(mixed.unknownItemIDs == [999_999, -5, 1001])
        #expect(base.unknownItemIDs.isEmpty)
        #expect(!mixed.isPopularityFallback)
        #expect(mixed.recommendations == base.recommendations)
        #expect(mixed.userRow == base.userRow)
        // Without ratings every read counts as the training set's 75th-percentile rating.
        let sorted = train.ratings.sorted()
        let p75 = sorted[min(sorted.count - 1, sorted.count * 3 / 4)]
        let implicit = try foldIn.recommend(readItems: known, k: 12)
        let explicit = try foldIn.recommend(readItems: known, ratings: [p75, p75, p75], k: 12)
        #expect(implicit.recommendations == explicit.recommendations)
        #expect(implicit.userRow == explicit.userRow)
        #expect(implicit.recommendations != base.recommendations)
    }

    @Test("no known item falls back to the most-rated items")
    func popularityFallback() throws {
        let train = try RecFixture.training()
        let model = try RecFixture.model(.matrixFactorization, train: train)
        let foldIn = try FoldInRecommender(model: model, training: train)
        let counts = train.ratingsPerItem()
        let byPopularity: [Int32] = (0..<Int32(RecFixture.items)).sorted { (a: Int32, b: Int32) -> Bool in
            let ca = counts[Int(a)], cb = counts[Int(b)]
            return ca != cb ? ca > cb : a < b
        }
        #expect(counts[Int(byPopularity[0])] > counts[Int(byPopularity[20])])
        for reads: [RawID] in [[], [12345, -1]] {
            let r = try foldIn.recommend(readItems: reads, k: 10)
            #expect(r.isPopularityFallback)
            #expect(r.unknownItemIDs == reads)
            #expect(r.userRow.isEmpty)
            #expect(r.recommendations.map(\.item.position) == Array(byPopularity.prefix(10)))
            #expect(r.recommendations.allSatisfy { $0.rawItemID == RecFixture.rawItem($0.item.position) })
            let counted = r.recommendations.map { counts[$0.item.offset] }
            #expect(counted == counted.sorted(by: >))
            // The fallback's score is the rating count; its predicted rating (a rating model's)
            // the item's mean training rating.
            for rec in r.recommendations {
                let ratings = (0..<train.count).filter { train.items[$0] == rec.item.position }.map { Double(train.ratings[$0]) }
                let mean = Float(ratings.reduce(0, +) / Double(ratings.count))
                #expect(rec.score == Float(ratings.count))
                #expect(rec.predictedRating.map { abs($0 - mean) <= 1e-5 } ?? false)
            }
        }
        #expect(try foldIn.recommend(readItems: [], k: 500).recommendations.count == RecFixture.items)
        #expect(try foldIn.recommend(readItems: [777], ratings: [4], k: 3).isPopularityFallback)
    }

    @Test("invalid fold-in requests throw")
    func validation() throws {
        let train = try RecFixture.training()
        let foldIn = try FoldInRecommender(model: try RecFixture.model(.biasedSigmoid, train: train), training: train)
        let reads = [RecFixture.rawItem(1), RecFixture.rawItem(2)]
        #expect(throws: RecommenderError.invalidK(0)) { _ = try foldIn.recommend(readItems: reads, k: 0) }
        #expect(throws: RecommenderError.invalidK(-2)) { _ = try foldIn.recommend(readItems: [], k: -2) }
        #expect(throws: RecommenderError.invalidReader("\(reads.count) items but 1 ratings")) { _ = try foldIn.recommend(readItems: reads, ratings: [4], k: 3) }
        #expect(throws: RecommenderError.invalidReader("\(reads.count) items but 3 ratings")) { _ = try foldIn.recommend(readItems: reads, ratings: [4, 4, 4], k: 3) }
        for ratings: [Float] in [[4, .nan], [.infinity, 4]] {
            #expect(throws: RecommenderError.invalidReader("ratings must be finite")) { _ = try foldIn.recommend(readItems: reads, ratings: ratings, k: 3) }
        }
        #expect(throws: RecommenderError.invalidReader("ratings must be finite")) { _ = try foldIn.recommend(readItems: [9999], ratings: [-.infinity], k: 3) }
    }

    /// ConcatMLP forward pass by hand for a user row.
    static func mlpPredict(_ m: ConcatMLP, userRow: [Float], item: Int) -> (z: Float, y: Float) {
        var x = userRow + m.itemEmbedding.row(item)
        let layers = m.kernels.count
        for l in 0..<layers {
            let win = m.widths[l], wout = m.widths[l + 1]
            let w = m.kernels[l].toArray()
            var out = m.biases[l].toArray()
            for o in 0..<wout { for i in 0..<win { out[o] += x[i] * w[i * wout + o] } }
            x = l == layers - 1 ? out : out.map { max(0, $0) }
        }
        return (x[0], m.configuration.output.apply(x[0]))
    }

    @Test("ConcatMLP fold-in: valid, deterministic, read items excluded, scores match the row",
          arguments: [RecModelKind.mlp8Sigmoid, .mlp16x8Linear, .mlpNoHiddenLinear])
    func concatMLPFoldIn(_ kind: RecModelKind) throws {
        let train = try RecFixture.training()
        let model = try RecFixture.model(kind, train: train) as! ConcatMLP
        let foldIn = try FoldInRecommender(model: model, training: train)
        let reads: [Int32] = [2, 5, 11, 19, 33, 47]
        let ratings: [Float] = [5, 4, 1, 2, 5, 3]
        let a = try foldIn.recommend(readItems: reads.map(RecFixture.rawItem), ratings: ratings, k: 15)
        let b = try foldIn.recommend(readItems: reads.map(RecFixture.rawItem), ratings: ratings, k: 15)
        #expect(a.recommendations == b.recommendations)
        #expect(a.userRow == b.userRow)
        #expect(!a.isPopularityFallback)
        #expect(a.userRow.count == model.configuration.userDimension)
        #expect(a.userRow.allSatisfy { $0.isFinite })
        #expect(a.recommendations.count == 15)
        #expect(Set(a.recommendations.map(\.item.position)).count == 15)
        #expect(!a.recommendations.contains { reads.contains($0.item.position) })
        #expect(a.recommendations.allSatisfy { $0.rawItemID == RecFixture.rawItem($0.item.position) })
        // Ranking and ratings agree with a hand forward pass of the folded-in row.
        let outputs = (0..<RecFixture.items).map { Self.mlpPredict(model, userRow: a.userRow, item: $0) }
        let keys = outputs.map(\.y)
        let candidates = (0..<Int32(RecFixture.items)).filter { !reads.contains($0) }
        let problems = RecFixture.compare(
            got: a.recommendations.map(\.item.position), ratings: a.recommendations.map(\.score),
            expected: RecFixture.bruteForceTopK(keys: keys, candidates: candidates, k: 15), keys: keys,
            predictions: keys, candidates: Set(candidates), context: "\(kind)")
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        // The folded-in row fits the reads better than the starting point (the mean user row).
        let du = model.configuration.userDimension
        var mean = [Float](repeating: 0, count: du)
        for u in 0..<model.userCount { for f in 0..<du { mean[f] += model.userEmbedding.row(u)[f] / Float(model.userCount) } }
        func objective(_ row: [Float]) -> Float {
            var loss = foldIn.regularization * row.reduce(0) { $0 + $1 * $1 }
            for (j, item) in reads.enumerated() {
                let e = Self.mlpPredict(model, userRow: row, item: Int(item)).y - ratings[j]
                loss += e * e
            }
            return loss
        }
        #expect(objective(a.userRow) < objective(mean), "\(objective(a.userRow)) vs \(objective(mean))")
    }

    @Test("baseline fold-in: the bias is the damped mean residual")
    func baselineFoldIn() throws {
        let train = try RecFixture.training()
        let model = try BaselineModel(.biases, fittedOn: train)
        let foldIn = try FoldInRecommender(model: model, training: train, regularization: 2)
        let reads: [Int32] = [0, 10, 20]
        let ratings: [Float] = [5, 4, 1]
        let r = try foldIn.recommend(readItems: reads.map(RecFixture.rawItem), ratings: ratings, k: 5)
        var residual: Float = 0
        for (j, i) in reads.enumerated() { residual += ratings[j] - model.mean - model.itemBias[Int(i)] }
        #expect(abs(r.userRow[0] - (model.mean + residual / (3 + 2))) < 1e-5)
        let keys = model.itemBias.map { r.userRow[0] + $0 }   // the scorer's ranking score
        let candidates = (0..<Int32(RecFixture.items)).filter { !reads.contains($0) }
        #expect(r.recommendations.map(\.item.position) == RecFixture.bruteForceTopK(keys: keys, candidates: candidates, k: 5))
        for rec in r.recommendations { #expect(abs(rec.score - (r.userRow[0] + model.itemBias[rec.item.offset])) < 1e-5) }
    }
}
