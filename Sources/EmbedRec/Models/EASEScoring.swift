import EmbedRecKernels

/// Top-K for EASE: a user row is the dense history (one weight per item); a tile of scores is
/// the sum of the B rows of the user's items, so the work is Σᵤ nᵤ × tile, not users × items².
struct EASEScorer: EASECatalogueScorer, @unchecked Sendable {
    let model: EASE

    func copyUserRow(_ user: Int32, into output: UnsafeMutablePointer<Float>) {
        output.initialize(repeating: 0, count: itemCount)
        model.forEachHistoryEntry(of: user) { item, weight in output[item] = weight }
    }

    func rankingScores(userRows rows: UnsafePointer<Float>, count: Int, items range: Range<Int>,
                       into output: UnsafeMutablePointer<Float>, arena: ScratchArena) {
        output.initialize(repeating: 0, count: count * range.count)
        rankingScores(userRows: rows, count: count, items: range, intoZeroed: output, arena: arena)
    }

    func rankingScores(userRows rows: UnsafePointer<Float>, count: Int, items range: Range<Int>,
                       intoZeroed output: UnsafeMutablePointer<Float>, arena: ScratchArena) {
        let n = itemCount, m = range.count, b = model.itemWeights.storage
        for r in 0..<count {
            let row = rows + r * n, out = output + r * m
            for i in 0..<n where row[i] != 0 {
                BLAS.axpy(n: m, alpha: row[i], x: b + i * n + range.lowerBound, y: out)
            }
        }
    }

    /// The new reader's history row: each read item's rating mapped through the model's
    /// weighting (ratings below the threshold leave the item out). Exact; no solve.
    func foldIn(items: [Int32], ratings: [Float], regularization: Float) throws -> [Float] {
        var row = [Float](repeating: 0, count: itemCount)
        for (item, rating) in zip(items, ratings) {
            if let t = model.configuration.threshold, rating < t { continue }
            row[Int(item)] = model.configuration.weighting.weight(forRating: rating)
        }
        return row
    }
}

/// Top-K for a sparse EASE (``EASE/Configuration/weightsPerItem`` m). A user row is the user's
/// whole score vector, built once by scattering the m weights of each history item's row
/// (Σᵤ nᵤ · m adds, against nᵤ · items for a dense B); a tile is then a copy of its slice.
struct SparseEASEScorer: EASECatalogueScorer, @unchecked Sendable {
    let model: EASE

    func copyUserRow(_ user: Int32, into output: UnsafeMutablePointer<Float>) {
        output.initialize(repeating: 0, count: itemCount)
        model.forEachHistoryEntry(of: user) { item, weight in addRow(of: item, times: weight, to: output) }
    }

    /// `output += weight · B[item, :]` over the row's kept weights.
    @inline(__always)
    private func addRow(of item: Int, times weight: Float, to output: UnsafeMutablePointer<Float>) {
        let m = model.itemWeights.rowLength
        let columns = model.itemWeightColumns!.storage + item * m, values = model.itemWeights.storage + item * m
        for slot in 0..<m { output[Int(columns[slot])] += weight * values[slot] }
    }

    func rankingScores(userRows rows: UnsafePointer<Float>, count: Int, items range: Range<Int>,
                       into output: UnsafeMutablePointer<Float>, arena: ScratchArena) {
        let n = itemCount, m = range.count
        for r in 0..<count { (output + r * m).update(from: rows + r * n + range.lowerBound, count: m) }
    }

    /// The new reader's scores: the sum of their items' rows of B, each weighed as in training.
    func foldIn(items: [Int32], ratings: [Float], regularization: Float) throws -> [Float] {
        let dense = try EASEScorer(model: model).foldIn(items: items, ratings: ratings, regularization: regularization)
        var row = [Float](repeating: 0, count: itemCount)
        row.withUnsafeMutableBufferPointer { out in
            for (item, weight) in dense.enumerated() where weight != 0 { addRow(of: item, times: weight, to: out.baseAddress!) }
        }
        return row
    }
}


/// What EASE's two scorers share: a user row as wide as the catalogue, and scores that are
/// their own ranking scores (not ratings).
protocol EASECatalogueScorer: CatalogueScorer {
    var model: EASE { get }
}

extension EASECatalogueScorer {
    var itemCount: Int { model.itemCount }
    var userRowWidth: Int { model.itemCount }
    func score(fromRankingScore rankingScore: Float, item: Int32) -> Float { rankingScore }
}

extension EASE {
    /// Calls `body` with each item in `user`'s history and its weight (none for a user beyond
    /// the history, a reader the model has not seen).
    @inline(__always)
    func forEachHistoryEntry(of user: Int32, _ body: (Int, Float) -> Void) {
        let u = Int(user)
        guard u < history.userCount else { return }
        for e in history.offsets[u]..<history.offsets[u + 1] { body(Int(history.items[e]), history.ratings[e]) }
    }
}
