import EmbedRec

/// Vertical bars over labelled categories: how many ratings of each value a dataset holds.
public struct BarChart: Sendable, Hashable {
    /// One bar: a category and its height.
    public struct Bar: Sendable, Hashable {
        /// The category, written under the bar.
        public var label: String
        /// The height (≥ 0).
        public var value: Double
        /// A bar of `value` over `label`.
        public init(label: String, value: Double) { self.label = label; self.value = value }
    }

    /// The heading above the chart.
    public var title: String
    /// The x axis title.
    public var xLabel: String
    /// The y axis title.
    public var yLabel: String
    /// The bars, left to right.
    public var bars: [Bar]

    /// A chart of `bars` with its titles.
    public init(title: String, xLabel: String, yLabel: String, bars: [Bar]) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.bars = bars
    }

    /// - Throws: ``PlotError/empty(_:)`` without bars, ``PlotError/invalidData(_:)`` for a
    ///   negative, NaN or infinite value.
    public func document(width: Int = 800, height: Int = 600) throws -> SVGDocument {
        guard !bars.isEmpty else { throw PlotError.empty("\"\(title)\" has no bars") }
        if let bad = bars.first(where: { !$0.value.isFinite || $0.value < 0 }) {
            throw PlotError.invalidData("bar \"\(bad.label)\" has value \(bad.value)")
        }
        var frame = ChartFrame(width: Double(width), height: Double(height), x: (0, 1), y: (0, bars.map(\.value).max()!),
                               title: title, xLabel: xLabel, yLabel: yLabel)
        frame.xCategories = bars.map(\.label)
        var elements = frame.background()
        let band = (frame.plotRight - frame.plotLeft) / Double(bars.count)
        var rects: [SVGElement] = []
        for (i, bar) in bars.enumerated() {
            let top = frame.y.position(bar.value), base = frame.y.position(0)
            rects.append(SVGElement("rect", [("x", svgNumber(frame.plotLeft + band * (Double(i) + 0.15))), ("y", svgNumber(top)),
                                             ("width", svgNumber(band * 0.7)), ("height", svgNumber(max(0, base - top))),
                                             ("fill", Palette.colour(0))],
                                    children: [.title("\(bar.label): \(LinePlot.format(bar.value))")]))
        }
        elements.append(SVGElement("g", [("class", "bars")], children: rects))
        elements += frame.axes()
        return SVGDocument(width: width, height: height, elements: elements)
    }

    /// The number of ratings of each value (one bar per distinct value when there are at most
    /// 20, else 20 equal-width bins).
    public static func ratingHistogram(_ data: RatingsDataset, title: String = "Ratings") -> BarChart {
        let ratings = data.ratings
        var counts: [Float: Int] = [:]
        for r in ratings { counts[r, default: 0] += 1 }
        if counts.count <= 20 {
            let bars = counts.keys.sorted().map { Bar(label: LinePlot.format(Double($0)), value: Double(counts[$0]!)) }
            return BarChart(title: title, xLabel: "rating", yLabel: "ratings", bars: bars)
        }
        let lo = Double(ratings.min() ?? 0), hi = Double(ratings.max() ?? 1)
        let width = (hi - lo) / 20
        var bins = [Double](repeating: 0, count: 20)
        for r in ratings { bins[min(19, Int((Double(r) - lo) / width))] += 1 }
        let bars = bins.enumerated().map { Bar(label: LinearScale.format(lo + width * Double($0.offset), decimals: 1), value: $0.element) }
        return BarChart(title: title, xLabel: "rating (bin start)", yLabel: "ratings", bars: bars)
    }
}
