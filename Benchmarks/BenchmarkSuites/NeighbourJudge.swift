import EmbedRec

/// Judges "similar items" lists against an item attribute: for the most-interacted items (with
/// a known attribute), the fraction of their neighbours that share it, and how popular the
/// neighbours are — next to two baselines, random items (the chance level) and the most popular
/// items (what a list that only follows popularity scores).
struct NeighbourJudge {
    let attributes: ItemAttributes
    /// Each item's popularity rank among all items: 1 for the most interacted, ties by index.
    let popularityRank: [Int]
    /// Items from the most interacted down.
    let byPopularity: [Int32]
    /// The items whose neighbours are judged: the most interacted with a known attribute.
    let queries: [ItemIndex]
    /// Neighbours judged per query.
    let k: Int

    /// A judge for `data`'s `queryCount` most-interacted items (with a known attribute), `k`
    /// neighbours each.
    init(data: RatingsDataset, attributes: ItemAttributes, queryCount: Int, k: Int) {
        let interactions = data.ratingsPerItem()
        byPopularity = (0..<Int32(data.itemCount)).sorted {
            interactions[Int($0)] != interactions[Int($1)] ? interactions[Int($0)] > interactions[Int($1)] : $0 < $1
        }
        var rank = [Int](repeating: 0, count: data.itemCount)
        for (position, item) in byPopularity.enumerated() { rank[Int(item)] = position + 1 }
        popularityRank = rank
        queries = Array(byPopularity.lazy.filter { attributes.isKnown($0) }.prefix(queryCount).map { ItemIndex($0) })
        self.attributes = attributes
        self.k = k
    }

    /// What one way of finding neighbours scores.
    struct Score {
        /// Of the neighbours with a known attribute, the fraction that share the query's.
        var shared: Double
        /// The fraction of neighbours whose attribute is known (1 unless some items lack it).
        var known: Double
        /// The neighbours' mean popularity rank (1 = the most interacted item).
        var meanPopularityRank: Double
        /// Neighbours judged in all (k per query when every list is full).
        var neighbours: Int
    }

    /// Scores `neighbours`, which lists an item's neighbours best first; the query itself is
    /// dropped if listed, and the first `k` others are judged.
    func score(_ neighbours: (ItemIndex) throws -> [Int32]) rethrows -> Score {
        var shared = 0, known = 0, total = 0, rankSum = 0
        for query in queries {
            for item in try neighbours(query).lazy.filter({ $0 != query.position }).prefix(k) {
                total += 1
                rankSum += popularityRank[Int(item)]
                guard attributes.isKnown(item) else { continue }
                known += 1
                if attributes.share(query.position, item) { shared += 1 }
            }
        }
        return Score(shared: known == 0 ? .nan : Double(shared) / Double(known),
                     known: total == 0 ? .nan : Double(known) / Double(total),
                     meanPopularityRank: total == 0 ? .nan : Double(rankSum) / Double(total), neighbours: total)
    }

    /// The chance level: for each query, `k` distinct random other items with a known attribute
    /// (seeded).
    func randomItems(seed: UInt64) -> Score {
        let candidates = byPopularity.filter { attributes.isKnown($0) }.sorted()
        var rng = SeededGenerator(seed: seed)
        return score { query in
            var picked: [Int32] = []
            // Rejection sampling: k is tiny next to the catalogue.
            while picked.count < min(k, candidates.count - 1) {
                let item = candidates[rng.nextInt(below: candidates.count)]
                if item != query.position && !picked.contains(item) { picked.append(item) }
            }
            return picked
        }
    }

    /// The popularity baseline: the `k` most interacted other items, whatever the query.
    func mostPopularItems() -> Score {
        score { _ in Array(byPopularity.prefix(k + 1)) }
    }
}
