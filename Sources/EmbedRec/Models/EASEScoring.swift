import COpenBLAS
import EmbedRecKernels

/// Top-K for EASE: a tile of scores is the sum of the B rows of the user's items, so the work
/// is Σᵤ nᵤ × tile, not users × items².
///
/// A user row (`items + 1` floats) lists the history rather than spelling it out, so that no
/// tile scans all the items for the few a reader has: `row[0]` is the count c, then c item
/// indices (exact as Float32 below 2²⁴; EASE's memory limit keeps catalogues far smaller) and
/// their c weights. A history longer than half the catalogue does not fit that way: `row[0]` is
/// then −1 and the weights follow item by item.
struct EASEScorer: EASECatalogueScorer, @unchecked Sendable {
    let model: EASE
    var userRowWidth: Int { model.itemCount + 1 }
    /// B's rows for a tile of 256 items take 10 MB at 10,000 items: they stay in the last-level
    /// cache while a block of readers is scored, where 1,024 items' would not.
    var maximumTileSize: Int? { 256 }

    func copyUserRow(_ user: Int32, into output: UnsafeMutablePointer<Float>) {
        writeRow(count: model.historyLength(of: user), into: output) { model.forEachHistoryEntry(of: user, $0) }
    }

    /// Writes a history of `count` entries, which `entries` passes to its argument as (item,
    /// weight), in the user-row layout above.
    private func writeRow(count: Int, into output: UnsafeMutablePointer<Float>,
                          entries: ((Int, Float) -> Void) -> Void) {
        if 2 * count <= itemCount {
            output[0] = Float(count)
            var k = 0
            entries { item, weight in output[1 + k] = Float(item); output[1 + count + k] = weight; k += 1 }
        } else {
            output[0] = -1
            (output + 1).initialize(repeating: 0, count: itemCount)
            entries { item, weight in output[1 + item] = weight }
        }
    }

    func rankingScores(userRows rows: UnsafePointer<Float>, count: Int, items range: Range<Int>,
                       into output: UnsafeMutablePointer<Float>, arena: ScratchArena) {
        output.initialize(repeating: 0, count: count * range.count)
        rankingScores(userRows: rows, count: count, items: range, intoZeroed: output, arena: arena)
    }

    func rankingScores(userRows rows: UnsafePointer<Float>, count: Int, items range: Range<Int>,
                       intoZeroed output: UnsafeMutablePointer<Float>, arena: ScratchArena) {
        let n = itemCount, width = userRowWidth, m = range.count
        let b = model.itemWeights.storage + range.lowerBound
        let wide = CPUFeatures.hasAVX2, widest = CPUFeatures.hasAVX512
        for r in 0..<count {
            let row = rows + r * width, out = output + r * m
            let listed = Int(row[0])
            if listed >= 0 {
                if widest {
                    embedrec_sum_rows_avx512(out, m, b, n, row + 1, row + 1 + listed, listed)
                } else if wide {
                    embedrec_sum_rows_avx2(out, m, b, n, row + 1, row + 1 + listed, listed)
                } else {
                    embedrec_sum_rows(out, m, b, n, row + 1, row + 1 + listed, listed)
                }
            } else {
                for i in 0..<n where row[1 + i] != 0 { BLAS.axpy(n: m, alpha: row[1 + i], x: b + i * n, y: out) }
            }
        }
    }

    /// The new reader's history row, in the same layout: each read item's rating mapped through
    /// the model's weighting (ratings below the threshold leave the item out). Exact; no solve.
    func foldIn(items: [Int32], ratings: [Float], regularization: Float) throws -> [Float] {
        let weights = historyWeights(items: items, ratings: ratings)
        let read = weights.indices.filter { weights[$0] != 0 }
        var row = [Float](repeating: 0, count: userRowWidth)
        row.withUnsafeMutableBufferPointer { out in
            writeRow(count: read.count, into: out.baseAddress!) { body in for item in read { body(item, weights[item]) } }
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
        let dense = historyWeights(items: items, ratings: ratings)
        var row = [Float](repeating: 0, count: itemCount)
        row.withUnsafeMutableBufferPointer { out in
            for (item, weight) in dense.enumerated() where weight != 0 { addRow(of: item, times: weight, to: out.baseAddress!) }
        }
        return row
    }
}

/// What EASE's two scorers share: the catalogue, a user row as wide as it unless the scorer
/// says otherwise, scores that are their own ranking scores (not ratings), and how a new
/// reader's ratings weigh.
protocol EASECatalogueScorer: CatalogueScorer {
    var model: EASE { get }
}

extension EASECatalogueScorer {
    var itemCount: Int { model.itemCount }
    var userRowWidth: Int { model.itemCount }
    func score(fromRankingScore rankingScore: Float, item: Int32) -> Float { rankingScore }

    /// A new reader's weight per item (0 for the others): each read item's rating mapped
    /// through the model's weighting, ratings below its threshold left out, as in training.
    func historyWeights(items: [Int32], ratings: [Float]) -> [Float] {
        var weights = [Float](repeating: 0, count: itemCount)
        for (item, rating) in zip(items, ratings) {
            if let t = model.configuration.threshold, rating < t { continue }
            weights[Int(item)] = model.configuration.weighting.weight(forRating: rating)
        }
        return weights
    }
}

extension EASE {
    /// The number of items in `user`'s history (0 for a user beyond it).
    func historyLength(of user: Int32) -> Int {
        let u = Int(user)
        return u < history.userCount ? history.offsets[u + 1] - history.offsets[u] : 0
    }

    /// Calls `body` with each item in `user`'s history and its weight (none for a user beyond
    /// the history, a reader the model has not seen).
    @inline(__always)
    func forEachHistoryEntry(of user: Int32, _ body: (Int, Float) -> Void) {
        let u = Int(user)
        guard u < history.userCount else { return }
        for e in history.offsets[u]..<history.offsets[u + 1] { body(Int(history.items[e]), history.ratings[e]) }
    }
}
