import COpenBLAS
import EmbedRecKernels

/// Weighted alternating least squares for implicit feedback (Hu, Koren & Volinsky 2008; the
/// main model of the `implicit` package), fitting a ``MatrixFactorization``.
///
/// Every (user, item) pair is an observation: preference 1 with confidence `c = 1 + α·w` for a
/// positive of weight w, preference 0 with confidence 1 otherwise. ALS alternates exact
/// minimisations over the user rows and the item rows of
/// `Σ c_ui (p_ui − x_u·y_i)² + λ (Σ‖x_u‖² + Σ‖y_i‖²)`. Each row's normal equations
/// `(YᵀY + λI + Σ_{i∈u} (c_ui − 1) y_i y_iᵀ) x_u = Σ_{i∈u} c_ui y_i` are solved with a few
/// conjugate-gradient steps warm-started from the previous row (as `implicit` does), using the
/// precomputed `YᵀY` so the work per row is d² + O(n_u·d), not the whole catalogue. Rows are
/// independent, so workers split them and the result does not depend on the thread count.
///
/// The fitted model recommends, saves and finds similar items like any MatrixFactorization; its
/// fold-in for a new reader is the same exact weighted solve (``MatrixFactorization/NewReaderSolve``).
public struct ImplicitALS: ModelFitter {
    /// The fit's settings: factors, λ, iterations, the confidence α, which ratings are positives
    /// and how they are weighted, and the seed of the initial factors.
    public struct Configuration: Sendable, Hashable, Codable {
        /// Factors per row (> 0).
        public var factors: Int = 64
        /// λ (≥ 0).
        public var regularization: Float = 0.05
        /// How λ applies to a row: the same for every row, or times the row's number of
        /// interactions (ALS-WR, Spark MLlib's rule).
        public var regularizationScaling: RegularizationScaling = .constant
        /// Alternations (each solves all users, then all items).
        public var iterations: Int = 15
        /// α: confidence `1 + α·w` of a positive of weight w.
        public var alpha: Float = 1
        /// Conjugate-gradient steps per row and half-iteration.
        public var conjugateGradientSteps: Int = 3
        /// Ratings below this are not positives (nil keeps every rating).
        public var threshold: Float? = nil
        /// A positive's weight w.
        public var weighting: InteractionWeighting = .binary
        /// Seed of the initial factors (uniform in [0, 0.01), as `implicit`).
        public var seed: UInt64 = 42

        /// Creates a configuration; ``ImplicitALS/fit(_:)`` checks the values.
        public init(factors: Int = 64, regularization: Float = 0.05, iterations: Int = 15, alpha: Float = 1,
                    conjugateGradientSteps: Int = 3, threshold: Float? = nil, weighting: InteractionWeighting = .binary,
                    seed: UInt64 = 42, regularizationScaling: RegularizationScaling = .constant) {
            self.factors = factors; self.regularization = regularization; self.iterations = iterations
            self.alpha = alpha; self.conjugateGradientSteps = conjugateGradientSteps
            self.threshold = threshold; self.weighting = weighting; self.seed = seed
            self.regularizationScaling = regularizationScaling
        }

        /// Decodes a configuration; one saved before ``regularizationScaling`` existed is ``RegularizationScaling/constant``.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init()
            factors = try c.decode(Int.self, forKey: .factors)
            regularization = try c.decode(Float.self, forKey: .regularization)
            regularizationScaling = try c.decodeIfPresent(RegularizationScaling.self, forKey: .regularizationScaling) ?? .constant
            iterations = try c.decode(Int.self, forKey: .iterations)
            alpha = try c.decode(Float.self, forKey: .alpha)
            conjugateGradientSteps = try c.decode(Int.self, forKey: .conjugateGradientSteps)
            threshold = try c.decodeIfPresent(Float.self, forKey: .threshold)
            weighting = try c.decode(InteractionWeighting.self, forKey: .weighting)
            seed = try c.decode(UInt64.self, forKey: .seed)
        }

        func validate() throws {
            guard factors > 0 else { throw ConfigurationError.invalidSetting("ALS factors must be > 0, got \(factors)") }
            guard regularization.isFinite, regularization >= 0 else {
                throw ConfigurationError.invalidSetting("ALS regularization must be finite and ≥ 0, got \(regularization)")
            }
            guard alpha.isFinite, alpha >= 0 else { throw ConfigurationError.invalidSetting("ALS alpha must be finite and ≥ 0, got \(alpha)") }
            guard iterations >= 0, conjugateGradientSteps >= 1 else {
                throw ConfigurationError.invalidSetting("ALS needs iterations ≥ 0 and at least one conjugate-gradient step")
            }
        }

