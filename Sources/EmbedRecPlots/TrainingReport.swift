import EmbedRec
import Foundation

/// A one-page HTML report of a training run: facts, metric tables and figures (SVG inline), no
/// scripts and no network, so it opens anywhere and can be mailed as one file.
public struct TrainingReport: Sendable {
    /// A named fact, listed at the top.
    public struct Fact: Sendable, Hashable {
        /// What the fact is about.
        public var name: String
        /// The fact.
        public var value: String
        /// The fact `name`: `value`.
        public init(_ name: String, _ value: String) { self.name = name; self.value = value }
    }

    /// A table of figures, first column left-aligned, the rest right-aligned.
    public struct Table: Sendable, Hashable {
        /// The table's heading.
        public var caption: String
        /// Column names.
        public var header: [String]
        /// Cells, one array per row.
        public var rows: [[String]]
        /// Rows to set in bold (the model next to its baselines).
        public var emphasised: Set<Int>
        /// A table; see the properties.
        public init(caption: String, header: [String], rows: [[String]], emphasised: Set<Int> = []) {
            self.caption = caption; self.header = header; self.rows = rows; self.emphasised = emphasised
        }
    }

    /// An SVG figure with its caption.
    public struct Figure: Sendable, Hashable {
        /// Written under the figure.
        public var caption: String
        /// The figure, inlined into the page.
        public var document: SVGDocument
        /// A figure; see the properties.
        public init(caption: String, document: SVGDocument) { self.caption = caption; self.document = document }
    }

    /// The page's heading and title.
    public var title: String
    /// Facts listed under the heading.
    public var facts: [Fact]
    /// Tables, after the facts.
    public var tables: [Table]
    /// Figures, after the tables.
    public var figures: [Figure]

    /// A report of the given parts.
    public init(title: String, facts: [Fact] = [], tables: [Table] = [], figures: [Figure] = []) {
        self.title = title; self.facts = facts; self.tables = tables; self.figures = figures
    }

    /// The report as a standalone HTML document.
    public func html() -> String {
        func e(_ s: String) -> String { SVGElement.escape(s) }
        var out = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(e(title))</title>
        <style>
        body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #222; max-width: 1100px; margin: 2em auto; padding: 0 1em; }
        h1 { font-size: 1.6em; margin-bottom: 0.3em; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 1.2em; margin: 0 0 1.5em; }
        dl.facts dt { font-weight: bold; }
        dl.facts dd { margin: 0; }
        table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-variant-numeric: tabular-nums; }
        caption { text-align: left; font-weight: bold; padding-bottom: 0.4em; }
        th, td { padding: 0.25em 0.8em; border-bottom: 1px solid #ddd; text-align: right; }
        th:first-child, td:first-child { text-align: left; }
        tr.emphasised td { font-weight: bold; }
        figure { margin: 1em 0 2em; }
        figure svg { max-width: 100%; height: auto; border: 1px solid #eee; }
        figcaption { color: #555; margin-top: 0.3em; }
        </style>
        </head>
        <body>
        <h1>\(e(title))</h1>

        """
        if !facts.isEmpty {
            out += "<dl class=\"facts\">\n"
            for f in facts { out += "<dt>\(e(f.name))</dt><dd>\(e(f.value))</dd>\n" }
            out += "</dl>\n"
        }
        for t in tables {
            out += "<table>\n<caption>\(e(t.caption))</caption>\n<thead><tr>"
            for h in t.header { out += "<th>\(e(h))</th>" }
            out += "</tr></thead>\n<tbody>\n"
            for (i, row) in t.rows.enumerated() {
                out += t.emphasised.contains(i) ? "<tr class=\"emphasised\">" : "<tr>"
                for cell in row { out += "<td>\(e(cell))</td>" }
                out += "</tr>\n"
            }
            out += "</tbody>\n</table>\n"
        }
        for f in figures {
            out += "<figure>\n" + f.document.root.render() + "\n<figcaption>\(e(f.caption))</figcaption>\n</figure>\n"
        }
        out += "</body>\n</html>\n"
        return out
    }

    /// Writes the report to `path` (UTF-8).
    public func write(to path: String) throws { try AtomicFileWriter.write(path, bytes: html().utf8) }
}
