import Foundation
import EmbedRecKernels

/// EASE (Steck 2019): a closed-form item–item model for top-N recommendation.
///
/// A user's history row x (a weight per item they rated, from ``Configuration/weighting``)
/// scores item j as `Σᵢ xᵢ · B[i, j]`, where B minimises ‖X − XB‖² + ‖Λ^½ B‖² subject to
/// diag(B) = 0 over the training users' rows X. With P = (XᵀX + Λ)⁻¹ the solution is
/// `B = I − P · diagMat(1 / diag P)`. Λ = λI is EASE; ``Configuration/dropoutEmphasis`` p > 0
/// adds `p / (1 − p) · diag(XᵀX)` (EDLAE, Steck 2020: the regulariser of dropout denoising),
/// which keeps popular items from dominating. Two further options, both folded into B so that
/// scoring, fold-in and saved files are unchanged: ``Configuration/historyNormalization`` α
/// weighs each training user's row by `(nᵤ / n̄)^−α` in the Gram matrix (nᵤ the history length,
/// n̄ its mean), so heavy readers do not dominate the item–item statistics; and
/// ``Configuration/popularityDiscount`` β scales item j's scores by `(1 + cⱼ)^−β` (cⱼ the
/// training users who have it), a gentle counterweight to recommending what everyone has read.
///
/// - Memory: one items × items Float32 matrix — 55 MB for ml-1m's 3,706 movies, 400 MB for
///   10,000 books, 1.6 GB for 20,000. ``Configuration/memoryLimit`` (default 4 GiB, and never
///   more than half the machine's memory) refuses larger catalogues before allocating.
/// - Fold-in is exact and immediate: a new reader's row is their weighted history.
/// - There is no item embedding, so ``SimilarItems`` does not apply.
/// - Scores rank items; they are not ratings (``Model/predictsRatings`` is false).
public final class EASE: KernelModel, @unchecked Sendable {
    /// The fit's settings: the ridge λ, the EDLAE emphasis, which ratings form a history and how
    /// they are weighted, and a memory limit for the item–item matrix.
    public struct Configuration: Sendable, Hashable, Codable {
        /// λ, added to the Gram matrix's diagonal (> 0).
        public var regularization: Float = 500
        /// p in [0, 1): the EDLAE dropout emphasis (0 = plain EASE).
        public var dropoutEmphasis: Float = 0
        /// Ratings below this are not part of a user's history (nil keeps every rating).
        public var threshold: Float? = nil
        /// The weight of each rating in a history row.
        public var weighting: InteractionWeighting = .binary
        /// The most bytes the item–item matrix may take.
        public var memoryLimit: Int = 4 << 30
        /// α in [0, 1]: each training user's row weighs `(nᵤ / n̄)^−α` in the Gram matrix (0 =
        /// every row as it is).
        public var historyNormalization: Float = 0
        /// β ≥ 0: item j's scores are scaled by `(1 + cⱼ)^−β`, cⱼ its training users (0 = none).
        public var popularityDiscount: Float = 0
        /// Solve on one thread, so that the same data gives the same bytes on any machine (not
        /// saved: it changes how the model is fitted, not what it is).
        public var deterministic = false

        /// Creates a configuration; the fit checks the values (``ConfigurationError/invalidSetting(_:)``).
        public init(regularization: Float = 500, dropoutEmphasis: Float = 0, threshold: Float? = nil,
                    weighting: InteractionWeighting = .binary, memoryLimit: Int = 4 << 30,
                    historyNormalization: Float = 0, popularityDiscount: Float = 0) {
            self.regularization = regularization; self.dropoutEmphasis = dropoutEmphasis
            self.threshold = threshold; self.weighting = weighting; self.memoryLimit = memoryLimit
            self.historyNormalization = historyNormalization; self.popularityDiscount = popularityDiscount
        }

        /// This configuration with λ changed, or solving on one thread.
        public func adjusted(_ changes: RecipeChanges) throws -> EASE.Configuration {
            var copy = self
            if changes.deterministic { copy.deterministic = true }
            if let lambda = changes.regularization { copy.regularization = lambda }
            if let weighting = changes.weighting { try weighting.validate(); copy.weighting = weighting }
            return copy
        }

        private enum CodingKeys: String, CodingKey {
            case regularization, dropoutEmphasis, threshold, weighting, memoryLimit, historyNormalization, popularityDiscount
        }

