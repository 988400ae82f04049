/// The parts every chart shares: the plotting area inside margins, axes with ticks and grid,
/// axis labels, a title and a legend. Charts draw their marks between `background` and
/// `foreground`.
struct ChartFrame {
    let width: Double, height: Double
    let left = 72.0, top = 48.0, bottom = 60.0
    /// Wider when the legend sits outside the plotting area, to its right.
    let right: Double
    let legendOutside: Bool
    let x: LinearScale, y: LinearScale
    let title: String, xLabel: String, yLabel: String
    /// Category tick labels instead of numbers on the x axis (bar charts).
    var xCategories: [String]? = nil

    var plotLeft: Double { left }
    var plotRight: Double { width - right }
    var plotTop: Double { top }
    var plotBottom: Double { height - bottom }

    init(width: Double, height: Double, x: (Double, Double), y: (Double, Double),
         title: String, xLabel: String, yLabel: String, nice: Bool = true, legendOutside: Bool = false, wholeNumberX: Bool = false) {
        self.width = width; self.height = height
        self.legendOutside = legendOutside
        right = legendOutside ? 150 : 24
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
        self.x = LinearScale(covering: x.0, x.1, onto: left...(width - right), nice: nice, minimumStep: wholeNumberX ? 1 : nil)
        self.y = LinearScale(covering: y.0, y.1, onto: top...(height - bottom), flipped: true, nice: nice)
    }

    /// White background, grid lines and the title.
    func background() -> [SVGElement] {
        var out: [SVGElement] = [
            SVGElement("rect", [("x", "0"), ("y", "0"), ("width", svgNumber(width)), ("height", svgNumber(height)), ("fill", "#ffffff")]),
            SVGElement("text", [("x", svgNumber(width / 2)), ("y", "28"), ("text-anchor", "middle"), ("font-size", "18"),
                                ("font-weight", "bold"), ("fill", "#222222"), ("class", "title")], text: title),
        ]
        var grid: [SVGElement] = []
        for t in y.ticks() {
            let py = svgNumber(y.position(t))
            grid.append(SVGElement("line", [("x1", svgNumber(plotLeft)), ("x2", svgNumber(plotRight)), ("y1", py), ("y2", py)]))
        }
        if xCategories == nil {
            for t in x.ticks() {
                let px = svgNumber(x.position(t))
                grid.append(SVGElement("line", [("x1", px), ("x2", px), ("y1", svgNumber(plotTop)), ("y2", svgNumber(plotBottom))]))
            }
        }
        out.append(SVGElement("g", [("class", "grid"), ("stroke", "#e6e6e6"), ("stroke-width", "1")], children: grid))
        return out
    }

