import Foundation
import Testing
import EmbedRecTestSupport
@testable import EmbedRec

/// Double-precision references for the closed-form and ALS solves.
enum DenseReference {
    /// The inverse of an n×n matrix by Gauss–Jordan elimination with partial pivoting.
    static func inverse(_ a: [Double], n: Int) -> [Double] {
        var m = a, inv = [Double](repeating: 0, count: n * n)
        for i in 0..<n { inv[i * n + i] = 1 }
        for col in 0..<n {
            let pivot = (col..<n).max { abs(m[$0 * n + col]) < abs(m[$1 * n + col]) }!
            for k in 0..<n { m.swapAt(col * n + k, pivot * n + k); inv.swapAt(col * n + k, pivot * n + k) }
            let d = m[col * n + col]
            for k in 0..<n { m[col * n + k] /= d; inv[col * n + k] /= d }
            for r in 0..<n where r != col {
                let f = m[r * n + col]
                if f == 0 { continue }
                for k in 0..<n { m[r * n + k] -= f * m[col * n + k]; inv[r * n + k] -= f * inv[col * n + k] }
            }
        }
        return inv
    }

    /// Solves A x = b.
    static func solve(_ a: [Double], _ b: [Double], n: Int) -> [Double] {
        let inv = inverse(a, n: n)
        return (0..<n).map { r in (0..<n).reduce(0) { $0 + inv[r * n + $1] * b[$1] } }
    }

    /// B of EASE/EDLAE from the weighted history rows, in Double: each user's row scaled by
    /// (nᵤ / mean n)^−α in the Gram matrix, and column j of B by (1 + users of j)^−β.
    static func ease(_ history: UserItemIndex, items n: Int, lambda: Double, p: Double,
                     alpha: Double = 0, beta: Double = 0) -> [Double] {
        let lengths = (0..<history.userCount).map { Double(history.offsets[$0 + 1] - history.offsets[$0]) }
        let readers = lengths.filter { $0 > 0 }
        let mean = readers.reduce(0, +) / Double(readers.count)
        var g = [Double](repeating: 0, count: n * n)
        var users = [Double](repeating: 0, count: n)
        for u in 0..<history.userCount {
            let range = history.offsets[u]..<history.offsets[u + 1]
            let scale = lengths[u] > 0 ? pow(lengths[u] / mean, -alpha) : 0
            for a in range {
                users[Int(history.items[a])] += 1
                for b in range {
                    g[Int(history.items[a]) * n + Int(history.items[b])] += scale * scale * Double(history.ratings[a]) * Double(history.ratings[b])
                }
            }
        }
        for i in 0..<n { g[i * n + i] += lambda + p / (1 - p) * g[i * n + i] }
        let pm = inverse(g, n: n)
        var b = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { b[i * n + j] = i == j ? 0 : -pm[i * n + j] / pm[j * n + j] * pow(1 + users[j], -beta) } }
        return b
    }
}

/// Users in four taste groups, each reading (almost) only its group's items: a model that
/// learns what people pick must recommend a user's own group's unread items.
enum PlantedTaste {
    static let groups = 4, usersPerGroup = 30, itemsPerGroup = 12

    static func data(seed: UInt64 = 3) throws -> RatingsDataset {
        var rng = SeededGenerator(seed: seed)
        var users: [Int64] = [], items: [Int64] = [], ratings: [Float] = []
        for g in 0..<groups {
            for k in 0..<usersPerGroup {
                let user = Int64(g * usersPerGroup + k)
                for i in 0..<itemsPerGroup where rng.nextUnitFloat() < 0.6 {
                    users.append(user); items.append(Int64(g * itemsPerGroup + i)); ratings.append(Float(3 + rng.nextInt(below: 3)))
                }
                // One stray read outside the group.
                users.append(user); items.append(Int64(rng.nextInt(below: groups * itemsPerGroup))); ratings.append(2)
            }
        }
        return try RatingsDataset(rawUsers: (users).map(RawID.integer), rawItems: (items).map(RawID.integer), ratings: ratings)
    }

