@testable import BookServerApp
import EmbedRec
import Foundation
import Testing

/// The hand-written JSON of the book lists is byte for byte what `JSONEncoder` (sorted keys,
/// unescaped slashes) writes, and reads back to the same values.
@Suite struct ListJSONWriterTests {
    static let awkwardTitles = [
        "Plain", "Quotes \"inside\"", "Back\\slash", "Line\nbreak\tand\rreturn", "Bell \u{07} and \u{1F}",
        "Ünïcödé — 日本語 😀", "Slashes / in / titles", "",
    ]

    func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    func books() -> [ItemJSON] {
        Self.awkwardTitles.enumerated().map { i, title in
            // Integer IDs and text IDs (an ISBN, one with a quote and a non-ASCII letter).
            let id: RawID = i % 3 == 0 ? .text(i == 3 ? "03\"é\\X" : "034545104X") : .integer(Int64(i) * 1_000_003 - 5)
            var book = ItemJSON(id: id,
                                metadata: ItemMetadata(rawID: id, title: title, authors: i.isMultiple(of: 2) ? "A. \(title)" : nil,
                                                       year: i == 3 ? nil : -200 + i * 300,
                                                       imageURL: i == 1 ? nil : "https://covers.example/\(i).jpg"))
            book.predictedRating = [4.7433596, 1, 5, 3.25e-7, 0.1, 123456.78, 2.5, 4][i]
            return book
        }
    }

    @Test func recommendationsMatchJSONEncoder() throws {
        for user in [RawID(314), "reader \"7\"", nil] {
            let value = RecommendationsJSON(user: user, k: 8, popularityFallback: user == nil, unknownItemIDs: user == nil ? [7, -2, "B00X"] : [],
                                            recommendations: books())
            let mine = String(buffer: ListJSONWriter.bytes(value))
            let theirs = String(decoding: try encoder().encode(value), as: UTF8.self)
            #expect(mine == theirs)
            let back = try JSONDecoder().decode(RecommendationsJSON.self, from: Data(mine.utf8))
            #expect(back.recommendations == value.recommendations)
        }
    }

    @Test func similarMatchesJSONEncoder() throws {
        let neighbours = books().map { b -> ItemJSON in
            var b = b
            b.predictedRating = nil
            b.similarity = -0.12345679
            return b
        }
        let value = SimilarJSON(item: books()[2], k: 3, similar: neighbours)
        #expect(String(buffer: ListJSONWriter.bytes(value)) == String(decoding: try encoder().encode(value), as: UTF8.self))
        let one = books()[5]
        #expect(String(buffer: ListJSONWriter.bytes(one)) == String(decoding: try encoder().encode(one), as: UTF8.self))
    }

    @Test func nonFiniteScoresAreNull() {
        var book = ItemJSON(id: 1, metadata: nil, untitled: "Book")
        book.predictedRating = .nan
        #expect(String(buffer: ListJSONWriter.bytes(book)) == #"{"id":1,"predictedRating":null,"title":"Book 1"}"#)
    }
}
