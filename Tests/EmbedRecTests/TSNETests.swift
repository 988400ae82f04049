import Foundation
import Testing
@testable import EmbedRec

@Suite("t-SNE maps")
struct TSNETests {
    /// `clusters` Gaussian blobs of unit spread around centres `separation` apart on the axes.
    static func blobs(rows: Int, dimension: Int, clusters: Int, separation: Float, seed: UInt64) -> (table: [Float], labels: [Int]) {
        var rng = SeededGenerator(seed: seed)
        var table = [Float](repeating: 0, count: rows * dimension), labels = [Int]()
        for r in 0..<rows {
            let c = r % clusters
            labels.append(c)
            for f in 0..<dimension { table[r * dimension + f] = Float(rng.nextNormal()) + (f == c % dimension ? separation * Float(1 + c / dimension) : 0) }
        }
        return (table, labels)
    }

    static func spread(points: Int, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<(2 * points)).map { _ in Float(rng.nextNormal() * 3) }
    }

    @Test("each point's conditional affinities have the entropy the perplexity asks for")
    func perplexityCalibration() throws {
        let (table, _) = Self.blobs(rows: 200, dimension: 6, clusters: 3, separation: 4, seed: 1)
        for perplexity in [5.0, 30.0] {
            let k = Int(3 * perplexity)
            let neighbours = NearestNeighbours(table: table, rows: 200, dimension: 6, k: k, threads: 2)
            var weights = [Double](repeating: 0, count: k)
            for r in [0, 17, 199] {
                neighbours.squaredDistances.withUnsafeBufferPointer {
                    TSNEAffinities.calibrate($0.baseAddress! + r * k, k: k, targetEntropy: log(perplexity), weights: &weights)
                }
                let entropy = -weights.reduce(0) { $0 + ($1 > 0 ? $1 * log($1) : 0) }
                #expect(abs(exp(entropy) - perplexity) < 1e-3 * perplexity, "row \(r): perplexity \(exp(entropy))")
                #expect(abs(weights.reduce(0, +) - 1) < 1e-9)
            }
        }
        // The joint affinities are symmetric and sum to 1.
        let p = TSNEAffinities(table: table, rows: 200, dimension: 6, perplexity: 10, threads: 2)
        var dense = [Float](repeating: 0, count: 200 * 200)
        for r in 0..<200 { for e in p.rowStart[r]..<p.rowStart[r + 1] { dense[r * 200 + Int(p.columns[e])] += p.values[e] } }
        #expect(abs(dense.reduce(0, +) - 1) < 1e-4)
        #expect((0..<200).allSatisfy { i in (0..<200).allSatisfy { j in abs(dense[i * 200 + j] - dense[j * 200 + i]) < 1e-9 } })
        #expect((0..<200).allSatisfy { dense[$0 * 200 + $0] == 0 })
    }

    @Test("exact neighbours agree with a brute-force search")
    func nearestNeighbours() {
        let (table, _) = Self.blobs(rows: 300, dimension: 5, clusters: 4, separation: 3, seed: 2)
        let found = NearestNeighbours(table: table, rows: 300, dimension: 5, k: 7, threads: 2)
        for r in stride(from: 0, to: 300, by: 13) {
            var d: [(index: Int, distance: Float)] = []
            for j in 0..<300 where j != r {
                var sum: Float = 0
                for f in 0..<5 { let v = table[r * 5 + f] - table[j * 5 + f]; sum += v * v }
                d.append((j, sum))
            }
            d.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.index < $1.index }
            let expected: [Int] = d.prefix(7).map(\.index)
            let got: [Int] = found.indices[(r * 7)..<(r * 7 + 7)].map { Int($0) }
            #expect(got == expected)
            for s in 0..<7 {
                let want = d[s].distance
                #expect(abs(found.squaredDistances[r * 7 + s] - want) < 1e-3 * max(1, want))
            }
        }
    }

    @Test("the Barnes-Hut gradient matches the exact one: to rounding at θ = 0, closely at θ = 0.5")
    func barnesHutAgreesWithExact() throws {
        let (table, _) = Self.blobs(rows: 400, dimension: 8, clusters: 4, separation: 5, seed: 3)
        let p = TSNEAffinities(table: table, rows: 400, dimension: 8, perplexity: 20, threads: 2)
        let y = Self.spread(points: 400, seed: 9)
        let exact = TSNEGradientEvaluation(points: y, affinities: p, exaggeration: 1, method: .exact, threads: 2)
        func relativeError(_ g: [Float]) -> Double {
            let num = zip(g, exact.gradient).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
            let den = exact.gradient.reduce(0.0) { $0 + Double($1 * $1) }
            return (num / den).squareRoot()
        }
        let treeExact = TSNEGradientEvaluation(points: y, affinities: p, exaggeration: 1, method: .barnesHut(theta: 0), threads: 2)
        #expect(relativeError(treeExact.gradient) < 1e-4)
        #expect(abs(treeExact.normalisation - exact.normalisation) < 1e-4 * exact.normalisation)
        let approximate = TSNEGradientEvaluation(points: y, affinities: p, exaggeration: 1, method: .barnesHut(theta: 0.5), threads: 2)
        #expect(relativeError(approximate.gradient) < 0.03, "θ 0.5 error \(relativeError(approximate.gradient))")
        #expect(abs(approximate.normalisation - exact.normalisation) < 0.01 * exact.normalisation)
        // A coarser tree is a worse approximation: the test can tell the two apart.
        let coarse = TSNEGradientEvaluation(points: y, affinities: p, exaggeration: 1, method: .barnesHut(theta: 0.7), threads: 2)
        #expect(relativeError(coarse.gradient) > relativeError(approximate.gradient))
    }

    @Test("the gradient is the derivative of the KL divergence (finite differences)")
    func gradientIsTheDerivative() throws {
        let (table, _) = Self.blobs(rows: 60, dimension: 4, clusters: 3, separation: 4, seed: 4)
        let p = TSNEAffinities(table: table, rows: 60, dimension: 4, perplexity: 10, threads: 1)
        let y = Self.spread(points: 60, seed: 5)
        func kl(_ y: [Float]) -> Double {
            let z = TSNEGradientEvaluation(points: y, affinities: p, exaggeration: 1, method: .exact, threads: 1).normalisation
            return p.klDivergence(points: y, normalisation: z)
        }
        let g = TSNEGradientEvaluation(points: y, affinities: p, exaggeration: 1, method: .exact, threads: 1).gradient
        // openTSNE's gradient omits the constant 4 of dKL/dy; its learning rate absorbs it.
        for i in [0, 7, 33, 119] {
            var plus = y, minus = y
            plus[i] += 1e-2; minus[i] -= 1e-2
            let numeric = (kl(plus) - kl(minus)) / 2e-2 / 4
            #expect(abs(numeric - Double(g[i])) < 2e-3 * max(1e-3, abs(numeric)) + 1e-5, "coordinate \(i): \(numeric) vs \(g[i])")
        }
    }

    @Test("planted clusters stay apart, and the map keeps neighbours")
    func plantedClusters() throws {
        let (table, labels) = Self.blobs(rows: 600, dimension: 10, clusters: 5, separation: 12, seed: 6)
        let map = try TSNE(fitting: table, rows: 600, dimension: 10,
                           configuration: .init(perplexity: 20, iterations: 300))
        // Every point's 10 nearest neighbours in the map share its cluster.
        let near = NearestNeighbours(table: map.points, rows: 600, dimension: 2, k: 10, threads: 2)
        let pure = (0..<600).filter { r in near.indices[(r * 10)..<(r * 10 + 10)].allSatisfy { labels[Int($0)] == labels[r] } }.count
        #expect(pure >= 594, "\(pure) of 600 points have only same-cluster map neighbours")
        // Between-cluster gaps exceed the clusters' own radius.
        var centres = [[Double]](repeating: [0, 0], count: 5), counts = [Double](repeating: 0, count: 5)
        for r in 0..<600 { centres[labels[r]][0] += Double(map.points[2 * r]); centres[labels[r]][1] += Double(map.points[2 * r + 1]); counts[labels[r]] += 1 }
        for c in 0..<5 { centres[c] = centres[c].map { $0 / counts[c] } }
        var radius = 0.0
        for r in 0..<600 {
            let c = centres[labels[r]]
            radius = max(radius, hypot(Double(map.points[2 * r]) - c[0], Double(map.points[2 * r + 1]) - c[1]))
        }
        var gap = Double.infinity
        for a in 0..<5 { for b in (a + 1)..<5 { gap = min(gap, hypot(centres[a][0] - centres[b][0], centres[a][1] - centres[b][1])) } }
        #expect(gap > radius, "closest centres \(gap) apart, cluster radius \(radius)")
        let kept = try ProjectionQuality.neighbourPreservation(original: table, dimension: 10, embedding: map.points, rows: 600)
        #expect(kept > 0.3, "10-NN kept \(kept)")
        #expect(map.klDivergence.isFinite && map.klDivergence > 0)
    }

    @Test("deterministic for a configuration, whatever the thread count; the seed moves a random start")
    func determinism() throws {
        let (table, _) = Self.blobs(rows: 500, dimension: 6, clusters: 4, separation: 6, seed: 8)
        let base = TSNEConfiguration(perplexity: 15, earlyExaggerationIterations: 50, iterations: 50, parallelism: .init(threads: 2))
        let a = try TSNE(fitting: table, rows: 500, dimension: 6, configuration: base)
        let b = try TSNE(fitting: table, rows: 500, dimension: 6, configuration: base)
        var single = base; single.parallelism = .sequential
        let c = try TSNE(fitting: table, rows: 500, dimension: 6, configuration: single)
        #expect(a.points == b.points && a.points == c.points)
        var random = base; random.initialization = .random
        let r1 = try TSNE(fitting: table, rows: 500, dimension: 6, configuration: random)
        random.seed = 1
        let r2 = try TSNE(fitting: table, rows: 500, dimension: 6, configuration: random)
        #expect(r1.points != r2.points && r1.points != a.points)
    }

    @Test("bad input and settings are errors that say what is wrong")
    func errors() throws {
        let (table, _) = Self.blobs(rows: 50, dimension: 3, clusters: 2, separation: 4, seed: 1)
        #expect(throws: ConfigurationError.self) { try TSNE(fitting: [1, 2, 3], rows: 2, dimension: 2) }
        #expect(throws: ConfigurationError.self) { try TSNE(fitting: [1, 2, 3, 4], rows: 2, dimension: 2) }
        // Perplexity 30 needs more than 31 rows.
        #expect(throws: ConfigurationError.self) { try TSNE(fitting: Array(table.prefix(30)), rows: 10, dimension: 3) }
        for bad in [TSNEConfiguration(perplexity: .nan), .init(earlyExaggeration: 0.5), .init(iterations: -1),
                    .init(learningRate: 0), .init(finalMomentum: 1), .init(maxStepNorm: .infinity),
                    .init(gradient: .barnesHut(theta: 0.9))] {
            var settings = bad; settings.perplexity = bad.perplexity.isNaN ? .nan : 5
            #expect(throws: ConfigurationError.self) { try TSNE(fitting: table, rows: 50, dimension: 3, configuration: settings) }
        }
        var withNaN = table; withNaN[7] = .nan
        #expect(throws: ConfigurationError.self) { try TSNE(fitting: withNaN, rows: 50, dimension: 3, configuration: .init(perplexity: 5)) }
        #expect(throws: ConfigurationError.self) { try ProjectionQuality.neighbourPreservation(original: table, dimension: 3, embedding: [0, 0], rows: 50) }
        #expect(throws: ConfigurationError.self) { try ProjectionQuality.neighbourPreservation(original: table, dimension: 3, embedding: table, embeddingDimension: 3, rows: 50, k: 50) }
        // One row repeated: no layout to keep; the map still comes back finite.
        let same = [Float](repeating: 1, count: 40 * 3)
        let map = try TSNE(fitting: same, rows: 40, dimension: 3, configuration: .init(perplexity: 5, earlyExaggerationIterations: 20, iterations: 20))
        #expect(map.points.allSatisfy { $0.isFinite })
    }

    @Test("neighbour preservation: 1 for a map that keeps the geometry, near k/rows for a random one")
    func neighbourPreservation() throws {
        let (table, _) = Self.blobs(rows: 400, dimension: 2, clusters: 4, separation: 5, seed: 2)
        var rotated = [Float](repeating: 0, count: table.count)
        for r in 0..<400 {
            let x = table[2 * r], y = table[2 * r + 1]
            rotated[2 * r] = 0.6 * x - 0.8 * y; rotated[2 * r + 1] = 0.8 * x + 0.6 * y
        }
        let kept = try ProjectionQuality.neighbourPreservation(original: table, dimension: 2, embedding: rotated, rows: 400)
        #expect(kept == 1)
        let random = Self.spread(points: 400, seed: 3)
        let score = try ProjectionQuality.neighbourPreservation(original: table, dimension: 2, embedding: random, rows: 400)
        #expect(score < 0.08, "random map kept \(score)")
    }
}
