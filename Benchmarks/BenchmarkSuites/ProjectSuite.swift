import EmbedRec
import Foundation

/// Projections of embedding tables for plots: PCA of a 10,000 × 50 item table (t-SNE joins
/// this suite with the visuals issue).
enum ProjectSuite {
    static func run(_ c: BenchContext) throws {
        let model = try MatrixFactorization(for: c.data, configuration: .init(dimension: 50, initializer: .normal(std: 0.3)))
        let table = model.itemEmbedding.toArray()
        _ = try PrincipalComponents(fitting: table, rows: model.itemCount, dimension: 50, components: 2)
        var pca: PrincipalComponents? = nil
        let seconds = try (0..<max(5, c.repeats)).map { _ in
            try time { pca = try PrincipalComponents(fitting: table, rows: model.itemCount, dimension: 50, components: 2) } * 1000
        }
        let projection = try time { _ = pca!.transform(table, rows: model.itemCount) } * 1000
        c.report.add(BenchResult(suite: "project", name: "PCA of \(model.itemCount) × 50 to 2 components", unit: "ms", values: seconds,
                                 extras: ["transform ms": projection],
                                 notes: "centring, covariance by sgemm, ssyevd; target ≤ 20 ms"))
    }
}
