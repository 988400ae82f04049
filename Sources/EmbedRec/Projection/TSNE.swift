import EmbedRecKernels
import RealModule

/// How t-SNE computes the repulsive part of its gradient.
public enum TSNEGradient: Sendable, Hashable, Codable {
    /// Barnes-Hut: cells narrower than `theta` × their distance act as one point at their centre
    /// of mass. O(n log n) per iteration; `theta` in `0...0.7` (0 is exact through the tree).
    case barnesHut(theta: Float)
    /// Every pair, O(n²) per iteration: the reference the approximation is tested against, and a
    /// choice for a few thousand points at most.
    case exact
}

/// Where t-SNE's points start.
public enum TSNEInitialization: Sendable, Hashable, Codable {
    /// The first two principal components, scaled so the first has standard deviation 10⁻⁴
    /// (openTSNE's default: deterministic, and it keeps the global layout of the data).
    case pca
    /// Independent normal coordinates with standard deviation 10⁻⁴, from the configuration's seed.
    case random
}

/// The settings of a t-SNE run. The defaults are openTSNE's, with the iteration counts of the
/// tutorials (250 early-exaggeration iterations, then 750).
public struct TSNEConfiguration: Sendable, Hashable, Codable {
    /// The effective number of neighbours each point's Gaussian covers; `3 × perplexity` exact
    /// nearest neighbours (at most rows − 1) carry its affinities.
    public var perplexity: Double
    /// The factor on the attractive forces during the first phase, which lets clusters form.
    public var earlyExaggeration: Float
    /// Iterations of the exaggerated phase.
    public var earlyExaggerationIterations: Int
    /// Iterations after the exaggerated phase.
    public var iterations: Int
    /// The step size; nil takes openTSNE's automatic choice, rows / exaggeration in each phase.
    public var learningRate: Float?
    /// Momentum in the exaggerated phase and after it.
    public var initialMomentum: Float
    /// Momentum after the exaggerated phase.
    public var finalMomentum: Float
    /// A step longer than this (per point) is shortened to it, so no point shoots off.
    public var maxStepNorm: Float
    /// Barnes-Hut (the default) or the exact O(n²) gradient.
    public var gradient: TSNEGradient
    /// Where the points start.
    public var initialization: TSNEInitialization
    /// Seeds the random initialization (the PCA initialization uses no randomness).
    public var seed: UInt64
    /// Worker threads for the neighbour search and the gradient. The result does not depend on
    /// the count: every point's forces are summed in the same order on any number of threads.
    public var parallelism: Parallelism

    /// The defaults are openTSNE's (with 750 iterations after the exaggerated 250); each parameter is the property of the same name.
    public init(perplexity: Double = 30, earlyExaggeration: Float = 12, earlyExaggerationIterations: Int = 250,
                iterations: Int = 750, learningRate: Float? = nil, initialMomentum: Float = 0.8,
                finalMomentum: Float = 0.8, maxStepNorm: Float = 5, gradient: TSNEGradient = .barnesHut(theta: 0.5),
                initialization: TSNEInitialization = .pca, seed: UInt64 = 0, parallelism: Parallelism = .automatic) {
        self.perplexity = perplexity; self.earlyExaggeration = earlyExaggeration
        self.earlyExaggerationIterations = earlyExaggerationIterations; self.iterations = iterations
        self.learningRate = learningRate; self.initialMomentum = initialMomentum; self.finalMomentum = finalMomentum
        self.maxStepNorm = maxStepNorm; self.gradient = gradient; self.initialization = initialization
        self.seed = seed; self.parallelism = parallelism
    }

