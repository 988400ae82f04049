/// A user or item ID as a data file spells it: a whole number (`31`, MovieLens's `movieId`) or
/// any other text (an ISBN such as `034545104X`, an ASIN, a UUID, a user name).
///
/// The loaders keep integer IDs as integers (they are smaller and faster to map) and everything
/// else as text, column by column: a column is integer only when every one of its IDs is a
/// whole number written without leading zeros, so `0195153448` stays text and is echoed as
/// given. Literals of either kind convert: `recommender.recommend(user: 42, k: 10)`,
/// `recommender.similarItems(to: "034545104X", k: 10)`.
///
/// Equality is by kind and value; ``IDMap/index(of:)`` also finds the integer `42` in a map of
/// text IDs that holds `"42"`, so an ID typed by a person (``init(_:)``) finds its row whatever
/// the file's column turned out to be.
public enum RawID: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByIntegerLiteral,
    ExpressibleByStringLiteral, Codable
{
    /// A whole number in `Int64` range.
    case integer(Int64)
    /// Any other ID, byte for byte as the file had it (after unquoting; decoded to UTF-8).
    case text(String)

    /// The ID a person typed: an integer when `text` is a whole number written without leading
    /// zeros or `+` (`42`, `-7`), otherwise the text itself.
    public init(_ text: some StringProtocol) {
        if let value = Self.canonicalInteger(text.utf8) { self = .integer(value) } else { self = .text(String(text)) }
    }

    /// An integer ID.
    public init(integerLiteral value: Int64) { self = .integer(value) }

    /// A text ID parsed like ``init(_:)``: `"42"` is the integer 42.
    public init(stringLiteral value: String) { self.init(value) }

    /// The ID as the file wrote it: `42`, `034545104X`.
    public var description: String {
        switch self {
        case .integer(let value): return String(value)
        case .text(let text): return text
        }
    }

    /// The integer, or nil for a text ID.
    public var integerValue: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// Integers before text; integers by value, text by its UTF-8 bytes (the order of an
    /// ``IDMap``'s dense indices).
    public static func < (lhs: RawID, rhs: RawID) -> Bool {
        switch (lhs, rhs) {
        case let (.integer(a), .integer(b)): return a < b
        case (.integer, .text): return true
        case (.text, .integer): return false
        case let (.text(a), .text(b)): return a.utf8.lexicographicallyPrecedes(b.utf8)
        }
    }

    /// Encodes an integer as a JSON number and text as a JSON string, so files and web pages
    /// echo IDs as the data had them.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .integer(let value): try container.encode(value)
        case .text(let text): try container.encode(text)
        }
    }

    /// Decodes a JSON number as an integer ID and a JSON string as ``init(_:)`` reads it.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int64.self) { self = .integer(value) } else { self = .text(try container.decode(String.self)) }
    }

    /// The ID as a JSON value: a number for an integer ID, an escaped string for text (so an
    /// ISBN such as `0316666343` stays text and keeps its leading zero).
    package var jsonLiteral: String {
        switch self {
        case .integer(let value): return String(value)
        case .text(let text): return SafeTensors.jsonString(text)
        }
    }

    /// The ID as one field of a delimited file: as written, or quoted RFC 4180 style (inner
    /// quotes doubled) when it holds the separator, a quote or a line break.
    package func delimitedField(separator: String = ",") -> String {
        guard case .text(let text) = self else { return description }
        let needsQuotes = text.utf8.contains { $0 == 34 || $0 == 10 || $0 == 13 } || (!separator.isEmpty && text.contains(separator))
        return needsQuotes ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    /// The value of `bytes` when they spell a whole number in `Int64` range the way a program
    /// writes one: an optional `-`, then digits without leading zeros (`0` alone is fine).
    static func canonicalInteger<C: Collection>(_ bytes: C) -> Int64? where C.Element == UInt8 {
        var iterator = bytes.makeIterator()
        guard var c = iterator.next() else { return nil }
        let negative = c == UInt8(ascii: "-")
        if negative { guard let next = iterator.next() else { return nil }; c = next }
        guard c &- 48 < 10 else { return nil }
        if c == 48 { return iterator.next() == nil && !negative ? 0 : nil }
        var magnitude = UInt64(c &- 48), digits = 1
        while let d = iterator.next() {
            guard d &- 48 < 10, digits < 19 else { return nil }
            magnitude = magnitude * 10 + UInt64(d &- 48); digits += 1
        }
        if negative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }
}
