import EmbedRecKernels
import Foundation

/// Reads JSON lines (one object per line: `{"user": "A3SGXH7AUHU8GW", "item": "B0001", "rating": 5}`)
/// into columns, through Foundation's `JSONDecoder`.
///
/// An ID is a JSON integer or a string; a column is kept as integers when every ID in it is
/// a JSON integer, and as text otherwise (an integer then by its decimal spelling). A value
/// is a number (or a string holding one); a timestamp a whole number. Every row has every
/// field read; other fields are ignored.
struct JSONLinesParser {
    /// The names of the fields read.
    struct Fields: Sendable {
        var user: String, item: String, value: String?, timestamp: String?
    }

    let fields: Fields
    /// Values outside it fail the load (nil: any finite value).
    let scale: ClosedRange<Float>?

    /// An ID as the file wrote it.
    enum ID: Decodable, Sendable {
        case integer(Int64), text(String)
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let integer = try? container.decode(Int64.self) { self = .integer(integer); return }
            if let text = try? container.decode(String.self), !text.isEmpty { self = .text(text); return }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "an ID is a whole number or a non-empty string")
        }
    }

    /// One line's fields, found by the names in the decoder's user info.
    struct Row: Decodable {
        static let fieldsKey = CodingUserInfoKey(rawValue: "EmbedRec.JSONLinesParser.fields")!
        struct Key: CodingKey {
            var stringValue: String
            init(stringValue: String) { self.stringValue = stringValue }
            var intValue: Int? { nil }
            init?(intValue: Int) { nil }
        }

        var user: ID, item: ID, value: Float, timestamp: Int64?

        init(from decoder: any Decoder) throws {
            let fields = decoder.userInfo[Self.fieldsKey] as! Fields
            let object = try decoder.container(keyedBy: Key.self)
            user = try Self.required(object, fields.user, "an ID") { try object.decode(ID.self, forKey: $0) }
            item = try Self.required(object, fields.item, "an ID") { try object.decode(ID.self, forKey: $0) }
            if let field = fields.value {
                value = try Self.required(object, field, "a number") { key in
                    if let number = try? object.decode(Float.self, forKey: key) { return number }
                    guard let number = Float(try object.decode(String.self, forKey: key).trimmingCharacters(in: .whitespaces)) else {
                        throw Problem(field: field, what: "a number")
                    }
                    return number
                }
            } else {
                value = 1
            }
            if let field = fields.timestamp {
                timestamp = try Self.required(object, field, "a whole number") { key in
                    if let t = try? object.decode(Int64.self, forKey: key) { return t }
                    guard let t = Int64(try object.decode(String.self, forKey: key)) else { throw Problem(field: field, what: "a whole number") }
                    return t
                }
            } else {
                timestamp = nil
            }
        }

        /// A field that must be present and hold `what`.
        static func required<T>(
            _ object: KeyedDecodingContainer<Key>, _ field: String, _ what: String, _ decode: (Key) throws -> T
        ) throws -> T {
            let key = Key(stringValue: field)
            guard object.contains(key) else { throw Problem(field: field, what: nil) }
            do { return try decode(key) } catch let problem as Problem { throw problem } catch { throw Problem(field: field, what: what) }
        }
    }

    /// What was wrong with one line's field (`what` nil: it is missing).
    struct Problem: Error {
        var field: String, what: String?
        var description: String { what.map { "field '\(field)' is not \($0)" } ?? "no field '\(field)'" }
    }

    /// One chunk's rows, or its first failure (the byte offset of its line).
    private struct Chunk: Sendable {
        var users: [ID] = [], items: [ID] = [], values: [Float] = [], times: [Int64] = []
        var failure: (offset: Int, kind: RatingsFileError.Kind)?
    }

    func parse(_ bytes: [UInt8], name: String, parallelism: Parallelism, limits: RatingsLoader.Limits) throws -> RawRatings {
        try bytes.withUnsafeBufferPointer { buffer -> RawRatings in
            var start = 0
            if buffer.count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { start = 3 }
            let body = start..<buffer.count
            let chunks = RatingsLoader.chunkRanges(buffer, body, parts: body.count < 1 << 20 ? 1 : parallelism.threads)
            var results = [Chunk](repeating: Chunk(), count: chunks.count)
            results.withUnsafeMutableBufferPointer { out in
                let base = out.baseAddress!
                parallelFor(chunks.count) { c in base[c] = parseChunk(buffer, chunks[c]) }
            }
            for chunk in results {
                if let failure = chunk.failure {
                    throw RatingsFileError(file: name, line: RatingsLoader.lineNumber(buffer, offset: failure.offset), kind: failure.kind)
                }
            }
            let count = results.reduce(0) { $0 + $1.values.count }
            guard count > 0 else { throw RatingsFileError(file: name, line: 0, kind: .emptyFile) }
            guard count <= limits.rows else {
                throw RatingsFileError(file: name, line: 0, kind: .tooManyDistinct(what: "rating rows", limit: limits.rows))
            }
            let timed = fields.timestamp != nil
            return RawRatings(users: Self.column(results.flatMap(\.users)), items: Self.column(results.flatMap(\.items)),
                              ratings: results.flatMap(\.values), timestamps: timed ? results.flatMap(\.times) : nil)
        }
    }

    private func parseChunk(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Chunk {
        var chunk = Chunk()
        let decoder = JSONDecoder()
        decoder.userInfo[Row.fieldsKey] = fields
        var p = range.lowerBound
        while p < range.upperBound {
            let lineStart = p
            while p < range.upperBound && buffer[p] != 10 { p += 1 }
            var lineEnd = p
            p += 1
            while lineEnd > lineStart && (buffer[lineEnd - 1] == 13 || buffer[lineEnd - 1] == 32 || buffer[lineEnd - 1] == 9) { lineEnd -= 1 }
            guard lineEnd > lineStart else { continue }  // a blank line
            let row: Row
            do {
                row = try decoder.decode(Row.self, from: Data(UnsafeBufferPointer(rebasing: buffer[lineStart..<lineEnd])))
            } catch let problem as Problem {
                chunk.failure = (lineStart, .invalidFormat(problem.description)); return chunk
            } catch {
                chunk.failure = (lineStart, .invalidFormat("not a JSON object on one line")); return chunk
            }
            guard row.value.isFinite else {
                chunk.failure = (lineStart, .nonFiniteRating(text: String(row.value))); return chunk
            }
            if let scale, !scale.contains(row.value) {
                chunk.failure = (lineStart, .ratingOutsideScale(text: row.value.compactDescription, scale: scale)); return chunk
            }
            chunk.users.append(row.user); chunk.items.append(row.item); chunk.values.append(row.value)
            if let t = row.timestamp { chunk.times.append(t) }
        }
        return chunk
    }

    /// An ID column: integers when every ID is one, else text.
    private static func column(_ ids: [ID]) -> RawRatings.IDColumn {
        var integers: [Int64] = []
        integers.reserveCapacity(ids.count)
        for id in ids {
            guard case .integer(let value) = id else { break }
            integers.append(value)
        }
        if integers.count == ids.count { return .integers(integers) }
        // Keyed by bytes: String equality would merge canonically equivalent IDs (TextIDs).
        var first: [[UInt8]: Int32] = [:], spellings: [String] = []
        let rows = ids.map { id -> Int32 in
            let text: String
            switch id {
            case .integer(let value): text = String(value)
            case .text(let value): text = value
            }
            let key = Array(text.utf8)
            if let k = first[key] { return k }
            let k = Int32(spellings.count)
            first[key] = k; spellings.append(text)
            return k
        }
        let texts = TextIDs(strings: spellings)
        let rank = spellings.map { texts.position(of: $0)! }
        return .texts(texts, positions: rows.map { rank[Int($0)] })
    }
}
