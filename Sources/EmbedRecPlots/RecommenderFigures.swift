import EmbedRec
import Foundation

/// The figures of a saved recommender: its loss curves, a map of its item embeddings, its
/// training ratings' histogram, and ranking metrics by K on test ratings.
public enum RecommenderFigures {
    /// How an item map projects the embeddings to the plane.
    public enum Projection: Sendable, Hashable {
        case tsne(TSNEConfiguration)
        case pca
    }

    /// Training and validation loss per epoch.
    /// - Throws: ``PlotError/empty(_:)`` when the recommender holds no training history (EASE,
    ///   ALS, or a model assembled without training).
    public static func lossCurves(_ recommender: Recommender, name: String? = nil) throws -> LinePlot {
        guard let history = recommender.history, !history.epochs.isEmpty else {
            throw PlotError.empty("the recommender holds no per-epoch training history")
        }
        return .lossCurves([(name ?? recommender.model.summary, history)])
    }

    /// The items most often rated in the training data, most first (ties by index).
    public static func mostRatedItems(_ recommender: Recommender, count: Int) -> [ItemIndex] {
        var counts = [Int](repeating: 0, count: recommender.itemIDs.count)
        for item in recommender.trainingRatings.items where Int(item) < counts.count { counts[Int(item)] += 1 }
        return counts.indices.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
            .prefix(max(0, count)).map { ItemIndex(Int32($0)) }
    }

    /// The item embeddings projected to the plane, coloured from the catalogue, the `labelled`
    /// most-rated items written on the map.
    /// - Throws: ``RecommenderError/noItemEmbedding(_:)`` for a model without item embeddings
    ///   (EASE), and the projection's errors.
    public static func itemMap(_ recommender: Recommender, projection: Projection = .tsne(.init()),
                               labelled: Int = 15, colouring: ScatterPlot.ItemColouring = .automatic) throws -> ScatterPlot {
        let coordinates: [Float], method: String
        switch projection {
        case .tsne(let configuration):
            coordinates = try TSNE(itemEmbeddingsOf: recommender.model, configuration: configuration).points
            method = "t-SNE"
        case .pca:
            let pca = try PrincipalComponents(itemEmbeddingsOf: recommender.model, components: 2)
            let table = try recommender.model.itemEmbeddingTable().toArray()
            coordinates = pca.transform(table, rows: recommender.itemIDs.count)
            method = String(format: "PCA (%.0f%% of the variance)", 100 * Double(pca.explainedVarianceRatio.reduce(0, +)))
        }
        var plot = try ScatterPlot.itemMap(coordinates, itemIDs: recommender.itemIDs, catalog: recommender.catalog,
                                           colouring: colouring, labelled: mostRatedItems(recommender, count: labelled),
                                           title: "Item embeddings, \(method)")
        if case .pca = projection { plot.xLabel = "component 1"; plot.yLabel = "component 2" }
        return plot
    }

    /// How many training ratings of each value the recommender was trained on.
    public static func ratingHistogram(_ recommender: Recommender) -> BarChart {
        .ratingHistogram(recommender.trainingRatings, title: "Training ratings")
    }

    /// Recall (or another measure) by K for the model and its baselines.
    public static func metricsByK(_ evaluation: RecommenderEvaluation, measure: LinePlot.RankingMeasure = .recall) -> LinePlot {
        .metricsByK(evaluation.rows.map { ($0.name, $0.ranking) }, measure: measure)
    }
}

extension TrainingReport {
    /// What a recommender report includes.
    public struct Options: Sendable, Hashable {
        /// K values of the ranking table's columns and the metrics-by-K figure.
        public var ks: [Int]
        /// Test ratings at or above this are relevant.
        public var relevanceThreshold: Float
        /// The item map's projection; nil leaves the map out.
        public var projection: RecommenderFigures.Projection?
        /// How many of the most-rated items the map labels.
        public var labelled: Int
        /// What colours the map's points (genre when the catalogue has genres, unless set).
        public var colouring: ScatterPlot.ItemColouring = .automatic
        /// Threads for scoring and the projection.
        public var parallelism: Parallelism

        /// The defaults: K of 1, 5, 10, 20 and 50, ratings ≥ 4 relevant, a t-SNE map naming 15 items.
        public init(ks: [Int] = [1, 5, 10, 20, 50], relevanceThreshold: Float = 4,
                    projection: RecommenderFigures.Projection? = .tsne(.init()), labelled: Int = 15,
                    parallelism: Parallelism = .automatic) {
            self.ks = ks; self.relevanceThreshold = relevanceThreshold; self.projection = projection
            self.labelled = labelled; self.parallelism = parallelism
        }
    }