    /// Of the own-group items a user has not read (at most 5), the fraction that their top-5
    /// list contains: 1 when every list puts the user's group first.
    static func ownGroupShare(_ model: any Model, _ data: RatingsDataset) throws -> Double {
        let scorer = try TopKScorer(model: model, training: data)
        let rated = data.itemsByUser()
        var own = 0, possible = 0
        for u in data.userIDs.indices {
            let group = Int(data.userIDs.rawID(at: u)!.integerValue!) / usersPerGroup
            func inGroup(_ item: Int32) -> Bool { Int(data.itemIDs.integerRawIDs![Int(item)]) / itemsPerGroup == group }
            let readOwn = Set(rated.items(of: u).filter(inGroup)).count
            possible += min(5, itemsPerGroup - readOwn)
            own += try scorer.recommend(user: u, options: .init(k: 5)).filter { inGroup($0.item.position) }.count
        }
        return Double(own) / Double(possible)
    }
}

@Suite("Ranking models: EASE and weighted ALS")
struct RankingModelTests {
    @Test("EASE and EDLAE match a double-precision direct solve, on the dense and the sparse Gram paths",
          arguments: [(40, 30, 450), (400, 60, 900)])
    func easeAgainstDirectSolve(shape: (Int, Int, Int)) throws {
        let data = try SyntheticRatings.generate(.init(users: shape.0, items: shape.1, ratings: shape.2, seed: 9))
        for (lambda, p, weighting, alpha, beta) in [
            (Float(5), Float(0), InteractionWeighting.binary, Float(0), Float(0)),
            (2, 0.3, .levels([0.3, 0.4, 0.6, 1, 1.2]), 0, 0),
            (2, 0.3, .levels([0.3, 0.4, 0.6, 1, 1.2]), 0.5, 0.2),
        ] {
            let model = try EASE(fitting: data, configuration: .init(regularization: lambda, dropoutEmphasis: p, weighting: weighting,
                                                                     historyNormalization: alpha, popularityDiscount: beta))
            let reference = DenseReference.ease(model.history, items: data.itemCount, lambda: Double(lambda), p: Double(p),
                                                alpha: Double(alpha), beta: Double(beta))
            let b = model.itemWeights.toArray()
            let scale = reference.map(abs).max()!
            let worst = zip(b, reference).map { abs(Double($0) - $1) }.max()!
            #expect(worst <= 2e-4 * scale, "λ \(lambda) p \(p): largest difference \(worst) of \(scale)")
            #expect((0..<data.itemCount).allSatisfy { b[$0 * data.itemCount + $0] == 0 })
        }
    }

    @Test("EASE scores are the history row times B; a new reader's fold-in is their history row")
    func easeScoresAndFoldIn() throws {
        let data = try SyntheticRatings.generate(.init(users: 50, items: 25, ratings: 500, seed: 4))
        let model = try EASE(fitting: data, configuration: .init(regularization: 10, weighting: .rating))
        let n = data.itemCount, b = model.itemWeights.toArray()
        let rated = data.itemsByUser()
        let user = UserIndex(7)
        var expected = [Float](repeating: 0, count: n)
        for (i, r) in zip(rated.items(of: user), rated.ratings[rated.offsets[7]..<rated.offsets[8]]) {
            for j in 0..<n { expected[j] += r * b[Int(i) * n + j] }
        }
        let predicted = try model.scores(users: [Int32](repeating: 7, count: n), items: (0..<Int32(n)).map { $0 })
        #expect(zip(predicted, expected).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
        // The same reads as user 7, as a new reader, give user 7's list.
        let foldIn = try FoldInRecommender(model: model, training: data)
        let reads = rated.items(of: user).map { data.itemIDs.rawID(at: ItemIndex($0))! }
        let ratings = Array(rated.ratings[rated.offsets[7]..<rated.offsets[8]])
        let mine = try TopKScorer(model: model, training: data).recommend(user: user, options: .init(k: 5)).map(\.item)
        #expect(try foldIn.recommend(readItems: reads, ratings: ratings, k: 5).recommendations.map(\.item) == mine)
        #expect(throws: RecommenderError.noItemEmbedding(model.summary)) { try Recommender(model: model, training: data).similarItems(to: 1, k: 3) }
    }