    func validate(rows: Int) throws {
        func fail(_ message: String) -> ConfigurationError { .invalidSetting(message) }
        guard perplexity.isFinite, perplexity >= 1 else { throw fail("perplexity must be at least 1, got \(perplexity)") }
        guard perplexity <= Double(rows - 1) else {
            // (Formatted as a Double: a huge perplexity would trap converting to Int.)
            throw fail("perplexity \(perplexity) needs more rows than that, got \(rows); lower the perplexity below \(rows)")
        }
        guard earlyExaggeration.isFinite, earlyExaggeration >= 1 else { throw fail("earlyExaggeration must be at least 1, got \(earlyExaggeration)") }
        guard earlyExaggerationIterations >= 0, iterations >= 0 else { throw fail("iteration counts must not be negative") }
        guard earlyExaggerationIterations <= 1_000_000, iterations <= 1_000_000 else { throw fail("at most 10⁶ iterations per phase") }
        if let rate = learningRate, !(rate.isFinite && rate > 0) { throw fail("learningRate must be positive and finite, got \(rate)") }
        for (name, m) in [("initialMomentum", initialMomentum), ("finalMomentum", finalMomentum)] where !(m >= 0 && m < 1) {
            throw fail("\(name) must be in 0..<1, got \(m)")
        }
        guard maxStepNorm.isFinite, maxStepNorm > 0 else { throw fail("maxStepNorm must be positive and finite, got \(maxStepNorm)") }
        if case .barnesHut(let theta) = gradient, !(theta >= 0 && theta <= 0.7) {
            // Above ≈ 0.7 a cell that holds the point itself can pass the size test.
            throw fail("theta must be in 0...0.7, got \(theta)")
        }
    }
}

/// A t-SNE map (van der Maaten & Hinton 2008) of a table's rows to the plane, for looking at
/// which items a model puts together.
///
/// Affinities come from each row's exact nearest neighbours (sgemm), calibrated to the
/// perplexity by bisection and symmetrised; the map is optimised as openTSNE does (gains,
/// momentum, early exaggeration, step clipping, re-centring) with a Barnes-Hut gradient on a
/// Morton-ordered quadtree, split over the configured threads. Deterministic for a
/// configuration, whatever the thread count.
///
/// ```swift
/// let map = try TSNE(fitting: table, rows: items, dimension: 32)
/// let (x, y) = (map.points[2 * i], map.points[2 * i + 1])
/// ```
public struct TSNE: Sendable {
    /// Row-major `rows × 2` coordinates.
    public let points: [Float]
    /// The number of points (the table's rows).
    public let rows: Int
    /// KL(P ‖ Q) of the final map (lower is better), from the same gradient approximation.
    public let klDivergence: Float
    /// The settings the map was made with.
    public let configuration: TSNEConfiguration

    /// Maps the rows of a row-major `rows × dimension` table.
    ///
    /// - Throws: ``ConfigurationError/shapeMismatch(_:)`` when the values do not form the rows,
    ///   ``ConfigurationError/invalidSetting(_:)`` for a bad setting (the message says which), fewer
    ///   than 3 rows, more than 2³¹ − 1 rows, or non-finite values.
    public init(fitting table: [Float], rows: Int, dimension: Int, configuration: TSNEConfiguration = .init()) throws {
        guard rows >= 0, dimension > 0, table.count == rows * dimension else {
            throw ConfigurationError.shapeMismatch("\(table.count) values do not form \(rows) rows of \(dimension)")
        }
        guard rows >= 3 else { throw ConfigurationError.invalidSetting("t-SNE needs at least 3 rows, got \(rows)") }
        guard rows < Int(Int32.max) else { throw ConfigurationError.invalidSetting("t-SNE takes fewer than 2³¹ − 1 rows, got \(rows)") }
        try configuration.validate(rows: rows)
        guard table.allSatisfy(\.isFinite) else { throw ConfigurationError.invalidSetting("the table holds NaN or infinite values") }
        self.rows = rows; self.configuration = configuration
        let affinities = TSNEAffinities(table: table, rows: rows, dimension: dimension, perplexity: configuration.perplexity,
                                        threads: configuration.parallelism.threads)
        var y = try Self.initialPoints(table: table, rows: rows, dimension: dimension, configuration: configuration)
        var optimizer = TSNEOptimizer(rows: rows, configuration: configuration)
        let phases: [(exaggeration: Float, iterations: Int, momentum: Float)] = [
            (configuration.earlyExaggeration, configuration.earlyExaggerationIterations, configuration.initialMomentum),
            (1, configuration.iterations, configuration.finalMomentum),
        ]
        for phase in phases where phase.iterations > 0 {
            let rate = configuration.learningRate ?? Float(rows) / phase.exaggeration
            for _ in 0..<phase.iterations {
                let gradient = TSNEGradientEvaluation(points: y, affinities: affinities, exaggeration: phase.exaggeration,
                                                      method: configuration.gradient, threads: configuration.parallelism.threads)
                optimizer.step(points: &y, gradient: gradient.gradient, learningRate: rate, momentum: phase.momentum)
            }
        }
        let final = TSNEGradientEvaluation(points: y, affinities: affinities, exaggeration: 1,
                                           method: configuration.gradient, threads: configuration.parallelism.threads)
        points = y
        klDivergence = Float(affinities.klDivergence(points: y, normalisation: final.normalisation))
    }

