import ArgumentParser
import EmbedRec
import Foundation

/// Nearest items by cosine similarity of a saved recommender's item embeddings.
struct Similar: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Items most similar to an item, by raw ID or by title.",
        discussion: """
        Examples:
          embedrec similar books.safetensors --item 1
          embedrec similar books.safetensors --title "hunger games" --k 5 --json

        A title matches as a case-insensitive substring of the file's catalogue. When several titles match, they are listed and nothing is guessed. Similarity is the cosine of the item embeddings; for EASE and ConcatMLP, whose item tables carry no cosine meaning, the list is what the model recommends to a reader of that one item, with its scores.
        """)

    @Argument(help: "A saved recommender.")
    var file: String

    @Option(help: "A raw item ID.")
    var item: RawID?

    @Option(help: "A title, or part of one (needs a catalogue in the file).")
    var title: String?

    @OptionGroup var listing: ListingOptions

    func validate() throws {
        guard (item == nil) != (title == nil) else { throw ValidationError("give either --item ID or --title TEXT") }
    }

    func run() throws {
        let recommender = try openRecommender(file)
        let anchor: RawID
        if let item {
            anchor = item
        } else {
            guard let catalog = recommender.catalog else { throw CommandFailure("\(file) has no catalogue: use --item ID") }
            let needle = title!.lowercased()
            let matches = catalog.items.filter { $0.title.lowercased().contains(needle) && recommender.itemIDs.index(of: $0.rawID) != nil }
            guard !matches.isEmpty else { throw CommandFailure("no item's title contains \"\(title!)\"") }
            if matches.count > 1, let exact = matches.first(where: { $0.title.lowercased() == needle }) {
                anchor = exact.rawID
            } else if matches.count > 1 {
                let listed = matches.prefix(8).map { "\($0.rawID) \($0.title)" }.joined(separator: "; ")
                throw CommandFailure("\"\(title!)\" matches \(matches.count) titles (\(listed)\(matches.count > 8 ? "; …" : "")): give --item ID or more of the title")
            } else {
                anchor = matches[0].rawID
            }
        }
        let name = recommender.metadata(for: anchor)?.title ?? "\(recommender.nouns.item) \(anchor)"
        // Cosine of item embeddings where they mean something (top-N models); for a rating
        // model, the items rated by the same users; for EASE and ConcatMLP, what the model
        // recommends to a reader of this one item. Each heading says which.
        let neighbours: [(item: RawID, score: Float)], heading: String
        if recommender.model is EASE || recommender.model is ConcatMLP {
            guard recommender.itemIDs.index(of: anchor) != nil else { throw RecommenderError.unknownItem(anchor) }
            neighbours = try recommender.readersAlsoRead(anchor, k: listing.k).recommendations.map { ($0.rawItemID, $0.score) }
            heading = "People who liked \(name) also liked (\(recommender.model.summary) scores):"
        } else if recommender.model.predictsRatings {
            // A rating model's embeddings are fitted to predict stars, not to place items liked by
            // the same people together (measured: Docs/Benchmarks.md, "Similar items"): the
            // neighbours come from who rated what, and the heading says so.
            neighbours = try recommender.coRatedItems(to: anchor, k: listing.k).map { ($0.rawItemID, $0.similarity) }
            heading = "\(CatalogNouns.capitalized(recommender.nouns.users)) who rated \(name) also rated "
                + "(cosine of the \(recommender.nouns.users) they share; a rating model's embeddings place \(recommender.nouns.items) by predicted stars):"
        } else {
            neighbours = try recommender.similarItems(to: anchor, k: listing.k).map { ($0.rawItemID, $0.similarity) }
            heading = "Most similar to \(name):"
        }
        if listing.json {
            struct Line: Encodable { let item: RawID; let similarity: Float; let title: String? }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for n in neighbours {
                let line = Line(item: n.item, similarity: n.score, title: recommender.metadata(for: n.item)?.title)
                print(String(decoding: try encoder.encode(line), as: UTF8.self))
            }
        } else {
            print(heading)
            for n in neighbours {
                let t = recommender.metadata(for: n.item)?.title ?? ""
                print(String(format: "  %6.3f  ", n.score) + String(repeating: " ", count: max(0, 8 - n.item.description.count)) + "\(n.item)  " + t)
            }
        }
    }
}
