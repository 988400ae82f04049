import Testing
@testable import EmbedRec

@Suite("Gradient slots")
struct GradientsTests {
    /// Scatter-adds random rows (with repeats) through both slot maps and compares every slot.
    @Test("hashed and direct slot maps give the same slots and sums", arguments: [1, 7, 64, 300])
    func hashedMatchesDirect(batch: Int) {
        let tensor = Tensor(name: "t", shape: [5_000, 3], role: .embedding, rowIndex: .users)
        let direct = ParameterGradient(tensor: tensor, maxRowsPerBatch: batch, hashed: false)
        let hashed = ParameterGradient(tensor: tensor, maxRowsPerBatch: batch, hashed: true)
        var rng = SeededGenerator(seed: UInt64(batch))
        for _ in 0..<4 {  // several batches: reset must forget everything
            for k in 0..<batch {
                // Few distinct rows, many repeats, and rows that collide in a small map.
                let row = Int32(rng.next() % UInt64(max(1, batch / 2 + 1))) * 16
                for f in 0..<3 {
                    direct.row(row)[f] += Float(k + f)
                    hashed.row(row)[f] += Float(k + f)
                }
            }
            #expect(direct.touchedCount == hashed.touchedCount)
            for s in 0..<direct.touchedCount {
                #expect(direct.touchedRows[s] == hashed.touchedRows[s])
                let row = direct.touchedRows[s]
                #expect(Array(UnsafeBufferPointer(start: direct.row(row), count: 3))
                        == Array(UnsafeBufferPointer(start: hashed.row(row), count: 3)))
            }
            direct.reset(); hashed.reset()
            #expect(hashed.touchedCount == 0)
        }
    }
}