    /// Maps a model's item embedding table.
    /// - Throws: ``RecommenderError/noItemEmbedding(_:)`` for a model without one, and as above.
    public init(itemEmbeddingsOf model: any Model, configuration: TSNEConfiguration = .init()) throws {
        let t = try model.itemEmbeddingTable()
        try self.init(fitting: t.toArray(), rows: t.rows, dimension: t.rowLength, configuration: configuration)
    }

    static func initialPoints(table: [Float], rows: Int, dimension: Int, configuration: TSNEConfiguration) throws -> [Float] {
        if configuration.initialization == .pca, dimension >= 2 {
            let pca = try PrincipalComponents(fitting: table, rows: rows, dimension: dimension, components: 2)
            var y = pca.transform(table, rows: rows)
            var mean = 0.0, square = 0.0
            for r in 0..<rows { mean += Double(y[2 * r]) }
            mean /= Double(rows)
            for r in 0..<rows { let d = Double(y[2 * r]) - mean; square += d * d }
            let std = (square / Double(rows)).squareRoot()
            if std > 0, std.isFinite {
                let scale = Float(1e-4 / std)
                for i in y.indices { y[i] *= scale }
                return y
            }
            // Every row projects to one point: no layout to keep, start at random.
        }
        var generator = SeededGenerator(seed: configuration.seed)
        return (0..<(2 * rows)).map { _ in Float(generator.nextNormal() * 1e-4) }
    }
}

/// The symmetric affinities P of t-SNE as a sparse matrix (CSR), summing to 1.
struct TSNEAffinities: Sendable {
    let rows: Int
    let rowStart: [Int]
    let columns: [Int32]
    let values: [Float]

    init(table: [Float], rows: Int, dimension: Int, perplexity: Double, threads: Int) {
        let k = min(rows - 1, Int(3 * perplexity))
        let neighbours = NearestNeighbours(table: table, rows: rows, dimension: dimension, k: k, threads: threads)
        // Conditional p(j | i), each row calibrated to the perplexity.
        var conditional = [Float](repeating: 0, count: rows * k)
        let target = Double.log(perplexity)
        conditional.withUnsafeMutableBufferPointer { out in
            neighbours.squaredDistances.withUnsafeBufferPointer { d in
                parallelFor(max(1, threads)) { w in
                    var weights = [Double](repeating: 0, count: k)
                    var r = w
                    while r < rows {
                        Self.calibrate(d.baseAddress! + r * k, k: k, targetEntropy: target, weights: &weights)
                        for j in 0..<k { out[r * k + j] = Float(weights[j]) }
                        r += max(1, threads)
                    }
                }
            }
        }
        // P = (P_cond + P_condᵀ) / (2n): each row's own entries and the ones pointing at it.
        var counts = [Int](repeating: k, count: rows)
        for j in neighbours.indices { counts[Int(j)] += 1 }
        var start = [Int](repeating: 0, count: rows + 1)
        for r in 0..<rows { start[r + 1] = start[r] + counts[r] }
        var fill = Array(start.dropLast())
        var rawColumns = [Int32](repeating: 0, count: start[rows])
        var rawValues = [Float](repeating: 0, count: start[rows])
        let half = 1 / Float(2 * rows)
        for r in 0..<rows {
            for s in 0..<k {
                let j = Int(neighbours.indices[r * k + s]), p = conditional[r * k + s] * half
                rawColumns[fill[r]] = Int32(j); rawValues[fill[r]] = p; fill[r] += 1
                rawColumns[fill[j]] = Int32(r); rawValues[fill[j]] = p; fill[j] += 1
            }
        }
        // Sort each row by column and merge the pairs present in both directions.
        var mergedStart = [Int](repeating: 0, count: rows + 1)
        var mergedColumns: [Int32] = [], mergedValues: [Float] = []
        mergedColumns.reserveCapacity(start[rows]); mergedValues.reserveCapacity(start[rows])
        for r in 0..<rows {
            let entries = (start[r]..<start[r + 1]).map { (rawColumns[$0], rawValues[$0]) }.sorted { $0.0 < $1.0 }
            for (c, v) in entries {
                if let last = mergedColumns.last, mergedColumns.count > mergedStart[r], last == c {
                    mergedValues[mergedValues.count - 1] += v
                } else {
                    mergedColumns.append(c); mergedValues.append(v)
                }
            }
            mergedStart[r + 1] = mergedColumns.count
        }
        self.rows = rows; rowStart = mergedStart; columns = mergedColumns; values = mergedValues
    }