        /// Decodes a configuration; files saved before the last two options existed open with them at 0.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(regularization: try c.decode(Float.self, forKey: .regularization),
                      dropoutEmphasis: try c.decode(Float.self, forKey: .dropoutEmphasis),
                      threshold: try c.decodeIfPresent(Float.self, forKey: .threshold),
                      weighting: try c.decode(InteractionWeighting.self, forKey: .weighting),
                      memoryLimit: try c.decode(Int.self, forKey: .memoryLimit),
                      historyNormalization: try c.decodeIfPresent(Float.self, forKey: .historyNormalization) ?? 0,
                      popularityDiscount: try c.decodeIfPresent(Float.self, forKey: .popularityDiscount) ?? 0)
        }

        func validate(items: Int) throws {
            guard regularization.isFinite, regularization > 0 else {
                throw ConfigurationError.invalidSetting("EASE regularization must be finite and > 0, got \(regularization)")
            }
            guard dropoutEmphasis >= 0, dropoutEmphasis < 1 else {
                throw ConfigurationError.invalidSetting("EASE dropout emphasis must be in [0, 1), got \(dropoutEmphasis)")
            }
            guard (0...1).contains(historyNormalization) else {
                throw ConfigurationError.invalidSetting("EASE history normalization must be in [0, 1], got \(historyNormalization)")
            }
            guard popularityDiscount.isFinite, popularityDiscount >= 0 else {
                throw ConfigurationError.invalidSetting("EASE popularity discount must be finite and ≥ 0, got \(popularityDiscount)")
            }
            let limit = min(memoryLimit, Int(ProcessInfo.processInfo.physicalMemory / 2))
            let (squared, overflow) = items.multipliedReportingOverflow(by: items)
            guard !overflow, squared <= limit / 4 else {
                throw ConfigurationError.invalidSetting(String(
                    format: "EASE needs an items × items matrix: %d items take %.1f GB, more than the limit of %.1f GB (Configuration.memoryLimit, at most half the machine's memory)",
                    items, Double(items) * Double(items) * 4 / 1e9, Double(limit) / 1e9))
            }
            if let available = Tensor.savedBytesAvailable, squared > available / 4 {
                throw ConfigurationError.invalidSetting(
                    "EASE's \(items) × \(items) matrix needs \(squared * 4) bytes, but the file holds only \(available) bytes of tensor data")
            }
        }
    }

    public let configuration: Configuration
    public let userCount: Int
    public let itemCount: Int
    /// B, items × items: row i holds how much a history weight on item i adds to each item.
    public let itemWeights: Tensor
    /// Each user's history (weights in ``UserItemIndex/ratings``).
    let history: UserItemIndex
    /// Scores rank items; they are not ratings.
    public var predictsRatings: Bool { false }
    public var outputRange: ClosedRange<Float>? { nil }
    public var summary: String {
        let c = configuration
        return "EASE(λ=\(c.regularization)\(c.dropoutEmphasis > 0 ? ", p=\(c.dropoutEmphasis)" : "")"
            + "\(c.historyNormalization > 0 ? ", α=\(c.historyNormalization)" : "")\(c.popularityDiscount > 0 ? ", β=\(c.popularityDiscount)" : ""))"
    }

    /// Fits B in closed form on `data`'s ratings (the history rows), through one Gram matrix
    /// (`ssyrk` on dense blocks of users, or a sparse accumulation when histories are short)
    /// and one Cholesky inverse (LAPACKE `spotrf` + `spotri`).
    ///
    /// - Throws: ``ConfigurationError/invalidSetting(_:)`` for a bad configuration or a catalogue
    ///   beyond the memory limit; ``LinearAlgebraError`` if the solve fails.
    /// - Complexity: O(min(users · items², Σᵤ nᵤ²) + items³).
    public convenience init(fitting data: RatingsDataset, configuration: Configuration = Configuration(),
                            parallelism: Parallelism = .automatic) throws {
        let parallelism = configuration.deterministic ? .sequential : parallelism
        try configuration.validate(items: data.itemCount)
        let feedback = try ImplicitFeedback(ratings: data, threshold: configuration.threshold, weighting: configuration.weighting)
        try self.init(users: data.userCount, items: data.itemCount, configuration: configuration,
                      history: feedback.interactions)
        try solve(itemCounts: feedback.itemCounts, parallelism: parallelism)
    }

    /// A model with B zero, for a loader that fills it (``SavableModel``), or with the given B
    /// (an items × items tensor, shared, not copied).
    init(users: Int, items: Int, configuration: Configuration, history: UserItemIndex, itemWeights: Tensor? = nil) throws {
        try configuration.validate(items: items)
        guard users > 0, items > 0 else {
            throw ConfigurationError.invalidSetting("model needs at least one user and one item, got \(users) and \(items)")
        }
        self.configuration = configuration
        userCount = users; itemCount = items
        self.itemWeights = itemWeights ?? Tensor(name: "item_weights", shape: [items, items], role: .weight)
        self.history = history
    }

    /// `itemCounts`: each item's training users, for the popularity discount.
    private func solve(itemCounts: [Int], parallelism: Parallelism) throws {
        try BLASThreading.withThreads(parallelism.threads) { try solveWithBLASThreads(itemCounts: itemCounts) }
    }

    private func solveWithBLASThreads(itemCounts: [Int]) throws {
        let n = itemCount
        let g = itemWeights.storage
        gram(into: g)
        // Λ on the diagonal, then P = (G + Λ)⁻¹ in place.
        let p = configuration.dropoutEmphasis
        for i in 0..<n { g[i * n + i] += configuration.regularization + p / (1 - p) * g[i * n + i] }
        try LAPACK.invertSymmetricPositiveDefinite(g, n: n)
        // B = −P / diag(P) column by column, with a zero diagonal; the popularity discount
        // (1 + cⱼ)^−β scales the same columns, so it joins the same factor.
        var inverseDiagonal = [Float](repeating: 0, count: n)
        let beta = -Double(configuration.popularityDiscount)
        for j in 0..<n {
            let discount = Float(Foundation.pow(1 + Double(itemCounts[j]), beta))
            inverseDiagonal[j] = -discount / g[j * n + j]
        }
        inverseDiagonal.withUnsafeBufferPointer { d in
            for i in 0..<n {
                let row = g + i * n
                for j in 0..<n { row[j] *= d[j] }
                row[i] = 0
            }
        }
    }

    /// Each user's row scale in the Gram matrix: `(nᵤ / n̄)^−α`, or nil when α = 0.
    private func rowScales() -> [Float]? {
        let alpha = configuration.historyNormalization
        guard alpha > 0 else { return nil }
        let lengths = (0..<history.userCount).map { history.offsets[$0 + 1] - history.offsets[$0] }
        let readers = lengths.filter { $0 > 0 }
        guard !readers.isEmpty else { return nil }
        let mean = Double(readers.reduce(0, +)) / Double(readers.count)
        return lengths.map { $0 == 0 ? 0 : Float(Foundation.pow(Double($0) / mean, -Double(alpha))) }
    }

    /// G = XᵀX (upper triangle) of the weighted history rows.
    private func gram(into g: UnsafeMutablePointer<Float>) {
        let n = itemCount
        let scales = rowScales()
        var squares = 0.0
        for u in 0..<history.userCount { let c = Double(history.offsets[u + 1] - history.offsets[u]); squares += c * c }
        // Dense blocks cost users · n² / 2 multiply-adds at BLAS speed; the sparse loop Σ nᵤ²/2
        // scattered ones, about 30 times slower each.
        if Double(userCount) * Double(n) * Double(n) / 2 < squares / 2 * 30 {
            let block = 256
            let rows = UnsafeMutablePointer<Float>.allocate(capacity: block * n)
            defer { rows.deallocate() }
            for first in stride(from: 0, to: history.userCount, by: block) {
                let count = min(block, history.userCount - first)
                rows.initialize(repeating: 0, count: count * n)
                for r in 0..<count {
                    let u = first + r, scale = scales?[u] ?? 1
                    for k in history.offsets[u]..<history.offsets[u + 1] {
                        rows[r * n + Int(history.items[k])] = history.ratings[k] * scale
                    }
                }
                BLAS.syrkUpperTransposed(n: n, k: count, a: rows, lda: n, beta: 1, c: g, ldc: n)
            }
        } else {
            history.items.withUnsafeBufferPointer { items in
                history.ratings.withUnsafeBufferPointer { weights in
                    for u in 0..<history.userCount {
                        let range = history.offsets[u]..<history.offsets[u + 1]
                        let squaredScale = scales.map { $0[u] * $0[u] } ?? 1
                        for a in range {
                            let row = g + Int(items[a]) * n
                            let wa = weights[a] * squaredScale
                            for b in a..<range.upperBound { row[Int(items[b])] += wa * weights[b] }
                        }
                    }
                }
            }
        }
    }

    // MARK: Model

    public func score(users: Span<Int32>, items: Span<Int32>, into output: inout MutableSpan<Float>) {
        scoreThroughKernel(users: users, items: items, into: &output)
    }

    func score(users: UnsafePointer<Int32>, items: UnsafePointer<Int32>, count: Int,
                 into output: UnsafeMutablePointer<Float>, arena: ScratchArena) {
        let n = itemCount, b = itemWeights.storage
        for k in 0..<count {
            let u = Int(users[k]), j = Int(items[k])
            var s: Float = 0
            if u < history.userCount {
                for e in history.offsets[u]..<history.offsets[u + 1] { s += history.ratings[e] * b[Int(history.items[e]) * n + j] }
            }
            output[k] = s
        }
    }

    func makeCatalogueScorer() -> any CatalogueScorer {
        EASEScorer(model: self)
    }
}

