import EmbedRec

/// One (x, y) value of a plot.
public struct PlotPoint: Sendable, Hashable {
    /// The horizontal value.
    public var x: Double
    /// The vertical value.
    public var y: Double
    /// The point (x, y).
    public init(x: Double, y: Double) { self.x = x; self.y = y }
}

/// Lines over a numeric x axis: loss per epoch, a metric by K. Several series share the axes
/// and a legend; each point is marked and carries its value as a hover title.
public struct LinePlot: Sendable, Hashable {
    /// One line: named points joined in order.
    public struct Series: Sendable, Hashable {
        /// The legend entry.
        public var name: String
        /// The points, joined in this order.
        public var points: [PlotPoint]
        /// Dashed lines tell a second measure of the same run apart (validation beside training).
        public var dashed: Bool
        /// The palette index; series of one run share it. Nil: the series' position.
        public var colourIndex: Int?
        /// A series; see the properties.
        public init(name: String, points: [PlotPoint], dashed: Bool = false, colourIndex: Int? = nil) {
            self.name = name; self.points = points; self.dashed = dashed; self.colourIndex = colourIndex
        }
    }

    /// The heading above the plot.
    public var title: String
    /// The x axis title.
    public var xLabel: String
    /// The y axis title.
    public var yLabel: String
    /// The lines, drawn and listed in this order.
    public var series: [Series]

    /// A plot of `series` with its titles.
    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series
    }

    /// The plot as an SVG document.
    /// - Throws: ``PlotError/empty(_:)`` without any point, ``PlotError/invalidData(_:)`` for a
    ///   NaN or infinite value.
    public func document(width: Int = 800, height: Int = 600) throws -> SVGDocument {
        let all = series.flatMap(\.points)
        guard !all.isEmpty else { throw PlotError.empty("\"\(title)\" has no points") }
        if let bad = series.first(where: { $0.points.contains { !$0.x.isFinite || !$0.y.isFinite } }) {
            throw PlotError.invalidData("series \"\(bad.name)\" holds a NaN or infinite value")
        }
        let xs = all.map(\.x), ys = all.map(\.y)
        let frame = ChartFrame(width: Double(width), height: Double(height), x: (xs.min()!, xs.max()!), y: (ys.min()!, ys.max()!),
                               title: title, xLabel: xLabel, yLabel: yLabel,
                               wholeNumberX: xs.allSatisfy { $0 == $0.rounded() })
        var elements = frame.background()
        var legend: [(name: String, colour: String, mark: ChartFrame.LegendMark)] = []
        for (i, s) in series.enumerated() {
            let colour = Palette.colour(s.colourIndex ?? i)
            let path = s.points.map { "\(svgNumber(frame.x.position($0.x))),\(svgNumber(frame.y.position($0.y)))" }.joined(separator: " ")
            var lineAttributes = [("points", path), ("fill", "none"), ("stroke", colour), ("stroke-width", "2.5"),
                                  ("stroke-linejoin", "round")]
            if s.dashed { lineAttributes.append(("stroke-dasharray", "6 4")) }
            var children = [SVGElement("polyline", lineAttributes)]
            for p in s.points {
                children.append(SVGElement("circle", [("cx", svgNumber(frame.x.position(p.x))), ("cy", svgNumber(frame.y.position(p.y))),
                                                      ("r", "3.5"), ("fill", s.dashed ? "#ffffff" : colour), ("stroke", colour), ("stroke-width", "1.5")],
                                           children: [.title("\(s.name): \(LinePlot.format(p.x)), \(LinePlot.format(p.y))")]))
            }
            elements.append(SVGElement("g", [("class", "series"), ("data-name", s.name)], children: children))
            legend.append((s.name, colour, .line(dashed: s.dashed)))
        }
        elements += frame.axes()
        if let box = frame.legend(legend) { elements.append(box) }
        return SVGDocument(width: width, height: height, elements: elements)
    }

    static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : LinearScale.format(v, decimals: abs(v) >= 100 ? 1 : 4)
    }
}

extension LinePlot {
    /// Training (solid) and validation (dashed) error per epoch for one or more runs, one colour
    /// per run. `rmse` plots RMSE instead of MSE (training MSE is converted).
    public static func lossCurves(_ runs: [(name: String, history: TrainingHistory)], rmse: Bool = false,
                                  title: String = "Training and validation loss") -> LinePlot {
        var series: [Series] = []
        // One run: its name goes in the title, the legend only tells training from validation.
        let single = runs.count == 1
        for (i, run) in runs.enumerated() {
            let measure: (Double) -> Double = rmse ? { $0.squareRoot() } : { $0 }
            series.append(Series(name: single ? "training" : "\(run.name) training", points: run.history.epochs.map {
                PlotPoint(x: Double($0.epoch), y: measure($0.meanLoss))
            }, colourIndex: i))
            let validation = run.history.epochs.compactMap { e in e.validation.map { PlotPoint(x: Double(e.epoch), y: rmse ? $0.rmse : $0.mse) } }
            if !validation.isEmpty {
                series.append(Series(name: single ? "validation" : "\(run.name) validation", points: validation, dashed: true, colourIndex: i))
            }
        }
        // The y-axis says what was minimised: MSE for squared error, else the loss's own name (BPR, …).
        let losses = Set(runs.compactMap(\.history.lossName))
        let yLabel = rmse ? "RMSE" : losses.allSatisfy { $0.hasPrefix("squared error") } ? "MSE" : losses.count == 1 ? losses.first! : "loss"
        return LinePlot(title: single && !runs[0].name.isEmpty ? "\(title): \(runs[0].name)" : title, xLabel: "epoch", yLabel: yLabel, series: series)
    }

    /// Which ranking measure a metrics-by-K plot shows.
    public enum RankingMeasure: String, Sendable, Hashable, CaseIterable {
        case recall, precision, ndcg, map, hitRate
        var label: String {
            switch self {
            case .recall: return "recall@K"
            case .precision: return "precision@K"
            case .ndcg: return "NDCG@K"
            case .map: return "MAP@K"
            case .hitRate: return "hit rate@K"
            }
        }
        func value(_ m: RankingMetrics) -> Double {
            switch self {
            case .recall: return m.recall
            case .precision: return m.precision
            case .ndcg: return m.ndcg
            case .map: return m.map
            case .hitRate: return m.hitRate
            }
        }
    }

    /// A ranking measure against K for several models (each model's metrics at several K).
    public static func metricsByK(_ models: [(name: String, metrics: [RankingMetrics])], measure: RankingMeasure = .recall,
                                  title: String? = nil) -> LinePlot {
        LinePlot(title: title ?? "\(measure.label) by K", xLabel: "K", yLabel: measure.label,
                 series: models.map { model in
                     Series(name: model.name, points: model.metrics.sorted { $0.k < $1.k }.map { PlotPoint(x: Double($0.k), y: measure.value($0)) })
                 })
    }
}