    /// Fills `weights` with exp(−β·(d − d_min)) normalised, β found by bisection so the
    /// distribution's entropy is `targetEntropy` (natural log).
    static func calibrate(_ d: UnsafePointer<Float>, k: Int, targetEntropy: Double, weights: inout [Double]) {
        var minimum = Double(d[0])
        for j in 1..<max(1, k) { minimum = min(minimum, Double(d[j])) }
        var beta = 1.0, low = -Double.infinity, high = Double.infinity
        for _ in 0..<200 {
            var sum = 0.0, weighted = 0.0
            for j in 0..<k {
                let shifted = Double(d[j]) - minimum
                let w = Double.exp(-beta * shifted)
                weights[j] = w; sum += w; weighted += w * shifted
            }
            let entropy = Double.log(sum) + beta * weighted / sum
            let error = entropy - targetEntropy
            if abs(error) < 1e-8 { break }
            if error > 0 {
                low = beta; beta = high.isFinite ? (beta + high) / 2 : beta * 2
            } else {
                high = beta; beta = low.isFinite ? (beta + low) / 2 : beta / 2
            }
        }
        let sum = weights.prefix(k).reduce(0, +)
        for j in 0..<k { weights[j] /= sum }
    }

    /// KL(P ‖ Q) for points whose kernel sum Σ_{i≠j} 1/(1 + ‖yᵢ − yⱼ‖²) is `normalisation`.
    func klDivergence(points y: [Float], normalisation: Double) -> Double {
        var kl = 0.0
        for r in 0..<rows {
            for e in rowStart[r]..<rowStart[r + 1] {
                let p = Double(values[e])
                guard p > 0 else { continue }
                let c = Int(columns[e])
                let dx = Double(y[2 * r] - y[2 * c]), dy = Double(y[2 * r + 1] - y[2 * c + 1])
                let q = 1 / (1 + dx * dx + dy * dy) / normalisation
                kl += p * Double.log(p / q)
            }
        }
        return kl
    }
}

/// One evaluation of the t-SNE gradient: exaggeration · attraction − repulsion / Z.
struct TSNEGradientEvaluation {
    var gradient: [Float]
    /// Z = Σ_{i≠j} 1/(1 + ‖yᵢ − yⱼ‖²), as approximated.
    var normalisation: Double