/// Top-K for EASE: a user row is the dense history (one weight per item); a tile of scores is
/// the sum of the B rows of the user's items, so the work is Σᵤ nᵤ × tile, not users × items².
struct EASEScorer: CatalogueScorer, @unchecked Sendable {
    let model: EASE
    var itemCount: Int { model.itemCount }
    var userRowWidth: Int { model.itemCount }

    func copyUserRow(_ user: Int32, into output: UnsafeMutablePointer<Float>) {
        let h = model.history, u = Int(user)
        output.initialize(repeating: 0, count: itemCount)
        guard u < h.userCount else { return }
        for e in h.offsets[u]..<h.offsets[u + 1] { output[Int(h.items[e])] = h.ratings[e] }
    }

    func rankingScores(userRows rows: UnsafePointer<Float>, count: Int, items range: Range<Int>,
                       into output: UnsafeMutablePointer<Float>, arena: ScratchArena) {
        output.initialize(repeating: 0, count: count * range.count)
        rankingScores(userRows: rows, count: count, items: range, intoZeroed: output, arena: arena)
    }

    func rankingScores(userRows rows: UnsafePointer<Float>, count: Int, items range: Range<Int>,
                       intoZeroed output: UnsafeMutablePointer<Float>, arena: ScratchArena) {
        let n = itemCount, m = range.count, b = model.itemWeights.storage
        for r in 0..<count {
            let row = rows + r * n, out = output + r * m
            for i in 0..<n where row[i] != 0 {
                BLAS.axpy(n: m, alpha: row[i], x: b + i * n + range.lowerBound, y: out)
            }
        }
    }

