import Foundation
import Testing
@testable import EmbedRec

@Suite("PCA of embedding tables")
struct PrincipalComponentsTests {
    /// Rows = mean + Σ_c s_c z_c v_c over orthonormal v_c with known standard deviations s_c.
    static func planted(rows: Int, seed: UInt64) -> (table: [Float], axes: [[Float]], stds: [Float], mean: [Float]) {
        var rng = SeededGenerator(seed: seed)
        let d = 5
        // An orthonormal basis: a rotation of the standard one in two planes.
        let c = Float(cos(0.5)), s = Float(sin(0.5))
        let axes: [[Float]] = [[c, s, 0, 0, 0], [-s, c, 0, 0, 0], [0, 0, 0.6, 0.8, 0], [0, 0, -0.8, 0.6, 0], [0, 0, 0, 0, 1]]
        let stds: [Float] = [4, 2, 1, 0.5, 0.1]
        let mean: [Float] = [1, -2, 3, 0, 5]
        var table = [Float](repeating: 0, count: rows * d)
        for r in 0..<rows {
            for f in 0..<d { table[r * d + f] = mean[f] }
            for (axis, std) in zip(axes, stds) {
                let z = Float(rng.nextNormal()) * std
                for f in 0..<d { table[r * d + f] += z * axis[f] }
            }
        }
        return (table, axes, stds, mean)
    }

    @Test("recovers planted axes and variances, sign-normalised, with the ratio of the total")
    func knownDecomposition() throws {
        let (table, axes, stds, mean) = Self.planted(rows: 20_000, seed: 4)
        let pca = try PrincipalComponents(fitting: table, rows: 20_000, dimension: 5, components: 3)
        #expect(zip(pca.mean, mean).allSatisfy { abs($0 - $1) < 0.1 })
        for k in 0..<3 {
            let v = Array(pca.components[(k * 5)..<((k + 1) * 5)])
            let dot = zip(v, axes[k]).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            #expect(abs(abs(dot) - 1) < 1e-3, "component \(k) is not the planted axis: \(v)")
            let largest = v.indices.max { abs(v[$0]) < abs(v[$1]) }!
            #expect(v[largest] > 0, "sign: the largest entry is positive")
            #expect(abs(pca.explainedVariance[k] - stds[k] * stds[k]) < 0.05 * stds[k] * stds[k])
        }
        let total = stds.reduce(0) { $0 + $1 * $1 }
        #expect(abs(pca.explainedVarianceRatio[0] - 16 / total) < 0.01)
        #expect(pca.explainedVariance == pca.explainedVariance.sorted(by: >))
        // Projections: zero mean, the component variances, uncorrelated.
        let y = pca.transform(table, rows: 20_000)
        for k in 0..<3 {
            let column = stride(from: k, to: y.count, by: 3).map { Double(y[$0]) }
            let m = column.reduce(0, +) / Double(column.count)
            let v = column.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(column.count - 1)
            #expect(abs(m) < 1e-2 && abs(v - Double(pca.explainedVariance[k])) < 1e-2 * v)
        }
    }

    @Test("a model's item table; bad shapes and counts are errors")
    func modelsAndErrors() throws {
        let data = try SyntheticRatings.generate(.init(users: 40, items: 30, ratings: 400, seed: 1))
        let model = try MatrixFactorization(for: data, configuration: .init(dimension: 6))
        let pca = try PrincipalComponents(itemEmbeddingsOf: model)
        #expect(pca.count == 2 && pca.dimension == 6 && pca.transform(model.itemEmbedding.toArray(), rows: 30).count == 60)
        #expect(throws: ConfigurationError.self) { try PrincipalComponents(fitting: [1, 2, 3], rows: 2, dimension: 2, components: 1) }
        #expect(throws: ConfigurationError.self) { try PrincipalComponents(fitting: [1, 2], rows: 1, dimension: 2, components: 1) }
        #expect(throws: ConfigurationError.self) { try PrincipalComponents(fitting: [1, 2, 3, 4], rows: 2, dimension: 2, components: 3) }
        #expect(throws: ConfigurationError.self) { try PrincipalComponents(fitting: [1, .nan, 3, 4], rows: 2, dimension: 2, components: 1) }
        #expect(throws: RecommenderError.self) {
            try PrincipalComponents(itemEmbeddingsOf: try EASE(fitting: data, configuration: .init(regularization: 10)))
        }
    }
}

/// The same table through scikit-learn's PCA, when Python has it (the peers' venv or CI's).
@Suite("PCA against scikit-learn")
struct PrincipalComponentsPeerTests {
    static let python: String? = PythonInteropTests.python.flatMap { p in
        (try? PythonInteropTests.run(p, ["-c", "import sklearn"]).status) == 0 ? p : nil
    }

    @Test("components, explained variance and projections match scikit-learn's PCA up to rounding",
          .enabled(if: python != nil, "needs Python with scikit-learn (bash Benchmarks/peers/setup.sh)"))
    func matchesScikitLearn() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rows = 500, d = 8
        var rng = SeededGenerator(seed: 14)
        let table = (0..<(rows * d)).map { k in Float(rng.nextNormal()) * Float(1 + k % d) + Float(k % 3) }
        let path = dir.appendingPathComponent("table.f32").path
        try table.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
        let script = """
        import sys, numpy as np
        from sklearn.decomposition import PCA
        x = np.fromfile(sys.argv[1], dtype='<f4').reshape(-1, \(d)).astype(np.float64)
        p = PCA(n_components=3, svd_solver='full').fit(x)
        print(' '.join(repr(float(v)) for v in np.concatenate([p.components_.ravel(), p.explained_variance_, p.explained_variance_ratio_, p.transform(x)[:5].ravel()])))
        """
        let result = try PythonInteropTests.run(Self.python!, ["-c", script, path])
        #expect(result.status == 0, "\(result.error)")
        let theirs = result.output.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let pca = try PrincipalComponents(fitting: table, rows: rows, dimension: d, components: 3)
        let ours = pca.components + pca.explainedVariance + pca.explainedVarianceRatio + Array(pca.transform(table, rows: rows).prefix(15))
        #expect(theirs.count == ours.count)
        let worst = zip(ours, theirs).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? .infinity
        #expect(worst < 1e-3, "largest relative difference \(worst)")
    }
}
