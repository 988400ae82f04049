import EmbedRecKernels

/// Nearest neighbours of items by cosine similarity of their embeddings.
///
/// The item embedding table is normalised once (rows of zero length stay zero and are never
/// returned); a query is one item or the normalised mean of several, scored against the whole
/// catalogue with one sgemv. Immutable and safe to share between threads.
public struct SimilarItems: Sendable {
    let normalized: [Float]
    let dimension: Int
    /// Items in the catalogue.
    public let itemCount: Int
    let itemIDs: ItemIDMap?

    /// Creates the index from the model's item embedding table (the parameter whose
    /// ``Tensor/rowIndex`` is `.items` and role `.embedding`).
    ///
    /// What the similarity means depends on the model: for the dot-product family
    /// (``MatrixFactorization``, ``BiasedMF``, weighted ALS, BPR) items score alike for users
    /// exactly when their rows point the same way, so cosine similarity is "liked by the same
    /// readers". A ``ConcatMLP``'s item rows only feed a non-linear network and their cosine has
    /// no such meaning, so it is refused unless `acceptingNonDotProductModels` is true.
    /// - Throws: ``RecommenderError/noItemEmbedding(_:)`` when the model has no item embedding,
    ///   ``RecommenderError/noItemSimilarity(_:)`` for a ConcatMLP (without the flag),
    ///   ``DatasetError/mismatchedSpace(_:)`` when `itemIDs` does
    ///   not have one ID per model item.
    public init(model: any Model, itemIDs: ItemIDMap? = nil, acceptingNonDotProductModels: Bool = false) throws {
        if model is ConcatMLP && !acceptingNonDotProductModels {
            throw RecommenderError.noItemSimilarity(model.summary)
        }
        let table = try model.itemEmbeddingTable()
        try self.init(embeddings: table.toArray(), dimension: table.rowLength, itemIDs: itemIDs)
    }

    /// Creates the index from a row-major `items × dimension` embedding matrix.
    public init(embeddings: [Float], dimension: Int, itemIDs: ItemIDMap? = nil) throws {
        guard dimension > 0, embeddings.count % dimension == 0, !embeddings.isEmpty else {
            throw ConfigurationError.shapeMismatch("\(embeddings.count) values do not form rows of \(dimension)")
        }
        var rows = embeddings
        let n = embeddings.count / dimension
        rows.withUnsafeMutableBufferPointer { p in
            for i in 0..<n {
                let row = p.baseAddress! + i * dimension
                let norm = BLAS.nrm2(n: dimension, x: row)
                if norm > 0 { for f in 0..<dimension { row[f] /= norm } }
            }
        }
        if let itemIDs, itemIDs.count != n {
            throw DatasetError.mismatchedSpace("\(itemIDs.count) item IDs for \(n) embedding rows")
        }
        normalized = rows; self.dimension = dimension; itemCount = n; self.itemIDs = itemIDs
    }

    /// One neighbour.
    public struct Neighbour: Sendable, Hashable {
        /// The neighbour's dense item index.
        public let item: ItemIndex
        /// Its raw item ID (the dense index when the index was built without an item ID map).
        public let rawItemID: RawID
        /// Cosine similarity in [-1, 1].
        public let similarity: Float
    }

    /// The `k` items most similar to `items` (their normalised mean), excluding the query items.
    /// - Throws: ``RecommenderError/invalidK(_:)`` for K ≤ 0, ``RecommenderError/emptyQuery``,
    ///   ``RecommenderError/indexOutOfRange(what:index:count:)`` for an unknown item.
    /// - Complexity: O(items × d) plus O(items · log K) selection.
    public func similar(to query: [ItemIndex], k: Int) throws -> [Neighbour] {
        guard k > 0 else { throw RecommenderError.invalidK(k) }
        guard !query.isEmpty else { throw RecommenderError.emptyQuery }
        for i in query where i.position < 0 || i.offset >= itemCount {
            throw RecommenderError.indexOutOfRange(what: "item", index: i.offset, count: itemCount)
        }
        let items = query.map(\.position)
        var query = [Float](repeating: 0, count: dimension)
        for i in items { for f in 0..<dimension { query[f] += normalized[Int(i) * dimension + f] } }
        let norm = query.withUnsafeBufferPointer { BLAS.nrm2(n: dimension, x: $0.baseAddress!) }
        guard norm > 0 else { return [] }
        for f in 0..<dimension { query[f] /= norm }
        var scores = [Float](repeating: 0, count: itemCount)
        normalized.withUnsafeBufferPointer { a in
            query.withUnsafeBufferPointer { x in
                scores.withUnsafeMutableBufferPointer { y in
                    BLAS.gemv(m: itemCount, n: dimension, a: a.baseAddress!, lda: dimension,
                              x: x.baseAddress!, y: y.baseAddress!)
                }
            }
        }
        for i in items { scores[Int(i)] = -.infinity }
        // Zero-length rows have no direction: never a neighbour.
        for i in 0..<itemCount where normalized[i * dimension] == 0 {
            var zero = true
            for f in 0..<dimension where normalized[i * dimension + f] != 0 { zero = false; break }
            if zero { scores[i] = -.infinity }
        }
        let winners = scores.withUnsafeBufferPointer { topK(of: $0.baseAddress!, n: itemCount, k: k) }
        return winners.map { winner in
            Neighbour(item: ItemIndex(winner.item), rawItemID: itemIDs?.rawID(atChecked: winner.item) ?? .integer(Int64(winner.item)),
                      similarity: winner.score)
        }
    }
}
