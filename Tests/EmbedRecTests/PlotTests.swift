import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import EmbedRec
@testable import EmbedRecPlots

/// SVG output parses as XML and holds the axes, series, points and labels asked for.
@Suite("SVG plots and the HTML report")
struct PlotTests {
    static func parse(_ svg: String) throws -> XMLDocument { try XMLDocument(xmlString: svg, options: []) }

    static func nodes(_ doc: XMLDocument, _ xpath: String) throws -> [XMLNode] { try doc.nodes(forXPath: xpath) }

    static func texts(_ doc: XMLDocument, in group: String) throws -> [String] {
        try nodes(doc, "//*[local-name()='g'][@class='\(group)']//*[local-name()='text']").compactMap(\.stringValue)
    }

    @Test("nice ticks cover the data in steps of 1, 2 or 5 × 10ⁿ, labelled with the decimals they need and no trailing zeros")
    func ticks() {
        let s = LinearScale(covering: 0.83, 1.27, onto: 0...100)
        #expect(s.domain == 0.8...1.3)
        #expect(LinearScale.labels(s.ticks()) == ["0.8", "0.9", "1", "1.1", "1.2", "1.3"])
        #expect(LinearScale.labels([0, 0.5, 1, 1.5, 2]) == ["0", "0.5", "1", "1.5", "2"])
        #expect(LinearScale.labels([0, 15_000, 30_000]) == ["0", "15k", "30k"] && LinearScale.labels([-1, 0, 1]) == ["-1", "0", "1"])
        let counts = LinearScale(covering: 0, 27_400, onto: 0...100)
        #expect(LinearScale.labels(counts.ticks()) == ["0", "10k", "20k", "30k"])
        // Whole-number axes (epochs, K) step by whole numbers.
        let epochs = LinearScale(covering: 1, 3, onto: 0...100, minimumStep: 1)
        #expect(LinearScale.labels(epochs.ticks()) == ["1", "2", "3"])
        #expect(LinearScale.niceStep(0.037) == 0.05 && LinearScale.niceStep(7) == 10 && LinearScale.niceStep(2) == 2)
        let flipped = LinearScale(covering: 0, 10, onto: 50...550, flipped: true)
        #expect(flipped.position(0) == 550 && flipped.position(10) == 50)
        let single = LinearScale(covering: 3, 3, onto: 0...1)
        #expect(single.domain.contains(3) && single.domain.lowerBound < 3)
    }

