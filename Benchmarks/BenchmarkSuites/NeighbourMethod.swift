import EmbedRec

/// The ways the neighbours suite asks a fitted model for an item's neighbours: the library's two
/// APIs, and two variants of the embedding cosine that might rescue a rating model's list.
enum NeighbourMethod: CaseIterable {
    /// `Recommender.similarItems`: cosine of the item embeddings, what `embedrec similar` shows.
    case cosine
    /// Cosine after subtracting the mean item embedding: a direction every item shares (what
    /// predicts "rated well" for everyone) no longer makes them all alike.
    case centredCosine
    /// Cosine among items with at least ``frequentMinimum`` interactions: a rarely rated item's
    /// row is mostly its random start, and cosine ignores the length that would say so.
    case frequentCosine
    /// `Recommender.readersAlsoRead`: what the model recommends to a reader of this one item (a
    /// fold-in); for EASE its row of item-to-item weights.
    case readersAlsoRead

    /// Interactions an item needs to be a neighbour under ``frequentCosine``.
    static let frequentMinimum = 20

    var label: String {
        switch self {
        case .cosine: return "cosine (similarItems)"
        case .centredCosine: return "cosine, mean-centred factors"
        case .frequentCosine: return "cosine, items with ≥ \(Self.frequentMinimum) interactions"
        case .readersAlsoRead: return "readersAlsoRead (fold-in of the one item)"
        }
    }

    /// A function listing an item's neighbours (best first, perhaps with the item itself) under
    /// this method, or nil when the model has no such thing (EASE has no item embedding; a model
    /// may lack fold-in).
    /// `interactions` is each item's interaction count in the dataset.
    func finder(_ recommender: Recommender, interactions: [Int], k: Int) throws -> ((ItemIndex) throws -> [Int32])? {
        // One more than k: a list may hold the query itself, which the judge drops.
        switch self {
        case .cosine:
            guard (try? recommender.model.itemEmbeddingTable()) != nil else { return nil }
            return { item in
                try recommender.similarItems(to: recommender.itemIDs.rawIDs[item.offset], k: k + 1).map(\.item.position)
            }
        case .centredCosine, .frequentCosine:
            guard let table = try? recommender.model.itemEmbeddingTable() else { return nil }
            let d = table.rowLength
            var rows = table.toArray()
            let items = rows.count / d
            if self == .centredCosine {
                var mean = [Float](repeating: 0, count: d)
                for i in 0..<items { for f in 0..<d { mean[f] += rows[i * d + f] } }
                for i in 0..<items { for f in 0..<d { rows[i * d + f] -= mean[f] / Float(items) } }
            } else {
                // SimilarItems never returns a zero row.
                for i in 0..<items where interactions[i] < Self.frequentMinimum { for f in 0..<d { rows[i * d + f] = 0 } }
            }
            let index = try SimilarItems(embeddings: rows, dimension: d)
            return { item in try index.similar(to: [item], k: k + 1).map(\.item.position) }
        case .readersAlsoRead:
            guard (try? recommender.readersAlsoRead(recommender.itemIDs.rawIDs[0], k: 1)) != nil else { return nil }
            return { item in
                try recommender.readersAlsoRead(recommender.itemIDs.rawIDs[item.offset], k: k + 1).recommendations.map(\.item.position)
            }
        }
    }
}