    @Test("EASE refuses catalogues beyond its memory limit before allocating, and bad settings")
    func easeLimits() throws {
        let data = try SyntheticRatings.generate(.init(users: 50, items: 25, ratings: 500, seed: 4))
        ModelTestKit.expectInvalidConfiguration(mentioning: "limit") {
            _ = try EASE(fitting: data, configuration: .init(memoryLimit: 25 * 25 * 4 - 1))
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "regularization") { _ = try EASE(fitting: data, configuration: .init(regularization: 0)) }
        ModelTestKit.expectInvalidConfiguration(mentioning: "dropout") { _ = try EASE(fitting: data, configuration: .init(dropoutEmphasis: 1)) }
        ModelTestKit.expectInvalidConfiguration(mentioning: "history normalization") {
            _ = try EASE(fitting: data, configuration: .init(historyNormalization: 1.5))
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "popularity discount") {
            _ = try EASE(fitting: data, configuration: .init(popularityDiscount: .nan))
        }
        // A configuration saved before α and β existed decodes with both at 0.
        let old = #"{"regularization":250,"dropoutEmphasis":0.25,"weighting":{"binary":{}},"memoryLimit":4294967296}"#
        let decoded = try JSONDecoder().decode(EASE.Configuration.self, from: Data(old.utf8))
        #expect(decoded == EASE.Configuration(regularization: 250, dropoutEmphasis: 0.25))
        guard let preset = Recipe.ease.fitter as? EASE.Configuration else { Issue.record("the ease recipe is not EASE"); return }
        #expect(try JSONDecoder().decode(EASE.Configuration.self, from: JSONEncoder().encode(preset)) == preset)
        let error = ModelTestKit.thrownError {
            _ = try EASE(users: 10, items: 1_000_000, configuration: .init(), history: UserItemIndex(uncheckedOffsets: [0], items: [], ratings: []))
        }
        #expect("\(String(describing: error))".contains("4000.0 GB"), "\(String(describing: error))")
    }