    init(points y: [Float], affinities p: TSNEAffinities, exaggeration: Float, method: TSNEGradient, threads: Int) {
        let n = p.rows
        let workers = max(1, threads)
        var repulsion = [Float](repeating: 0, count: 2 * n)
        var perPointZ = [Float](repeating: 0, count: n)
        let chunk = 256
        let chunks = (n + chunk - 1) / chunk
        switch method {
        case .barnesHut(let theta):
            let tree = y.withUnsafeBufferPointer { BarnesHutQuadtree(points: $0.baseAddress!, n: n) }
            tree.nodes.withUnsafeBufferPointer { nodes in
                tree.sorted.withUnsafeBufferPointer { sorted in
                    tree.order.withUnsafeBufferPointer { order in
                        repulsion.withUnsafeMutableBufferPointer { rep in
                            perPointZ.withUnsafeMutableBufferPointer { z in
                                parallelFor(workers) { w in
                                    var c = w
                                    while c < chunks {
                                        for s in (c * chunk)..<min(n, (c + 1) * chunk) {
                                            let f = tree.repulsion(sortedPoint: s, theta2: theta * theta, nodes: nodes, points: sorted)
                                            let i = Int(order[s])
                                            rep[2 * i] = f.fx; rep[2 * i + 1] = f.fy; z[i] = f.z
                                        }
                                        c += workers
                                    }
                                }
                            }
                        }
                    }
                }
            }
        case .exact:
            y.withUnsafeBufferPointer { pts in
                repulsion.withUnsafeMutableBufferPointer { rep in
                    perPointZ.withUnsafeMutableBufferPointer { z in
                        parallelFor(workers) { w in
                            var c = w
                            while c < chunks {
                                for i in (c * chunk)..<min(n, (c + 1) * chunk) {
                                    let px = pts[2 * i], py = pts[2 * i + 1]
                                    var fx: Float = 0, fy: Float = 0, zi: Float = 0
                                    for j in 0..<n where j != i {
                                        let dx = px - pts[2 * j], dy = py - pts[2 * j + 1]
                                        let q = 1 / (1 + dx * dx + dy * dy)
                                        zi += q; fx += q * q * dx; fy += q * q * dy
                                    }
                                    rep[2 * i] = fx; rep[2 * i + 1] = fy; z[i] = zi
                                }
                                c += workers
                            }
                        }
                    }
                }
            }
        }
        // Z summed in one order in Double, so the result does not depend on the threads.
        var total = 0.0
        for v in perPointZ { total += Double(v) }
        normalisation = total
        let inverseZ = Float(1 / total)
        var gradient = [Float](repeating: 0, count: 2 * n)
        y.withUnsafeBufferPointer { pts in
            repulsion.withUnsafeBufferPointer { rep in
                gradient.withUnsafeMutableBufferPointer { g in
                    p.rowStart.withUnsafeBufferPointer { rowStart in
                        p.columns.withUnsafeBufferPointer { columns in
                            p.values.withUnsafeBufferPointer { values in
                                parallelFor(workers) { w in
                                    var c = w
                                    while c < chunks {
                                        for i in (c * chunk)..<min(n, (c + 1) * chunk) {
                                            let px = pts[2 &* i], py = pts[2 &* i &+ 1]
                                            var ax: Float = 0, ay: Float = 0
                                            for e in rowStart[i]..<rowStart[i &+ 1] {
                                                let j = Int(columns[e])
                                                let dx = px - pts[2 &* j], dy = py - pts[2 &* j &+ 1]
                                                let pq = values[e] / (1 + dx * dx + dy * dy)
                                                ax += pq * dx; ay += pq * dy
                                            }
                                            g[2 &* i] = exaggeration * ax - rep[2 &* i] * inverseZ
                                            g[2 &* i &+ 1] = exaggeration * ay - rep[2 &* i &+ 1] * inverseZ
                                        }
                                        c += workers
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        self.gradient = gradient
    }
}

/// openTSNE's gradient descent: per-coordinate gains (delta-bar-delta), momentum, a cap on each
/// point's step, and re-centring.
struct TSNEOptimizer {
    var gains: [Float]
    var update: [Float]
    let maxStepNorm: Float
    let minimumGain: Float = 0.01

    init(rows: Int, configuration: TSNEConfiguration) {
        gains = [Float](repeating: 1, count: 2 * rows)
        update = [Float](repeating: 0, count: 2 * rows)
        maxStepNorm = configuration.maxStepNorm
    }

    mutating func step(points y: inout [Float], gradient: [Float], learningRate: Float, momentum: Float) {
        @inline(__always) func sign(_ v: Float) -> Int { v > 0 ? 1 : (v < 0 ? -1 : 0) }
        let n = y.count / 2
        for i in 0..<(2 * n) {
            if sign(update[i]) != sign(gradient[i]) { gains[i] += 0.2 } else { gains[i] = gains[i] * 0.8 + minimumGain }
            update[i] = momentum * update[i] - learningRate * gains[i] * gradient[i]
        }
        var meanX = 0.0, meanY = 0.0
        for r in 0..<n {
            let ux = update[2 * r], uy = update[2 * r + 1]
            let norm = (ux * ux + uy * uy).squareRoot()
            if norm > maxStepNorm {
                update[2 * r] = ux / norm * maxStepNorm; update[2 * r + 1] = uy / norm * maxStepNorm
            }
            y[2 * r] += update[2 * r]; y[2 * r + 1] += update[2 * r + 1]
            meanX += Double(y[2 * r]); meanY += Double(y[2 * r + 1])
        }
        let mx = Float(meanX / Double(n)), my = Float(meanY / Double(n))
        for r in 0..<n { y[2 * r] -= mx; y[2 * r + 1] -= my }
    }
}
