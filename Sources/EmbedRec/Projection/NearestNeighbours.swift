import EmbedRecKernels

/// Exact k-nearest neighbours of every row of a table under Euclidean distance: blocks of rows
/// against the whole table through sgemm (‖x − y‖² = ‖x‖² − 2x·y + ‖y‖²), each row's k best
/// kept by the top-K heaps the scorers use. Ties break by the lower row index.
struct NearestNeighbours {
    let rows: Int
    let k: Int
    /// Row-major `rows × k` neighbour indices, nearest first.
    let indices: [Int32]
    /// Row-major `rows × k` squared distances, ascending.
    let squaredDistances: [Float]

    /// - Precondition: `1 <= k < rows`, `table.count == rows * dimension`.
    init(table: [Float], rows: Int, dimension: Int, k: Int, threads: Int) {
        precondition(k >= 1 && k < rows && table.count == rows * dimension)
        self.rows = rows; self.k = k
        var norms = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            var s: Float = 0
            for f in 0..<dimension { let v = table[r * dimension + f]; s += v * v }
            norms[r] = s
        }
        var indices = [Int32](repeating: 0, count: rows * k)
        var distances = [Float](repeating: 0, count: rows * k)
        // Tiles of at most 16 M scores (64 MB) whatever the table's size.
        let block = max(8, min(256, (1 << 24) / rows))
        let workers = max(1, min(threads, block))
        var tile = [Float](repeating: 0, count: block * rows)
        var heaps = (0..<workers).map { _ in TopKLists(k: k, rows: block) }
        table.withUnsafeBufferPointer { x in
            for start in stride(from: 0, to: rows, by: block) {
                let m = min(block, rows - start)
                tile.withUnsafeMutableBufferPointer { t in
                    // t = 2·X_block·Xᵀ − ‖y‖²: larger is nearer (‖x‖² is constant along a row).
                    BLAS.gemm(transposeB: true, m: m, n: rows, k: dimension, alpha: 2,
                              a: x.baseAddress! + start * dimension, lda: dimension,
                              b: x.baseAddress!, ldb: dimension, beta: 0, c: t.baseAddress!, ldc: rows)
                }
                let tileBox = UncheckedSendable(tile.withUnsafeMutableBufferPointer { $0.baseAddress! })
                heaps.withUnsafeMutableBufferPointer { hp in
                    let heapBox = UncheckedSendable(hp.baseAddress!)
                    indices.withUnsafeMutableBufferPointer { ib in
                        distances.withUnsafeMutableBufferPointer { db in
                            let out = UncheckedSendable((ib.baseAddress!, db.baseAddress!))
                            norms.withUnsafeBufferPointer { nb in
                                let normBox = UncheckedSendable(nb.baseAddress!)
                                parallelFor(workers) { w in
                                    let heap = heapBox.value + w
                                    heap.pointee.reset(rows: m)
                                    var r = w
                                    while r < m {
                                        let row = tileBox.value + r * rows
                                        for j in 0..<rows { row[j] -= normBox.value[j] }
                                        row[start + r] = -.infinity
                                        heap.pointee.offer(row: r, values: row, n: rows, firstItem: 0)
                                        let winners = heap.pointee.winners(row: r)
                                        let global = start + r
                                        for (slot, winner) in winners.enumerated() {
                                            out.value.0[global * k + slot] = winner.item
                                            out.value.1[global * k + slot] = max(0, normBox.value[global] - winner.score)
                                        }
                                        r += workers
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        self.indices = indices
        self.squaredDistances = distances
    }
}

/// How well a low-dimensional map keeps each point's neighbourhood.
public enum ProjectionQuality {
    /// The mean fraction of each row's `k` nearest neighbours in `original` that are also among
    /// its `k` nearest in `embedding` (exact neighbours, Euclidean distance, both sides): 1 is a
    /// perfect map, `k / rows` is what a random map scores.
    ///
    /// - Throws: ``ConfigurationError/shapeMismatch(_:)`` when a table does not form `rows` rows,
    ///   ``ConfigurationError/invalidSetting(_:)`` for `k` outside `1..<rows` or non-finite values.
    public static func neighbourPreservation(original: [Float], dimension: Int,
                                             embedding: [Float], embeddingDimension: Int = 2,
                                             rows: Int, k: Int = 10,
                                             parallelism: Parallelism = .automatic) throws -> Double {
        guard dimension > 0, embeddingDimension > 0, original.count == rows * dimension,
              embedding.count == rows * embeddingDimension else {
            throw ConfigurationError.shapeMismatch("the tables do not both form \(rows) rows (\(original.count) values of dimension \(dimension), \(embedding.count) of dimension \(embeddingDimension))")
        }
        guard k >= 1, k < rows else { throw ConfigurationError.invalidSetting("k must be in 1..<\(rows), got \(k)") }
        guard original.allSatisfy(\.isFinite), embedding.allSatisfy(\.isFinite) else {
            throw ConfigurationError.invalidSetting("the tables hold NaN or infinite values")
        }
        let high = NearestNeighbours(table: original, rows: rows, dimension: dimension, k: k, threads: parallelism.threads)
        let low = NearestNeighbours(table: embedding, rows: rows, dimension: embeddingDimension, k: k, threads: parallelism.threads)
        var kept = 0
        for r in 0..<rows {
            let a = Set(high.indices[(r * k)..<((r + 1) * k)])
            for j in low.indices[(r * k)..<((r + 1) * k)] where a.contains(j) { kept += 1 }
        }
        return Double(kept) / Double(rows * k)
    }
}
