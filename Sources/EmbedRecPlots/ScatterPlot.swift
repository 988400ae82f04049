import EmbedRec

/// Points in the plane coloured by category, a chosen few labelled with text, every point
/// titled for hovering: a map of what a model learned (PCA or t-SNE of its item embeddings).
public struct ScatterPlot: Sendable, Hashable {
    /// One point of the map.
    public struct Point: Sendable, Hashable {
        /// The horizontal coordinate.
        public var x: Double
        /// The vertical coordinate.
        public var y: Double
        /// Index into ``ScatterPlot/categories``; nil draws the point grey.
        public var category: Int?
        /// The hover title (a book's title, a film's name).
        public var title: String?
        /// A point; see the properties.
        public init(x: Double, y: Double, category: Int? = nil, title: String? = nil) {
            self.x = x; self.y = y; self.category = category; self.title = title
        }
    }

    /// The heading above the plot.
    public var title: String
    /// The x axis title (empty for t-SNE, whose axes mean nothing).
    public var xLabel: String
    /// The y axis title.
    public var yLabel: String
    /// The points.
    public var points: [Point]
    /// Category names, in palette order; the first eight get colours, the rest grey.
    public var categories: [String]
    /// Indices of the points to label with their title on the plot.
    public var labelled: [Int]

    /// A plot; see the properties.
    public init(title: String, xLabel: String = "", yLabel: String = "", points: [Point], categories: [String] = [], labelled: [Int] = []) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
        self.points = points; self.categories = categories; self.labelled = labelled
    }

    /// - Throws: ``PlotError/empty(_:)`` without points, ``PlotError/invalidData(_:)`` for a
    ///   non-finite coordinate, a category or label index out of range.
    public func document(width: Int = 800, height: Int = 600) throws -> SVGDocument {
        guard !points.isEmpty else { throw PlotError.empty("\"\(title)\" has no points") }
        if let i = points.firstIndex(where: { !$0.x.isFinite || !$0.y.isFinite }) {
            throw PlotError.invalidData("point \(i) has a NaN or infinite coordinate")
        }
        if let p = points.first(where: { $0.category.map { $0 < 0 || $0 >= categories.count } ?? false }) {
            throw PlotError.invalidData("category \(p.category!) is not one of the \(categories.count) categories")
        }
        if let i = labelled.first(where: { $0 < 0 || $0 >= points.count }) {
            throw PlotError.invalidData("labelled point \(i) is not one of the \(points.count) points")
        }
        let xs = points.map(\.x), ys = points.map(\.y)
        let frame = ChartFrame(width: Double(width), height: Double(height), x: (xs.min()!, xs.max()!), y: (ys.min()!, ys.max()!),
                               title: title, xLabel: xLabel, yLabel: yLabel, nice: false, legendOutside: !categories.isEmpty)
        var elements = frame.background()
        let radius = points.count > 5_000 ? 1.6 : (points.count > 1_000 ? 2.4 : 3.5)
        // Grey points first, so coloured ones stay visible on top.
        let drawOrder = points.indices.sorted { (points[$0].category.map { $0 < Palette.categorical.count } ?? false ? 1 : 0) < (points[$1].category.map { $0 < Palette.categorical.count } ?? false ? 1 : 0) }
        var dots: [SVGElement] = []
        dots.reserveCapacity(points.count)
        for i in drawOrder {
            let p = points[i]
            let colour = p.category.map(Palette.colour) ?? Palette.other
            let tip = [p.title, p.category.map { categories[$0] }].compactMap { $0 }.joined(separator: " — ")
            dots.append(SVGElement("circle", [("cx", svgNumber(frame.x.position(p.x))), ("cy", svgNumber(frame.y.position(p.y))),
                                              ("r", svgNumber(radius)), ("fill", colour)],
                                   children: tip.isEmpty ? [] : [.title(tip)]))
        }
        elements.append(SVGElement("g", [("class", "points"), ("fill-opacity", "0.75")], children: dots))
        elements.append(SVGElement("g", [("class", "labels")], children: labels(frame: frame, radius: radius)))
        elements += frame.axes()
        let shown = categories.prefix(Palette.categorical.count).enumerated().map { (name: $0.element, colour: Palette.colour($0.offset), mark: ChartFrame.LegendMark.dot) }
        var entries = Array(shown)
        if categories.count > Palette.categorical.count || points.contains(where: { $0.category == nil }) {
            entries.append((name: "other", colour: Palette.other, mark: .dot))
        }
        if !categories.isEmpty, let box = frame.legend(entries) { elements.append(box) }
        return SVGDocument(width: width, height: height, elements: elements)
    }

    /// Text labels placed beside their points, skipping any that would overlap one already
    /// placed (greedy, in the order given: the most important first).
    private func labels(frame: ChartFrame, radius: Double) -> [SVGElement] {
        var placed: [(x0: Double, y0: Double, x1: Double, y1: Double)] = []
        var out: [SVGElement] = []
        for i in labelled {
            guard let raw = points[i].title, !raw.isEmpty else { continue }
            let text = raw.count > 32 ? String(raw.prefix(31)) + "…" : raw
            let px = frame.x.position(points[i].x), py = frame.y.position(points[i].y)
            let w = Double(text.count) * 6.6 + 4, h = 14.0
            // Right of the point, or left of it near the right edge.
            let leftSide = px + radius + 3 + w > frame.plotRight
            let x0 = leftSide ? px - radius - 3 - w : px + radius + 3
            let box = (x0: x0, y0: py - h / 2, x1: x0 + w, y1: py + h / 2)
            if placed.contains(where: { !($0.x1 < box.x0 || box.x1 < $0.x0 || $0.y1 < box.y0 || box.y1 < $0.y0) }) { continue }
            placed.append(box)
            out.append(SVGElement("circle", [("cx", svgNumber(px)), ("cy", svgNumber(py)), ("r", svgNumber(radius + 1.5)),
                                             ("fill", "none"), ("stroke", "#222222"), ("stroke-width", "1")]))
            out.append(SVGElement("text", [("x", svgNumber(leftSide ? box.x1 - 2 : box.x0 + 2)), ("y", svgNumber(py + 4)),
                                           ("text-anchor", leftSide ? "end" : "start"), ("font-size", "11"), ("fill", "#111111"),
                                           ("stroke", "#ffffff"), ("stroke-width", "3"), ("paint-order", "stroke")], text: text))
        }
        return out
    }
}

