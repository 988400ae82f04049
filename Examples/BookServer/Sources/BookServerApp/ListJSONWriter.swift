import EmbedRec
import NIOCore

/// Writes the book lists (`/recommend`, `/similar`, `/reader`, `/items`) straight into a
/// `ByteBuffer`: the same JSON as `JSONEncoder` with sorted keys and unescaped slashes gives,
/// at a fraction of its cost — Foundation's encoder took as long as scoring the catalogue.
/// Other answers (health, reload, errors) are rare and go through `JSONEncoder`.
struct ListJSONWriter {
    private(set) var buffer: ByteBuffer

    init(capacity: Int = 2_048) { buffer = ByteBufferAllocator().buffer(capacity: capacity) }

    static func bytes(_ value: RecommendationsJSON) -> ByteBuffer {
        var w = ListJSONWriter(capacity: 256 + 256 * value.recommendations.count)
        w.raw("{\"k\":"); w.integer(value.k)
        w.raw(",\"popularityFallback\":"); w.raw(value.popularityFallback ? "true" : "false")
        w.raw(",\"recommendations\":"); w.books(value.recommendations)
        w.raw(",\"unknownItemIDs\":[")
        for (i, id) in value.unknownItemIDs.enumerated() {
            if i > 0 { w.raw(",") }
            w.id(id)
        }
        w.raw("]")
        if let user = value.user { w.raw(",\"user\":"); w.id(user) }
        w.raw("}")
        return w.buffer
    }

    static func bytes(_ value: SimilarJSON) -> ByteBuffer {
        var w = ListJSONWriter(capacity: 512 + 256 * value.similar.count)
        w.raw("{\"item\":"); w.book(value.item)
        w.raw(",\"k\":"); w.integer(value.k)
        w.raw(",\"similar\":"); w.books(value.similar)
        w.raw("}")
        return w.buffer
    }

    static func bytes(_ value: ItemJSON) -> ByteBuffer {
        var w = ListJSONWriter(capacity: 512)
        w.book(value)
        return w.buffer
    }

    // Keys in sorted order, absent optionals left out, as the Codable types encode.
    mutating func book(_ b: ItemJSON) {
        raw("{")
        if let authors = b.authors { raw("\"authors\":"); string(authors); raw(",") }
        raw("\"id\":"); id(b.id)
        if let url = b.imageURL { raw(",\"imageURL\":"); string(url) }
        if let rating = b.predictedRating { raw(",\"predictedRating\":"); float(rating) }
        if let score = b.score { raw(",\"score\":"); float(score) }
        if let similarity = b.similarity { raw(",\"similarity\":"); float(similarity) }
        raw(",\"title\":"); string(b.title)
        if let year = b.year { raw(",\"year\":"); integer(year) }
        raw("}")
    }

    mutating func books(_ list: [ItemJSON]) {
        raw("[")
        for (i, b) in list.enumerated() {
            if i > 0 { raw(",") }
            book(b)
        }
        raw("]")
    }

    mutating func raw(_ text: StaticString) {
        buffer.writeStaticString(text)
    }

    mutating func integer(_ value: some BinaryInteger) {
        buffer.writeString(String(value))
    }

    /// A raw ID as the data spells it: a JSON number for an integer, a string for text.
    mutating func id(_ value: RawID) {
        switch value {
        case .integer(let number): integer(number)
        case .text(let text): string(text)
        }
    }

    /// The shortest form that reads back as the same Float (Swift's `description`, as the
    /// encoder writes, integral values without ".0"); a non-finite value, which JSON cannot
    /// carry, as null.
    mutating func float(_ value: Float) {
        guard value.isFinite else { raw("null"); return }
        let text = value.description
        buffer.writeString(text.hasSuffix(".0") ? String(text.dropLast(2)) : text)
    }

    /// A JSON string: quotes, backslashes and control characters escaped, the rest as UTF-8.
    mutating func string(_ text: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for (i, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[start..<i]))
                switch byte {
                case UInt8(ascii: "\""): raw("\\\"")
                case UInt8(ascii: "\\"): raw("\\\\")
                case 0x0A: raw("\\n")
                case 0x0D: raw("\\r")
                case 0x09: raw("\\t")
                default:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    buffer.writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                       hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                }
                start = i + 1
            }
            buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}