    /// The report of a saved recommender: what it is and how it was trained, its metrics on
    /// `test` (raw IDs) beside the baselines when given, the loss curves, the item map and the
    /// rating histogram. Parts the recommender cannot supply (no history, no item embedding)
    /// are named in the facts instead.
    public init(recommender: Recommender, test: RatingsDataset? = nil, title: String? = nil, options: Options = .init()) throws {
        var facts: [Fact] = [
            Fact("model", recommender.model.summary),
            Fact("users × items", "\(recommender.userIDs.count) × \(recommender.itemIDs.count)"),
            Fact("training ratings", "\(recommender.trainingRatings.count)"),
        ]
        if let scale = recommender.ratingScale { facts.append(Fact("rating scale", "\(scale.lowerBound)–\(scale.upperBound)")) }
        if let c = recommender.trainingConfiguration {
            facts.append(Fact("training", "\(c.epochs) epochs, batch \(c.batchSize), \(c.optimizer), seed \(c.seed)\(c.deterministic ? ", deterministic" : "")"))
        }
        if let h = recommender.history, !h.epochs.isEmpty {
            let seconds = h.epochs.reduce(0) { $0 + $1.seconds + $1.preparationSeconds }
            facts.append(Fact("epochs run", "\(h.epochs.count) (weights of epoch \(h.bestEpoch)\(h.stoppedEarly ? ", stopped early" : "")), \(String(format: "%.1f", seconds)) s"))
            if let v = h.best?.validation { facts.append(Fact("validation RMSE", String(format: "%.4f", v.rmse))) }
        }
        if let catalog = recommender.catalog { facts.append(Fact("catalogue", "\(catalog.count) items")) }

        var tables: [Table] = [], figures: [Figure] = []
        if let test {
            let evaluation = try RecommenderEvaluation(recommender: recommender, test: test, ks: options.ks,
                                                       relevanceThreshold: options.relevanceThreshold, parallelism: options.parallelism)
            facts.append(Fact("test ratings", "\(evaluation.testRatings)\(evaluation.unknownRows > 0 ? " (\(evaluation.unknownRows) with an unknown user or item left out)" : "")"))
            let k = options.ks.contains(10) ? 10 : options.ks.max()!
            let at = options.ks.firstIndex(of: k)!
            tables.append(Table(caption: "Test metrics (ranking: whole catalogue, training items excluded, ratings ≥ \(LinePlot.format(Double(options.relevanceThreshold))) relevant)",
                                header: ["model", "RMSE", "MAE", "P@\(k)", "R@\(k)", "NDCG@\(k)", "MAP@\(k)", "coverage"],
                                rows: evaluation.rows.map { row in
                                    let m = row.ranking[at]
                                    // RMSE and MAE only for a model that predicts ratings.
                                    return [row.name] + [row.rating?.rmse, row.rating?.mae, m.precision, m.recall, m.ndcg, m.map, m.coverage]
                                        .map { $0.map { String(format: "%.4f", $0) } ?? "—" }
                                },
                                emphasised: Set(evaluation.rows.indices.filter { !evaluation.rows[$0].isBaseline })))
            figures.append(Figure(caption: "Recall@K on the test ratings, the model beside the baselines.",
                                  document: try RecommenderFigures.metricsByK(evaluation).document()))
        }
        if let curves = try? RecommenderFigures.lossCurves(recommender) {
            figures.append(Figure(caption: "Training MSE (solid) and validation MSE (dashed) per epoch.", document: try curves.document()))
        } else {
            facts.append(Fact("loss curves", "none: the recommender holds no per-epoch history"))
        }
        if let projection = options.projection {
            do {
                let map = try RecommenderFigures.itemMap(recommender, projection: projection, labelled: options.labelled,
                                                         colouring: options.colouring)
                figures.append(Figure(caption: "Each point is an item; the \(options.labelled) most-rated are named. Hover a point for its title.",
                                      document: try map.document()))
            } catch RecommenderError.noItemEmbedding {
                facts.append(Fact("item map", "none: the model has no item embedding table"))
            }
        }
        figures.append(Figure(caption: "The training ratings by value.", document: try RecommenderFigures.ratingHistogram(recommender).document()))
        self.init(title: title ?? "EmbedRec report: \(recommender.model.summary)", facts: facts, tables: tables, figures: figures)
    }
}