extension ScatterPlot {
    /// How an item map colours its points.
    public enum ItemColouring: Sendable, Hashable {
        /// Genres when the catalogue has them (MovieLens), else publication decade (books).
        case automatic
        /// The item's first genre.
        case genre
        /// The decade of the item's year.
        case decade
        case none
    }

    /// A map of items from a row-major `items × 2` projection: hover titles and colours from the
    /// catalogue, and the `labelled` items written on the map.
    ///
    /// - Throws: ``PlotError/invalidData(_:)`` when the coordinates do not form one row per item
    ///   of `itemIDs`.
    public static func itemMap(_ coordinates: [Float], itemIDs: ItemIDMap, catalog: ItemCatalog?,
                               colouring: ItemColouring = .automatic, labelled: [ItemIndex] = [],
                               title: String = "Item embeddings") throws -> ScatterPlot {
        guard coordinates.count == 2 * itemIDs.count else {
            throw PlotError.invalidData("\(coordinates.count) coordinates are not 2 for each of \(itemIDs.count) items")
        }
        let metadata: [ItemMetadata?] = (0..<itemIDs.count).map { i in catalog?.metadata(for: ItemIndex(Int32(i)), in: itemIDs) }
        var kind = colouring
        if kind == .automatic {
            let withGenres = metadata.filter { !($0?.genres.isEmpty ?? true) }.count
            let withYears = metadata.filter { $0?.year != nil }.count
            kind = withGenres > 0 && withGenres >= withYears ? .genre : (withYears > 0 ? .decade : .none)
        }
        let keys: [String?] = metadata.map { m in
            switch kind {
            case .genre: return m?.genres.first
            case .decade: return m?.year.map { "\($0 >= 0 ? ($0 / 10) * 10 : -((-$0 + 9) / 10) * 10)s" }
            case .none, .automatic: return nil
            }
        }
        // The most frequent categories get colours (decades in time order among them).
        var frequency: [String: Int] = [:]
        for k in keys.compactMap({ $0 }) { frequency[k, default: 0] += 1 }
        var categories = frequency.keys.sorted { frequency[$0]! != frequency[$1]! ? frequency[$0]! > frequency[$1]! : $0 < $1 }
        categories = Array(categories.prefix(Palette.categorical.count))
        if kind == .decade { categories.sort { (Int($0.dropLast()) ?? 0) < (Int($1.dropLast()) ?? 0) } }
        let position = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($0.element, $0.offset) })
        let points = (0..<itemIDs.count).map { i in
            Point(x: Double(coordinates[2 * i]), y: Double(coordinates[2 * i + 1]),
                  category: keys[i].flatMap { position[$0] },
                  title: metadata[i]?.title ?? itemIDs.rawID(at: ItemIndex(Int32(i))).map { "item \($0)" })
        }
        let subtitle = kind == .genre ? " by genre" : (kind == .decade ? " by decade" : "")
        return ScatterPlot(title: title + subtitle, points: points, categories: categories,
                           labelled: labelled.map { Int($0.position) }.filter { $0 >= 0 && $0 < itemIDs.count })
    }
}