    /// Axis lines, ticks with labels, and the axis titles.
    func axes() -> [SVGElement] {
        var xAxis: [SVGElement] = [
            SVGElement("line", [("x1", svgNumber(plotLeft)), ("x2", svgNumber(plotRight)), ("y1", svgNumber(plotBottom)),
                                ("y2", svgNumber(plotBottom)), ("stroke", "#333333")]),
        ]
        if let categories = xCategories {
            let band = (plotRight - plotLeft) / Double(max(1, categories.count))
            for (i, label) in categories.enumerated() {
                let px = svgNumber(plotLeft + band * (Double(i) + 0.5))
                xAxis.append(SVGElement("text", [("x", px), ("y", svgNumber(plotBottom + 20)), ("text-anchor", "middle"),
                                                 ("font-size", "12"), ("fill", "#333333")], text: label))
            }
        } else {
            let ticks = x.ticks()
            for (t, label) in zip(ticks, LinearScale.labels(ticks)) {
                let px = svgNumber(x.position(t))
                xAxis.append(SVGElement("line", [("x1", px), ("x2", px), ("y1", svgNumber(plotBottom)), ("y2", svgNumber(plotBottom + 5)), ("stroke", "#333333")]))
                xAxis.append(SVGElement("text", [("x", px), ("y", svgNumber(plotBottom + 20)), ("text-anchor", "middle"),
                                                 ("font-size", "12"), ("fill", "#333333")], text: label))
            }
        }
        xAxis.append(SVGElement("text", [("x", svgNumber((plotLeft + plotRight) / 2)), ("y", svgNumber(height - 16)),
                                         ("text-anchor", "middle"), ("font-size", "14"), ("fill", "#222222")], text: xLabel))
        var yAxis: [SVGElement] = [
            SVGElement("line", [("x1", svgNumber(plotLeft)), ("x2", svgNumber(plotLeft)), ("y1", svgNumber(plotTop)),
                                ("y2", svgNumber(plotBottom)), ("stroke", "#333333")]),
        ]
        let ticks = y.ticks()
        for (t, label) in zip(ticks, LinearScale.labels(ticks)) {
            let py = svgNumber(y.position(t))
            yAxis.append(SVGElement("line", [("x1", svgNumber(plotLeft - 5)), ("x2", svgNumber(plotLeft)), ("y1", py), ("y2", py), ("stroke", "#333333")]))
            yAxis.append(SVGElement("text", [("x", svgNumber(plotLeft - 8)), ("y", svgNumber(y.position(t) + 4)), ("text-anchor", "end"),
                                             ("font-size", "12"), ("fill", "#333333")], text: label))
        }
        let cy = (plotTop + plotBottom) / 2
        yAxis.append(SVGElement("text", [("x", "18"), ("y", svgNumber(cy)), ("text-anchor", "middle"), ("font-size", "14"),
                                         ("fill", "#222222"), ("transform", "rotate(-90 18 \(svgNumber(cy)))")], text: yLabel))
        return [SVGElement("g", [("class", "x-axis")], children: xAxis), SVGElement("g", [("class", "y-axis")], children: yAxis)]
    }

    enum LegendMark { case line(dashed: Bool), dot }

    /// A boxed legend in the top-right corner of the plotting area.
    func legend(_ entries: [(name: String, colour: String, mark: LegendMark)]) -> SVGElement? {
        guard !entries.isEmpty else { return nil }
        let rowHeight = 18.0
        let longest = entries.map(\.name.count).max() ?? 0
        let boxWidth = legendOutside ? right - 14 : 40 + Double(min(longest, 56)) * 6.8
        let boxHeight = Double(entries.count) * rowHeight + 10
        let x0 = legendOutside ? plotRight + 8 : plotRight - boxWidth - 8, y0 = plotTop + (legendOutside ? 0 : 8)
        let limit = legendOutside ? 15 : 56
        var children: [SVGElement] = [
            SVGElement("rect", [("x", svgNumber(x0)), ("y", svgNumber(y0)), ("width", svgNumber(boxWidth)), ("height", svgNumber(boxHeight)),
                                ("fill", "#ffffff"), ("fill-opacity", "0.9"), ("stroke", "#cccccc")]),
        ]
        for (i, entry) in entries.enumerated() {
            let cy = y0 + 14 + Double(i) * rowHeight
            switch entry.mark {
            case .line(let dashed):
                var attributes = [("x1", svgNumber(x0 + 8)), ("x2", svgNumber(x0 + 30)), ("y1", svgNumber(cy - 4)), ("y2", svgNumber(cy - 4)),
                                  ("stroke", entry.colour), ("stroke-width", "2.5")]
                if dashed { attributes.append(("stroke-dasharray", "6 4")) }
                children.append(SVGElement("line", attributes))
            case .dot:
                children.append(SVGElement("circle", [("cx", svgNumber(x0 + 19)), ("cy", svgNumber(cy - 4)), ("r", "5"), ("fill", entry.colour)]))
            }
            let name = entry.name.count > limit ? String(entry.name.prefix(limit - 1)) + "…" : entry.name
            children.append(SVGElement("text", [("x", svgNumber(x0 + 36)), ("y", svgNumber(cy)), ("font-size", "12"), ("fill", "#222222")], text: name))
        }
        return SVGElement("g", [("class", "legend")], children: children)
    }
}