    @Test("one ALS row solve converges to the exact weighted least-squares row")
    func alsRowSolve() throws {
        var rng = SeededGenerator(seed: 5)
        for d in [8, 13, 64] {
            let others = 40
            let y = (0..<(others * d)).map { _ in rng.nextUnitFloat() - 0.5 }
            let items: [Int32] = [3, 7, 8, 20, 39], weights: [Float] = [1, 2, 0.5, 3, 1]
            let alpha: Float = 2, lambda: Float = 0.1
            // λ in G for every row, or (ALS-WR) λ_per_interaction × the row's 5 items beside it.
            for perInteraction: Float in [0, 0.3] {
            var gram = [Float](repeating: 0, count: d * d)
            for r in 0..<d { for s in 0..<d { for k in 0..<others { gram[r * d + s] += y[k * d + r] * y[k * d + s] } } }
            for f in 0..<d { gram[f * d + f] += lambda }
            // The exact normal equations in Double.
            var a = gram.map(Double.init), b = [Double](repeating: 0, count: d)
            for f in 0..<d { a[f * d + f] += Double(perInteraction) * Double(items.count) }
            for (i, w) in zip(items, weights) {
                let c = 1 + Double(alpha * w)
                for r in 0..<d {
                    b[r] += c * Double(y[Int(i) * d + r])
                    for s in 0..<d { a[r * d + s] += (c - 1) * Double(y[Int(i) * d + r] * y[Int(i) * d + s]) }
                }
            }
            let exact = DenseReference.solve(a, b, n: d)
            for avx2 in [false, true] where !avx2 || VectorKernels.hasAVX2 {
                var x = [Float](repeating: 0, count: d)
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 4 * d)
                defer { scratch.deallocate() }
                let offsets = [0, items.count]
                x.withUnsafeMutableBufferPointer { xp in
                    ALSKernels.solveRows(xp.baseAddress!, first: 0, end: 1, offsets: offsets, items: items, weights: weights,
                                         other: y, gram: gram, d: d, alpha: alpha, lambdaPerInteraction: perInteraction,
                                         steps: 3 * d, scratch: scratch, avx2: avx2)
                }
                let worst = zip(x, exact).map { abs(Double($0) - $1) }.max()!
                #expect(worst <= 1e-3 * max(1, exact.map(abs).max()!), "d \(d) avx2 \(avx2) λ per interaction \(perInteraction): \(worst)")
            }
            }
        }
    }

    @Test("the AVX2 and baseline ALS kernels give identical factors, and the thread count does not matter")
    func alsDeterminism() throws {
        let data = try SyntheticRatings.generate(.init(users: 300, items: 80, ratings: 4000, seed: 2))
        for scaling in ImplicitALS.RegularizationScaling.allCases {
        let configuration = ImplicitALS.Configuration(factors: 16, regularization: 0.1, iterations: 3, alpha: 4, regularizationScaling: scaling)
        let one = try ImplicitALS(configuration: configuration, parallelism: .sequential).fit(data)
        let two = try ImplicitALS(configuration: configuration, parallelism: Parallelism(threads: 2)).fit(data)
        #expect(one.userEmbedding.toArray() == two.userEmbedding.toArray())
        #expect(one.itemEmbedding.toArray() == two.itemEmbedding.toArray())
        // The fold-in of a known user's reads is the exact solve against the fitted item table.
        let rated = data.itemsByUser()
        let foldIn = try FoldInRecommender(model: one, training: data)
        let reads = rated.items(of: UserIndex(5)).map { data.itemIDs.rawID(at: ItemIndex($0))! }
        let result = try foldIn.recommend(readItems: reads, ratings: [Float](repeating: 4, count: reads.count), k: 5)
        let d = 16, q = one.itemEmbedding.toArray()
        var a = [Double](repeating: 0, count: d * d), b = [Double](repeating: 0, count: d)
        for i in 0..<data.itemCount { for r in 0..<d { for s in 0..<d { a[r * d + s] += Double(q[i * d + r] * q[i * d + s]) } } }
        // ALS-WR: λ times the reader's items, as the fit gave the user.
        let lambda = scaling == .constant ? 0.1 : 0.1 * Double(reads.count)
        for f in 0..<d { a[f * d + f] += lambda }
        for item in rated.items(of: UserIndex(5)) {
            let c = 1 + 4.0
            for r in 0..<d {
                b[r] += c * Double(q[Int(item) * d + r])
                for s in 0..<d { a[r * d + s] += (c - 1) * Double(q[Int(item) * d + r] * q[Int(item) * d + s]) }
            }
        }
        let exact = DenseReference.solve(a, b, n: d)
        #expect(zip(result.userRow, exact).allSatisfy { abs(Double($0) - $1) <= 1e-3 * max(1, abs($1)) }, "\(scaling): \(result.userRow) vs \(exact)")
        }
    }

    @Test("ALS lowers its weighted objective at every iteration, λ constant or times each row's interactions")
    func alsObjective() throws {
        let data = try SyntheticRatings.generate(.init(users: 120, items: 50, ratings: 1500, seed: 8))
        let feedback = try ImplicitFeedback(ratings: data)
        let byItem = ImplicitALS.transpose(feedback.interactions, itemCount: data.itemCount)
        func objective(_ m: MatrixFactorization, _ scaling: ImplicitALS.RegularizationScaling) -> Double {
            let d = m.configuration.dimension, p = m.userEmbedding.toArray(), q = m.itemEmbedding.toArray()
            var loss = 0.0
            for u in 0..<data.userCount {
                let positives = Set(feedback.interactions.items(of: UserIndex(Int32(u))))
                for i in 0..<data.itemCount {
                    var s: Float = 0
                    for f in 0..<d { s += p[u * d + f] * q[i * d + f] }
                    let c: Double = positives.contains(Int32(i)) ? 3 : 1, t: Double = positives.contains(Int32(i)) ? 1 : 0
                    loss += c * (t - Double(s)) * (t - Double(s))
                }
            }
            guard scaling == .interactionCount else { return loss + 0.5 * (p + q).reduce(0) { $0 + Double($1 * $1) } }
            // λ Σ_u n_u ‖x_u‖² + λ Σ_i n_i ‖y_i‖² (a row without interactions counts once).
            func penalty(_ table: [Float], _ lists: UserItemIndex) -> Double {
                (0..<lists.userCount).reduce(0.0) { sum, r in
                    let n = max(1, lists.offsets[r + 1] - lists.offsets[r])
                    return sum + Double(n) * (0..<d).reduce(0.0) { $0 + Double(table[r * d + $1] * table[r * d + $1]) }
                }
            }
            return loss + 0.5 * (penalty(p, feedback.interactions) + penalty(q, byItem))
        }
        for scaling in ImplicitALS.RegularizationScaling.allCases {
            var previous = Double.infinity
            for iterations in 1...5 {
                let m = try ImplicitALS(configuration: .init(factors: 8, regularization: 0.5, iterations: iterations, alpha: 2,
                                                             conjugateGradientSteps: 8, regularizationScaling: scaling)).fit(data)
                let value = objective(m, scaling)
                #expect(value <= previous * (1 + 1e-4), "\(scaling), iteration \(iterations): \(value) after \(previous)")
                previous = value
            }
        }
    }

    @Test("an ALS-WR recommender keeps its λ rule through a file: the same fold-in after reopening")
    func alsScalingRoundTrip() throws {
        let data = try SyntheticRatings.generate(.init(users: 200, items: 60, ratings: 3000, seed: 4))
        let configuration = ImplicitALS.Configuration(factors: 8, regularization: 0.2, iterations: 2, regularizationScaling: .interactionCount)
        let recommender = try Recommender(model: try ImplicitALS(configuration: configuration).fit(data), training: data)
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("als-wr.safetensors").path
        try recommender.save(to: path)
        // Version 3: a reader of version 2 would fold new readers in with plain λ.
        #expect(try SafeTensorsFile(path: path).metadata["format_version"] == "3")
        let reopened = try Recommender(contentsOf: path)
        #expect(reopened.model.summary.hasSuffix("weighted ALS (λ=0.2 × interactions, α=1)"), "\(reopened.model.summary)")
        let reads = Array(data.itemIDs.rawIDs.prefix(4))
        let before = try recommender.recommend(newReaderItems: reads, k: 5).recommendations
        let after = try reopened.recommend(newReaderItems: reads, k: 5).recommendations
        #expect(before.map(\.rawItemID) == after.map(\.rawItemID) && before.map(\.score) == after.map(\.score))
        // The rule changes the fold-in: λ × 4 items is not λ.
        var constant = configuration
        constant.regularizationScaling = .constant
        let plain = try Recommender(model: try ImplicitALS(configuration: constant).fit(data), training: data)
        #expect(try plain.recommend(newReaderItems: reads, k: 5).recommendations.map(\.score) != before.map(\.score))
        let plainPath = dir.appendingPathComponent("als.safetensors").path
        try plain.save(to: plainPath)
        #expect(try SafeTensorsFile(path: plainPath).metadata["format_version"] == "1")
    }

    @Test("each ranking model recovers the planted taste groups")
    func plantedTaste() throws {
        let data = try PlantedTaste.data()
        let models: [(String, any Model)] = [
            ("EASE", try EASE(fitting: data, configuration: .init(regularization: 5))),
            ("EASE, α 0.3, β 0.1", try EASE(fitting: data, configuration: .init(regularization: 5, historyNormalization: 0.3, popularityDiscount: 0.1))),
            ("ALS", try ImplicitALS(configuration: .init(factors: 4, regularization: 1, iterations: 10, alpha: 10)).fit(data)),
            ("most popular", try BaselineModel(.popularity, fittedOn: data)),
        ]
        for (name, model) in models {
            let share = try PlantedTaste.ownGroupShare(model, data)
            if name == "most popular" { #expect(share < 0.6, "\(name): \(share)") }
            else { #expect(share >= 0.9, "\(name): \(share) of the unread own-group items recommended") }
        }
    }

    @Test("EASE and ALS pass the model conformance checks")
    func conformance() throws {
        try ModelConformance.check { data in try EASE(fitting: data, configuration: .init(regularization: 20)) }
        try ModelConformance.check { data in
            try ImplicitALS(configuration: .init(factors: 6, iterations: 3)).fit(data)
        }
    }

    @Test("an EASE recommender round-trips through a file, and refuses ratings it was not fitted on")
    func easePersistence() throws {
        let data = try SyntheticRatings.generate(.init(users: 60, items: 30, ratings: 700, seed: 12))
        let model = try EASE(fitting: data, configuration: .init(regularization: 8, dropoutEmphasis: 0.2, threshold: 2, weighting: .rating))
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("ease.safetensors").path
        let original = try Recommender(model: model, training: data)
        try original.save(to: path)
        let loaded = try Recommender(contentsOf: path)
        for raw in data.userIDs.rawIDs { #expect(try original.recommend(user: raw, k: 6) == loaded.recommend(user: raw, k: 6)) }
        #expect(try original.recommend(newReaderRatings: [1: 5, 4: 2], k: 5) == loaded.recommend(newReaderRatings: [1: 5, 4: 2], k: 5))
        let other = try SyntheticRatings.generate(.init(users: 60, items: 30, ratings: 700, seed: 13))
        #expect(throws: DatasetError.self) { try Recommender(model: model, training: other) }
    }

    @Test("implicit feedback: thresholds, weights, merged duplicates, negatives never positive")
    func implicitFeedback() throws {
        let data = try RatingsDataset(rawUsers: ([1, 1, 1, 2, 2, 1]).map(RawID.integer), rawItems: ([10, 20, 30, 10, 40, 20]).map(RawID.integer), ratings: [5, 2, 4, 3, 1, 4])
        let f = try ImplicitFeedback(ratings: data, threshold: 3, weighting: .rating)
        #expect(f.count == 4)
        #expect(Array(f.interactions.items(of: 0)) == [0, 1, 2] && Array(f.interactions.ratings[0..<3]) == [5, 4, 4])
        #expect(Array(f.interactions.items(of: 1)) == [0])
        #expect(f.itemCounts == [2, 1, 1, 0])
        let counted = try ImplicitFeedback(ratings: data, weighting: .count)
        #expect(counted.interactions.ratings[1] == 2, "user 1 rated item 20 twice")
        var rng = SeededGenerator(seed: 1)
        for sampling in [NegativeSampling.uniform, .popularity] {
            let negatives = f.sampleNegatives(for: 0, count: 50, sampling: sampling, generator: &rng)
            #expect(negatives.count == 50 && negatives.allSatisfy { $0 == 3 }, "user 0's only non-positive is item 3")
        }
        #expect(throws: ConfigurationError.self) { try ImplicitFeedback(ratings: data, weighting: .levels([1, -1])) }
        let signed = try RatingsDataset(rawUsers: ([1, 2]).map(RawID.integer), rawItems: ([10, 20]).map(RawID.integer), ratings: [-3, 4])
        #expect(throws: DatasetError.self) { try ImplicitFeedback(ratings: signed, weighting: .rating) }
        #expect(try ImplicitFeedback(ratings: signed, threshold: 0, weighting: .rating).count == 1)
    }
}
