import EmbedRecKernels

/// Top-K for EASE: a user row is the dense history (one weight per item); a tile of scores is
/// the sum of the B rows of the user's items, so the work is Σᵤ nᵤ × tile, not users × items².
struct EASEScorer: CatalogueScorer, @unchecked Sendable {
    let model: EASE
    var itemCount: Int { model.itemCount }
    var userRowWidth: Int { model.itemCount }

    func copyUserRow(_ user: Int32, into output: UnsafeMutablePointer<Float>) {
        let h = model.history, u = Int(user)
        output.initialize(repeating: 0, count: itemCount)
        guard u < h.userCount else { return }
        for e in h.offsets[u]..<h.offsets[u + 1] { output[Int(h.items[e])] = h.ratings[e] }
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

    func score(fromRankingScore rankingScore: Float, item: Int32) -> Float { rankingScore }

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
struct SparseEASEScorer: CatalogueScorer, @unchecked Sendable {
    let model: EASE
    var itemCount: Int { model.itemCount }
    var userRowWidth: Int { model.itemCount }

    func copyUserRow(_ user: Int32, into output: UnsafeMutablePointer<Float>) {
        let h = model.history, u = Int(user)
        output.initialize(repeating: 0, count: itemCount)
        guard u < h.userCount else { return }
        for e in h.offsets[u]..<h.offsets[u + 1] { addRow(of: Int(h.items[e]), times: h.ratings[e], to: output) }
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

    func score(fromRankingScore rankingScore: Float, item: Int32) -> Float { rankingScore }

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

