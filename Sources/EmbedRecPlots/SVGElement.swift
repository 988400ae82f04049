import EmbedRec
import Foundation

/// One SVG (XML) element: a name, attributes in order, children or text. Rendering escapes
/// every attribute value and text, so titles from a catalogue ("Pride & Prejudice", quotes,
/// angle brackets) cannot break the document.
public struct SVGElement: Sendable, Hashable {
    /// The tag, e.g. `circle`.
    public var name: String
    /// Attributes in the order written.
    public var attributes: [Attribute]
    /// Child elements, after the text.
    public var children: [SVGElement]
    /// Character content (escaped when rendered).
    public var text: String?

    /// One `name="value"` pair.
    public struct Attribute: Sendable, Hashable {
        /// The attribute's name.
        public var name: String
        /// Its value (escaped when rendered).
        public var value: String
        /// The pair `name="value"`.
        public init(_ name: String, _ value: String) { self.name = name; self.value = value }
    }

    /// An element `name` with attributes in order, children and text.
    public init(_ name: String, _ attributes: [(String, String)] = [], children: [SVGElement] = [], text: String? = nil) {
        self.name = name
        self.attributes = attributes.map { Attribute($0.0, $0.1) }
        self.children = children
        self.text = text
    }

    /// A `<title>` child: browsers show it as a tooltip on hover.
    public static func title(_ text: String) -> SVGElement { SVGElement("title", text: text) }

    /// The element and its subtree as XML.
    public func render() -> String {
        var out = ""
        render(into: &out)
        return out
    }

    func render(into out: inout String) {
        out += "<" + name
        for a in attributes { out += " \(a.name)=\"\(Self.escape(a.value))\"" }
        if children.isEmpty && text == nil {
            out += "/>"
            return
        }
        out += ">"
        if let text { out += Self.escape(text) }
        for child in children { child.render(into: &out) }
        out += "</\(name)>"
    }

    /// XML-escapes text and attribute values; drops characters XML 1.0 does not allow.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                let v = scalar.value
                if v < 0x20 || (0xFFFE...0xFFFF).contains(v) { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// A complete SVG document of a given size.
public struct SVGDocument: Sendable, Hashable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// The top-level elements, painted in order.
    public var elements: [SVGElement]

    /// A document of the given size.
    public init(width: Int, height: Int, elements: [SVGElement] = []) {
        self.width = width; self.height = height; self.elements = elements
    }

    /// The `<svg>` element, for inlining in HTML.
    public var root: SVGElement {
        SVGElement("svg", [("xmlns", "http://www.w3.org/2000/svg"), ("width", "\(width)"), ("height", "\(height)"),
                           ("viewBox", "0 0 \(width) \(height)"),
                           ("font-family", "DejaVu Sans, Helvetica, Arial, sans-serif")],
                   children: elements)
    }

    /// The document as a standalone `.svg` file's text.
    public func render() -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + root.render() + "\n"
    }

    /// Writes the document to `path` (UTF-8).
    public func write(to path: String) throws {
        try AtomicFileWriter.write(path, bytes: render().utf8)
    }
}

/// Formats a coordinate for an attribute: two decimals, trailing zeros dropped.
func svgNumber(_ v: Double) -> String {
    guard v.isFinite else { return "0" }
    var s = String(format: "%.2f", v)
    while s.hasSuffix("0") { s.removeLast() }
    if s.hasSuffix(".") { s.removeLast() }
    return s == "-0" ? "0" : s
}
