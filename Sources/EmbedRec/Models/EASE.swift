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
/// - Memory: the fit solves one items × items Float32 matrix — 55 MB for ml-1m's 3,706 movies,
///   400 MB for 10,000 books, 1.6 GB for 20,000. ``Configuration/memoryLimit`` (default 4 GiB,
///   and never more than half the machine's memory) refuses larger catalogues before allocating.
/// - A sparse B: ``Configuration/weightsPerItem`` m keeps only the m largest weights (by
///   magnitude) of each item's row, so the model, its file and its scoring take items × m
///   instead of items × items (the recall this costs is in Docs/Benchmarks.md, "EASE").
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
        /// m ≥ 1: keep only the m largest weights (by magnitude) in each item's row of B, a
        /// sparse B of items × m (nil keeps B dense, items × items).
        public var weightsPerItem: Int? = nil
        /// Solve on one thread, so that the same data gives the same bytes on any machine (not
        /// saved: it changes how the model is fitted, not what it is).
        public var deterministic = false

        /// Creates a configuration; the fit checks the values (``ConfigurationError/invalidSetting(_:)``).
        public init(regularization: Float = 500, dropoutEmphasis: Float = 0, threshold: Float? = nil,
                    weighting: InteractionWeighting = .binary, memoryLimit: Int = 4 << 30,
                    historyNormalization: Float = 0, popularityDiscount: Float = 0, weightsPerItem: Int? = nil) {
            self.regularization = regularization; self.dropoutEmphasis = dropoutEmphasis
            self.threshold = threshold; self.weighting = weighting; self.memoryLimit = memoryLimit
            self.historyNormalization = historyNormalization; self.popularityDiscount = popularityDiscount
            self.weightsPerItem = weightsPerItem
        }

        /// The weights kept per item's row of B: m (at most the other items), or all of a dense row.
        func storedRowLength(items: Int) -> Int {
            weightsPerItem.map { max(1, min($0, items - 1)) } ?? items
        }

        /// This configuration with λ changed, or solving on one thread.
        public func adjusted(_ changes: RecipeChanges) throws -> EASE.Configuration {
            var copy = self
            if changes.deterministic { copy.deterministic = true }
            if let lambda = changes.regularization { copy.regularization = lambda }
            if let weighting = changes.weighting { try weighting.validate(); copy.weighting = weighting }
            if let m = changes.weightsPerItem { copy.weightsPerItem = m }
            return copy
        }

        private enum CodingKeys: String, CodingKey {
            case regularization, dropoutEmphasis, threshold, weighting, memoryLimit, historyNormalization, popularityDiscount
            case weightsPerItem
        }

        /// Decodes a configuration; files saved before the later options existed open with them
        /// at 0 and B dense.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(regularization: try c.decode(Float.self, forKey: .regularization),
                      dropoutEmphasis: try c.decode(Float.self, forKey: .dropoutEmphasis),
                      threshold: try c.decodeIfPresent(Float.self, forKey: .threshold),
                      weighting: try c.decode(InteractionWeighting.self, forKey: .weighting),
                      memoryLimit: try c.decode(Int.self, forKey: .memoryLimit),
                      historyNormalization: try c.decodeIfPresent(Float.self, forKey: .historyNormalization) ?? 0,
                      popularityDiscount: try c.decodeIfPresent(Float.self, forKey: .popularityDiscount) ?? 0,
                      weightsPerItem: try c.decodeIfPresent(Int.self, forKey: .weightsPerItem))
        }

        /// Checks the settings, and that B fits in memory (and in the file being opened):
        /// items × items while `solving`, else the stored form (items × m values and columns for
        /// a sparse B).
        func validate(items: Int, solving: Bool) throws {
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
            if let m = weightsPerItem, m < 1 {
                throw ConfigurationError.invalidSetting("EASE weights per item must be at least 1, got \(m)")
            }
            let limit = min(memoryLimit, Int(ProcessInfo.processInfo.physicalMemory / 2))
            let (squared, overflow) = items.multipliedReportingOverflow(by: items)
            guard !overflow, squared <= limit / 4 || (!solving && weightsPerItem != nil) else {
                throw ConfigurationError.invalidSetting(String(
                    format: "EASE needs an items × items matrix: %d items take %.1f GB, more than the limit of %.1f GB (Configuration.memoryLimit, at most half the machine's memory)",
                    items, Double(items) * Double(items) * 4 / 1e9, Double(limit) / 1e9))
            }
            // A sparse B stores its values and their columns.
            let (stored, storedOverflow) = items.multipliedReportingOverflow(by: weightsPerItem == nil ? items : 2 * storedRowLength(items: items))
            if let available = Tensor.savedBytesAvailable, storedOverflow || stored > available / 4 {
                throw ConfigurationError.invalidSetting(
                    "EASE's weights for \(items) items need \(stored) floats, but the file holds only \(available) bytes of tensor data")
            }
        }
    }

    public let configuration: Configuration
    public let userCount: Int
    public let itemCount: Int
    /// B's stored values: row i holds how much a history weight on item i adds to each item.
    /// Dense, items × items; sparse (``Configuration/weightsPerItem`` m), items × m, the
    /// columns of row i's values in the same row of ``itemWeightColumns``.
    public let itemWeights: Tensor
    /// For a sparse B, items × m: the item each value of ``itemWeights`` adds to, ascending
    /// within a row (item indices held exactly as Float32, a tensor like the others); nil for a
    /// dense B.
    public let itemWeightColumns: Tensor?
    /// Whether B keeps only the largest weights of each row (``Configuration/weightsPerItem``).
    public var isSparse: Bool { itemWeightColumns != nil }
    /// Each user's history (weights in ``UserItemIndex/ratings``).
    let history: UserItemIndex
    /// Scores rank items; they are not ratings.
    public var predictsRatings: Bool { false }
    public var outputRange: ClosedRange<Float>? { nil }
    public var summary: String {
        let c = configuration
        return "EASE(λ=\(c.regularization)\(c.dropoutEmphasis > 0 ? ", p=\(c.dropoutEmphasis)" : "")"
            + "\(c.historyNormalization > 0 ? ", α=\(c.historyNormalization)" : "")\(c.popularityDiscount > 0 ? ", β=\(c.popularityDiscount)" : "")"
            + "\(c.weightsPerItem.map { ", \($0) weights per item" } ?? ""))"
    }

    /// Fits B in closed form on `data`'s ratings (the history rows), through one Gram matrix
    /// (`ssyrk` on dense blocks of users, or a sparse accumulation when histories are short)
    /// and one Cholesky inverse (LAPACKE `spotrf` + `spotri`); for a sparse B, then keeps the
    /// largest m weights of each row.
    ///
    /// - Throws: ``ConfigurationError/invalidSetting(_:)`` for a bad configuration or a catalogue
    ///   beyond the memory limit; ``LinearAlgebraError`` if the solve fails.
    /// - Complexity: O(min(users · items², Σᵤ nᵤ²) + items³).
    public convenience init(fitting data: RatingsDataset, configuration: Configuration = Configuration(),
                            parallelism: Parallelism = .automatic) throws {
        let parallelism = configuration.deterministic ? .sequential : parallelism
        try configuration.validate(items: data.itemCount, solving: true)
        try Self.requireNonEmpty(users: data.userCount, items: data.itemCount)
        let feedback = try ImplicitFeedback(ratings: data, threshold: configuration.threshold, weighting: configuration.weighting)
        let dense = Tensor(name: Self.weightsName, shape: [data.itemCount, data.itemCount], role: .weight)
        try BLASThreading.withThreads(parallelism.threads) {
            try Self.solve(into: dense.storage, items: data.itemCount, history: feedback.interactions,
                           itemCounts: feedback.itemCounts, configuration: configuration)
        }
        guard configuration.weightsPerItem != nil else {
            try self.init(users: data.userCount, items: data.itemCount, configuration: configuration,
                          history: feedback.interactions, itemWeights: dense)
            return
        }
        try self.init(users: data.userCount, items: data.itemCount, configuration: configuration, history: feedback.interactions)
        fillLargestWeights(from: dense, parallelism: parallelism)
    }

    /// This dense model with only the `m` largest weights of each item's row of B kept: what
    /// fitting with ``Configuration/weightsPerItem`` m gives, without solving again.
    /// - Throws: ``ConfigurationError/invalidSetting(_:)`` for m < 1 or a model already sparse.
    public func keepingLargestWeights(perItem m: Int, parallelism: Parallelism = .automatic) throws -> EASE {
        guard !isSparse else {
            throw ConfigurationError.invalidSetting("this EASE keeps \(itemWeights.rowLength) weights per item already; prune its dense fit")
        }
        var sparse = configuration
        sparse.weightsPerItem = m
        let model = try EASE(users: userCount, items: itemCount, configuration: sparse, history: history)
        model.fillLargestWeights(from: itemWeights, parallelism: parallelism)
        return model
    }

    static let weightsName = "item_weights"
    static let columnsName = "item_weight_columns"

    /// A model with B zero, for a loader that fills it (``SavableModel``), or with the given B
    /// (tensors of the configuration's shapes, shared, not copied).
    init(users: Int, items: Int, configuration: Configuration, history: UserItemIndex,
         itemWeights: Tensor? = nil, itemWeightColumns: Tensor? = nil) throws {
        try configuration.validate(items: items, solving: false)
        try Self.requireNonEmpty(users: users, items: items)
        self.configuration = configuration
        userCount = users; itemCount = items
        let width = configuration.storedRowLength(items: items)
        self.itemWeights = itemWeights ?? Tensor(name: Self.weightsName, shape: [items, width], role: .weight)
        self.itemWeightColumns = configuration.weightsPerItem == nil ? nil
            : itemWeightColumns ?? Tensor(name: Self.columnsName, shape: [items, width], role: .weight)
        precondition(self.itemWeights.shape == [items, width] && self.itemWeightColumns.map { $0.shape == [items, width] } ?? true)
        self.history = history
    }

    /// Throws unless the model has at least one user and one item.
    private static func requireNonEmpty(users: Int, items: Int) throws {
        guard users > 0, items > 0 else {
            throw ConfigurationError.invalidSetting("model needs at least one user and one item, got \(users) and \(items)")
        }
    }

    /// B[i, j]: what a history weight of 1 on item i adds to item j's score (0 where a sparse B
    /// dropped the weight).
    /// - Precondition: `i` and `j` are item indices.
    public func weight(from i: Int, to j: Int) -> Float {
        precondition(i >= 0 && i < itemCount && j >= 0 && j < itemCount, "item index out of range")
        return uncheckedWeight(from: i, to: j)
    }

    /// ``weight(from:to:)`` for indices known to be valid: a sparse row's value by binary search
    /// over its ascending columns.
    @inline(__always)
    func uncheckedWeight(from i: Int, to j: Int) -> Float {
        guard let columns = itemWeightColumns?.storage else { return itemWeights.storage[i * itemCount + j] }
        let m = itemWeights.rowLength, row = columns + i * m, target = Float(j)
        var low = 0, high = m
        while low < high {
            let mid = (low + high) / 2
            if row[mid] < target { low = mid + 1 } else { high = mid }
        }
        return low < m && row[low] == target ? itemWeights.storage[i * m + low] : 0
    }

    /// Fills the sparse tensors from a dense B: each row's m largest magnitudes, off the
    /// diagonal (ties to the lower item), stored by ascending column.
    private func fillLargestWeights(from dense: Tensor, parallelism: Parallelism) {
        let n = itemCount, m = itemWeights.rowLength
        let source = UncheckedSendable(dense.storage)
        let values = UncheckedSendable(itemWeights.storage), columns = UncheckedSendable(itemWeightColumns!.storage)
        let workers = max(1, min(parallelism.threads, n))
        parallelFor(workers) { w in
            let magnitudes = UnsafeMutablePointer<Float>.allocate(capacity: n)
            defer { magnitudes.deallocate() }
            for i in stride(from: w, to: n, by: workers) {
                let row = source.value + i * n
                for j in 0..<n { magnitudes[j] = abs(row[j]) }
                // Below every magnitude, so the diagonal is kept only by a one-item catalogue.
                magnitudes[i] = -1
                let kept = topK(of: magnitudes, n: n, k: m).map { Int($0.item) }.sorted()
                for (slot, j) in kept.enumerated() {
                    columns.value[i * m + slot] = Float(j)
                    values.value[i * m + slot] = row[j]
                }
            }
        }
    }

    /// Checks a sparse B read from a file: each row's columns are item indices, ascending.
    func checkOpenedValues() throws {
        guard let columns = itemWeightColumns else { return }
        let m = columns.rowLength, c = columns.storage
        for i in 0..<itemCount {
            var previous: Float = -1
            for slot in 0..<m {
                let j = c[i * m + slot]
                guard j > previous, j < Float(itemCount), j.rounded(.towardZero) == j else {
                    throw RecommenderFileError.inconsistentTensor(Self.columnsName,
                        "row \(i) has column \(j) after \(previous): columns must be item indices in 0..<\(itemCount), ascending")
                }
                previous = j
            }
        }
    }

    /// Solves B into `g` (items × items): the Gram matrix of the weighted histories, Λ on its
    /// diagonal, its inverse P, then B = −P / diag(P) with a zero diagonal. `itemCounts`: each
    /// item's training users, for the popularity discount.
    private static func solve(into g: UnsafeMutablePointer<Float>, items n: Int, history: UserItemIndex,
                              itemCounts: [Int], configuration: Configuration) throws {
        gram(into: g, items: n, history: history, scales: rowScales(history, alpha: configuration.historyNormalization))
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
    private static func rowScales(_ history: UserItemIndex, alpha: Float) -> [Float]? {
        guard alpha > 0 else { return nil }
        let lengths = (0..<history.userCount).map { history.offsets[$0 + 1] - history.offsets[$0] }
        let readers = lengths.filter { $0 > 0 }
        guard !readers.isEmpty else { return nil }
        let mean = Double(readers.reduce(0, +)) / Double(readers.count)
        return lengths.map { $0 == 0 ? 0 : Float(Foundation.pow(Double($0) / mean, -Double(alpha))) }
    }

    /// G = XᵀX (upper triangle) of the weighted history rows, each scaled by `scales`.
    private static func gram(into g: UnsafeMutablePointer<Float>, items n: Int, history: UserItemIndex, scales: [Float]?) {
        let userCount = history.userCount
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
        for k in 0..<count {
            var s: Float = 0
            forEachHistoryEntry(of: users[k]) { i, weight in s += weight * uncheckedWeight(from: i, to: Int(items[k])) }
            output[k] = s
        }
    }

    func makeCatalogueScorer() -> any CatalogueScorer {
        isSparse ? SparseEASEScorer(model: self) : EASEScorer(model: self)
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
    public var adjustableSettings: Set<RecipeSetting> { [.deterministic, .regularization, .weighting, .weightsPerItem] }
}