    func score(fromRankingScore rankingScore: Float, item: Int32) -> Float { rankingScore }

    /// The new reader's history row: each read item's rating mapped through the model's
    /// weighting (ratings below the threshold leave the item out). Exact; no solve.
    func foldIn(items: [Int32], ratings: [Float], regularization: Float) throws -> [Float] {
        var row = [Float](repeating: 0, count: itemCount)
        for (item, rating) in zip(items, ratings) {
            if let t = model.configuration.threshold, rating < t { continue }
            row[Int(item)] = model.configuration.weighting.weight(forRating: rating)
        }
        return row
    }
}

extension EASE.Configuration: ModelFitter {
    /// Fits ``EASE`` in closed form (``EASE/init(fitting:configuration:parallelism:)``).
    public func fit(_ data: RatingsDataset, options: FitOptions) throws -> FittedModel {
        FittedModel(model: try EASE(fitting: data, configuration: self, parallelism: options.parallelism ?? .automatic))
    }

    /// EASE ranks: its scores are not ratings.
    public var predictsRatings: Bool { false }

    /// Only one thread: EASE has no embedding, no passes and no randomness, and its solve's sums
    /// are ordered by the BLAS threads, so one thread gives the same bytes whatever the cores.
    public var adjustableSettings: Set<RecipeSetting> { [.deterministic, .regularization, .weighting] }
}
