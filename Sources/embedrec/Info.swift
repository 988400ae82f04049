import ArgumentParser
import EmbedRec
import Foundation

/// What a saved recommender holds, for a person or (with --json) for a program such as a batch
/// job that must know the users' count and the IDs' kind before it starts.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a saved recommender: its model, users, items and the kind of their IDs.",
        discussion: """
        Examples:
          embedrec info books.safetensors
          embedrec info books.safetensors --json

        IDs are integer when every ID of the column was a whole number (31, 4821), text otherwise \
        (ISBNs such as 034545104X keep their leading zeros). --json prints one object: \
        {"model":…,"predictsRatings":…,"users":…,"items":…,"userIDs":"integer"|"text","itemIDs":…,\
        "nouns":{…},"ratingScale":[lo,hi]|null,"bytes":…}.
        """)

    @Argument(help: "A recommender saved by `embedrec train --output` or Recommender.save(to:).")
    var file: String

    @Flag(help: "One JSON object instead of lines of text.")
    var json = false

    func run() throws {
        let recommender = try openRecommender(file)
        let bytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        let description = RecommenderDescription(recommender, bytes: bytes)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(description), as: UTF8.self))
        } else {
            print(description.text)
        }
    }
}

/// The facts `embedrec info` prints.
struct RecommenderDescription: Encodable {
    struct Nouns: Encodable { let user: String, users: String, item: String, items: String }
    let model: String
    let predictsRatings: Bool
    let users: Int
    let items: Int
    let userIDs: String
    let itemIDs: String
    let nouns: Nouns
    let ratingScale: [Float]?
    let bytes: Int

    init(_ r: Recommender, bytes: Int) {
        model = r.model.summary
        predictsRatings = r.model.predictsRatings
        users = r.userIDs.count
        items = r.itemIDs.count
        userIDs = r.userIDs.holdsText ? "text" : "integer"
        itemIDs = r.itemIDs.holdsText ? "text" : "integer"
        nouns = Nouns(user: r.nouns.user, users: r.nouns.users, item: r.nouns.item, items: r.nouns.items)
        ratingScale = r.ratingScale.map { [$0.lowerBound, $0.upperBound] }
        self.bytes = bytes
    }

    var text: String {
        var lines = [
            "model: \(model) (\(predictsRatings ? "predicts ratings" : "ranks items; its scores are not ratings"))",
            "\(nouns.users): \(users) (\(userIDs) IDs)",
            "\(nouns.items): \(items) (\(itemIDs) IDs)",
        ]
        if let ratingScale { lines.append("rating scale: \(ratingScale[0].formatted())...\(ratingScale[1].formatted())") }
        lines.append("file: \(bytes) bytes")
        return lines.joined(separator: "\n")
    }
}