    @Test("loss curves: one solid and one dashed series per run, epoch axis, legend, hover values")
    func lossCurves() throws {
        let data = try SyntheticRatings.generate(.init(users: 60, items: 30, ratings: 900, seed: 3))
        let split = try data.randomSplit(testFraction: 0.2, seed: 1)
        var runs: [(name: String, history: TrainingHistory)] = []
        for d in [4, 8] {
            let model = try BiasedMF(for: data, configuration: .init(dimension: d))
            runs.append(("d=\(d)", try Trainer(configuration: .init(epochs: 3)).fit(model, on: split.train, validation: split.test)))
        }
        let svg = try LinePlot.lossCurves(runs).document().render()
        let doc = try Self.parse(svg)
        let series = try Self.nodes(doc, "//*[local-name()='g'][@class='series']")
        #expect(series.count == 4)
        let names = try Self.nodes(doc, "//*[local-name()='g'][@class='series']/@data-name").compactMap(\.stringValue)
        #expect(names == ["d=4 training", "d=4 validation", "d=8 training", "d=8 validation"])
        #expect(try Self.nodes(doc, "//*[local-name()='polyline'][@stroke-dasharray]").count == 2)
        #expect(try Self.nodes(doc, "//*[local-name()='g'][@class='series']/*[local-name()='circle']").count == 12)
        #expect(try Self.texts(doc, in: "legend") == names)
        #expect(try Self.texts(doc, in: "x-axis").contains("epoch") && Self.texts(doc, in: "y-axis").contains("MSE"))
        let firstTip = try Self.nodes(doc, "//*[local-name()='circle']/*[local-name()='title']").first?.stringValue
        #expect(firstTip == "d=4 training: 1, " + LinePlot.format(runs[0].history.epochs[0].meanLoss))
        // Epoch ticks 0…3 (or more) on the x axis.
        #expect(try Self.texts(doc, in: "x-axis") == ["1", "2", "3", "epoch"])
        #expect(throws: PlotError.self) { try LinePlot(title: "t", xLabel: "x", yLabel: "y", series: []).document() }
        #expect(throws: PlotError.self) {
            try LinePlot(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "a", points: [.init(x: 1, y: .nan)])]).document()
        }
    }

    @Test("scatter: a point per row with its hover title, categories in the legend, chosen labels, text escaped")
    func scatter() throws {
        let points = (0..<30).map { i in
            ScatterPlot.Point(x: Double(i % 6), y: Double(i / 6), category: i % 3 == 2 ? nil : i % 3, title: "Book <\(i)> & \"co\"")
        }
        let plot = ScatterPlot(title: "Map", points: points, categories: ["1990s", "2000s"], labelled: [0, 7, 29])
        let svg = try plot.document().render()
        #expect(svg.contains("Book &lt;7&gt; &amp; &quot;co&quot;"))
        let doc = try Self.parse(svg)
        let dots = try Self.nodes(doc, "//*[local-name()='g'][@class='points']/*[local-name()='circle']")
        #expect(dots.count == 30)
        let tips = Set(try Self.nodes(doc, "//*[local-name()='g'][@class='points']//*[local-name()='title']").compactMap(\.stringValue))
        #expect(tips.contains("Book <0> & \"co\" — 1990s") && tips.contains("Book <2> & \"co\""))
        #expect(try Self.texts(doc, in: "legend") == ["1990s", "2000s", "other"])
        #expect(try Self.texts(doc, in: "labels") == ["Book <0> & \"co\"", "Book <7> & \"co\"", "Book <29> & \"co\""])
        // Grey (uncategorised) points are drawn first, under the coloured ones.
        let fills = try Self.nodes(doc, "//*[local-name()='g'][@class='points']/*[local-name()='circle']/@fill").compactMap(\.stringValue)
        #expect(fills.count == 30 && fills.prefix(10).allSatisfy { $0 == Palette.other } && !fills.suffix(20).contains(Palette.other))
        #expect(throws: PlotError.self) { try ScatterPlot(title: "t", points: points, categories: ["a"]).document() }
        #expect(throws: PlotError.self) { try ScatterPlot(title: "t", points: points, labelled: [30]).document() }
        // Control characters XML forbids are dropped, not written.
        #expect(SVGElement.escape("a\u{01}b\u{0B}c") == "abc")
    }

    @Test("an item map from a catalogue: genres for films, decades for books, most frequent first")
    func itemMap() throws {
        let ids = ItemIDMap(integerIDs: [10, 20, 30, 40])
        let films = try ItemCatalog(items: [
            ItemMetadata(rawID: 10, title: "A", genres: ["Drama"]), ItemMetadata(rawID: 20, title: "B", genres: ["Comedy", "Drama"]),
            ItemMetadata(rawID: 30, title: "C", genres: ["Drama"]),
        ])
        let map = try ScatterPlot.itemMap([0, 0, 1, 1, 2, 2, 3, 3], itemIDs: ids, catalog: films, labelled: [2])
        #expect(map.categories == ["Drama", "Comedy"] && map.points.map(\.category) == [0, 1, 0, nil])
        #expect(map.points[3].title == "item 40" && map.labelled == [2] && map.title.hasSuffix("by genre"))
        let books = try ItemCatalog(items: [ItemMetadata(rawID: 10, title: "A", year: 1999), ItemMetadata(rawID: 20, title: "B", year: 2005),
                                            ItemMetadata(rawID: 30, title: "C", year: 2008), ItemMetadata(rawID: 40, title: "D", year: -350)])
        let decades = try ScatterPlot.itemMap([0, 0, 1, 1, 2, 2, 3, 3], itemIDs: ids, catalog: books)
        #expect(decades.categories == ["-350s", "1990s", "2000s"] && decades.points.map(\.category) == [1, 2, 2, 0])
        #expect(throws: PlotError.self) { try ScatterPlot.itemMap([0, 0], itemIDs: ids, catalog: nil) }
    }

    @Test("rating histogram: a bar per rating value with its count")
    func histogram() throws {
        let data = try RatingsDataset(rawUsers: ([1, 1, 2, 2, 3]).map(RawID.integer), rawItems: ([1, 2, 1, 3, 2]).map(RawID.integer), ratings: [4, 5, 4, 1, 4])
        let chart = BarChart.ratingHistogram(data)
        #expect(chart.bars.map(\.label) == ["1", "4", "5"] && chart.bars.map(\.value) == [1, 3, 1])
        let doc = try Self.parse(try chart.document().render())
        #expect(try Self.nodes(doc, "//*[local-name()='g'][@class='bars']/*[local-name()='rect']").count == 3)
        #expect(try Self.texts(doc, in: "x-axis") == ["1", "4", "5", "rating"])
        #expect(throws: PlotError.self) { try BarChart(title: "t", xLabel: "", yLabel: "", bars: [.init(label: "a", value: -1)]).document() }
    }

    @Test("the report of a saved recommender: facts, the metrics table beside the baselines, inline figures")
    func report() throws {
        let data = try SyntheticRatings.generate(.init(users: 120, items: 60, ratings: 3_000, seed: 5))
        let split = try data.randomSplit(testFraction: 0.2, seed: 2)
        let model = try BiasedMF(for: data, configuration: .init(dimension: 6))
        let history = try Trainer(configuration: .init(epochs: 3)).fit(model, on: split.train, validation: split.test)
        let catalog = try ItemCatalog(items: data.itemIDs.rawIDs.map { ItemMetadata(rawID: $0, title: "Book \($0) <&>", year: 1950 + Int($0.integerValue! % 60)) })
        let recommender = try Recommender(model: model, training: split.train, history: history, catalog: catalog)
        let rawTest = try RatingsDataset(rawUsers: split.test.users.map { recommender.userIDs.rawID(at: UserIndex($0))! },
                                         rawItems: split.test.items.map { recommender.itemIDs.rawID(at: ItemIndex($0))! },
                                         ratings: split.test.ratings)
        let report = try TrainingReport(recommender: recommender, test: rawTest,
                                        options: .init(projection: .tsne(.init(perplexity: 10, earlyExaggerationIterations: 50, iterations: 50))))
        let html = report.html()
        #expect(html.hasPrefix("<!DOCTYPE html>") && !html.contains("<script"))
        #expect(!html.contains("https://"), "the page must not reach the network")
        #expect(report.tables.count == 1 && report.tables[0].rows.count == 4 && report.tables[0].emphasised == [0])
        #expect(report.figures.count == 4 && html.components(separatedBy: "<svg ").count == 5)
        #expect(html.contains("Book") && html.contains("&lt;&amp;&gt;") && !html.contains("<&>"))
        // Every inline SVG is well-formed XML on its own.
        for figure in report.figures { _ = try Self.parse(figure.document.render()) }
        // (The table's figures against values worked out by hand: EvaluationKnownAnswerTests.)
        // A model without item embeddings or history says so instead of drawing.
        let ease = try EASE(fitting: split.train, configuration: .init(regularization: 50))
        let plain = try TrainingReport(recommender: try Recommender(model: ease, training: split.train), options: .init(projection: .pca))
        #expect(plain.facts.contains { $0.name == "item map" } && plain.facts.contains { $0.name == "loss curves" })
        #expect(plain.figures.count == 1)
    }
}