        /// What the fitted model's fold-in solves.
        var newReaderSolve: MatrixFactorization.NewReaderSolve {
            .implicitFeedback(alpha: alpha, regularization: regularization, threshold: threshold, weighting: weighting,
                              scaling: regularizationScaling == .constant ? nil : regularizationScaling)
        }
    }

    /// How λ applies to each row's solve.
    public enum RegularizationScaling: String, Sendable, Hashable, Codable, CaseIterable {
        /// λ for every row (implicit's rule).
        case constant
        /// λ × the row's number of interactions (at least 1): ALS-WR (Zhou et al. 2008), the
        /// rule of Spark MLlib's ALS, whose `regParam` is then this λ. Rows with long lists are
        /// held closer to 0, popular items included.
        case interactionCount
    }

    /// The fit's settings.
    public var configuration: Configuration
    /// Workers for the row solves (the result does not depend on their number).
    public var parallelism: Parallelism

    /// A fitter; ``fit(_:)`` does the work.
    public init(configuration: Configuration = Configuration(), parallelism: Parallelism = .automatic) {
        self.configuration = configuration; self.parallelism = parallelism
    }

    /// Fits user and item factors to `data`'s ratings taken as implicit feedback.
    /// - Throws: ``ConfigurationError/invalidSetting(_:)``, ``DatasetError``.
    public func fit(_ data: RatingsDataset) throws -> MatrixFactorization {
        try configuration.validate()
        let feedback = try ImplicitFeedback(ratings: data, threshold: configuration.threshold, weighting: configuration.weighting)
        let d = configuration.factors
        let model = try MatrixFactorization(
            users: data.userCount, items: data.itemCount,
            configuration: .init(dimension: d, initializer: .uniform(0.005), seed: configuration.seed,
                                 newReaders: configuration.newReaderSolve, predictsRatings: false),
            initialized: false)
        // implicit's initialisation: uniform in [0, 0.01).
        var rng = SeededGenerator(seed: configuration.seed)
        for t in [model.userEmbedding, model.itemEmbedding] {
            for k in 0..<t.count { t.storage[k] = rng.nextUnitFloat() * 0.01 }
        }
        let byUser = feedback.interactions
        let byItem = Self.transpose(byUser, itemCount: data.itemCount)
        let alpha = configuration.alpha
        for _ in 0..<configuration.iterations {
            solveRows(model.userEmbedding.storage, count: data.userCount, lists: byUser,
                      other: model.itemEmbedding.storage, otherCount: data.itemCount, d: d, alpha: alpha)
            solveRows(model.itemEmbedding.storage, count: data.itemCount, lists: byItem,
                      other: model.userEmbedding.storage, otherCount: data.userCount, d: d, alpha: alpha)
        }
        return model
    }

    /// The interactions by item (users ascending), with the same weights.
    static func transpose(_ lists: UserItemIndex, itemCount: Int) -> UserItemIndex {
        var offsets = [Int](repeating: 0, count: itemCount + 1)
        for i in lists.items { offsets[Int(i) + 1] += 1 }
        for i in 0..<itemCount { offsets[i + 1] += offsets[i] }
        var cursor = offsets
        var users = [Int32](repeating: 0, count: lists.items.count)
        var weights = [Float](repeating: 0, count: lists.items.count)
        for u in 0..<lists.userCount {
            for k in lists.offsets[u]..<lists.offsets[u + 1] {
                let i = Int(lists.items[k])
                users[cursor[i]] = Int32(u); weights[cursor[i]] = lists.ratings[k]
                cursor[i] += 1
            }
        }
        return UserItemIndex(uncheckedOffsets: offsets, items: users, ratings: weights)
    }

    /// One half-iteration: every row of `rows` re-solved against the fixed `other` table.
    private func solveRows(
        _ rows: UnsafeMutablePointer<Float>, count: Int, lists: UserItemIndex,
        other: UnsafeMutablePointer<Float>, otherCount: Int, d: Int, alpha: Float
    ) {
        // G = YᵀY + λI (d × d), shared by every row.
        var gram = [Float](repeating: 0, count: d * d)
        gram.withUnsafeMutableBufferPointer { g in
            BLAS.gemm(transposeA: true, m: d, n: d, k: otherCount, a: other, lda: d, b: other, ldb: d,
                      beta: 0, c: g.baseAddress!, ldc: d)
            if configuration.regularizationScaling == .constant { for f in 0..<d { g[f * d + f] += configuration.regularization } }
        }
        let workers = max(1, min(parallelism.threads, count / 64))
        BLASThreading.useSingleThreadedBLAS()
        let steps = configuration.conjugateGradientSteps
        let lambdaPerInteraction: Float = configuration.regularizationScaling == .interactionCount ? configuration.regularization : 0
        gram.withUnsafeBufferPointer { g in
            let gp = g.baseAddress!
            lists.offsets.withUnsafeBufferPointer { offsets in
                lists.items.withUnsafeBufferPointer { items in
                    lists.ratings.withUnsafeBufferPointer { weights in
                        let o = offsets.baseAddress!, it = items.baseAddress!, w = weights.baseAddress!
                        // Chunks of about equal work (rows + interactions), several per worker so
                        // that long lists (popular items) do not leave a worker idle; worker w
                        // takes chunks w, w + workers, … (exactly `workers` threads).
                        let chunks = workers == 1 ? 1 : 8 * workers
                        let total = count + lists.items.count
                        var bounds = [0]
                        for r in 0..<count where bounds.count < chunks && r + o[r] >= bounds.count * total / chunks {
                            bounds.append(r)
                        }
                        bounds.append(count)
                        parallelFor(workers) { worker in
                            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 3 * d)
                            defer { scratch.deallocate() }
                            for chunk in stride(from: worker, to: bounds.count - 1, by: workers) {
                                let first = bounds[chunk], end = bounds[chunk + 1]
                                guard first < end else { continue }
                                ALSKernels.solveRows(rows, first: first, end: end, offsets: o, items: it, weights: w,
                                                     other: other, gram: gp, d: d, alpha: alpha, lambdaPerInteraction: lambdaPerInteraction,
                                                     steps: steps, scratch: scratch)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The row solve of weighted ALS, in C (`embedrec_als_rows` in shim.h): AVX2 where the CPU has
/// it, the baseline otherwise (`EMBEDREC_DISABLE_AVX2` forces it), with identical results.
enum ALSKernels {
    /// Re-solves rows `first..<end` of `rows` against the fixed `other` table (`scratch`: 3·d floats);
    /// `lambdaPerInteraction` > 0 adds λ × the row's interaction count to its diagonal (ALS-WR).
    static func solveRows(
        _ rows: UnsafeMutablePointer<Float>, first: Int, end: Int, offsets: UnsafePointer<Int>,
        items: UnsafePointer<Int32>, weights: UnsafePointer<Float>, other: UnsafePointer<Float>,
        gram: UnsafePointer<Float>, d: Int, alpha: Float, lambdaPerInteraction: Float = 0, steps: Int,
        scratch: UnsafeMutablePointer<Float>, avx2: Bool = CPUFeatures.hasAVX2
    ) {
        if avx2 {
            embedrec_als_rows_avx2(rows, first, end, offsets, items, weights, other, gram, d, alpha, lambdaPerInteraction, steps, scratch)
        } else {
            embedrec_als_rows(rows, first, end, offsets, items, weights, other, gram, d, alpha, lambdaPerInteraction, steps, scratch)
        }
    }
}

extension ImplicitALS {
    /// ``fit(_:)`` with the options' threads.
    public func fit(_ data: RatingsDataset, options: FitOptions) throws -> FittedModel {
        var fitter = self
        if let parallelism = options.parallelism { fitter.parallelism = parallelism }
        return FittedModel(model: try fitter.fit(data))
    }

    /// ALS ranks: its dot products are preferences, not ratings.
    public var predictsRatings: Bool { false }

    public var adjustableSettings: Set<RecipeSetting> {
        [.dimension, .epochs, .seed, .deterministic, .regularization, .alpha, .weighting, .regularizationScaling]
    }

    /// Dimension: the factors; epochs: the iterations. The row solves give the same result on
    /// any number of threads, so one thread only slows the fit (it is accepted for symmetry).
    public func adjusted(_ changes: RecipeChanges) throws -> ImplicitALS {
        var copy = self
        if let d = changes.dimension { copy.configuration.factors = d }
        if let epochs = changes.epochs { copy.configuration.iterations = epochs }
        if let seed = changes.seed { copy.configuration.seed = seed }
        if changes.deterministic { copy.parallelism = .sequential }
        if let lambda = changes.regularization { copy.configuration.regularization = lambda }
        if let alpha = changes.alpha { copy.configuration.alpha = alpha }
        if let scaling = changes.regularizationScaling { copy.configuration.regularizationScaling = scaling }
        if let weighting = changes.weighting { try weighting.validate(); copy.configuration.weighting = weighting }
        return copy
    }
}
