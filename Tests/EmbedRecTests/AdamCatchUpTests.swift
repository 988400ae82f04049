import Testing
@testable import EmbedRec

/// Deferred dense Adam (`Optimizer.adam`) applies the zero-gradient steps a table row skipped
/// in closed form when the row is next touched. The number of skipped steps must be exactly
/// step − last − 1: one more or one fewer moves the row by a whole step of momentum.
///
/// The steps start at 100,000, where the bias correction is constant to double precision, so
/// the closed form is exact up to ε and Float rounding (see the `Optimizer.adam` docs): a row
/// touched again must equal literal dense Adam.
@Suite("Adam: catch-up of skipped steps")
struct AdamCatchUpTests {
    static let offset = 100_000

    @Test("rows skipped for 1, 5 and 6 steps equal literal dense Adam when touched again")
    func skippedRowsMatchLiteralDenseAdam() throws {
        let model = try MatrixFactorization(users: 3, items: 3, configuration: .init(dimension: 5, initializer: .uniform(0.5), seed: 4))
        let state = OptimizerState(optimizer: .adam(learningRate: 0.01), parameters: model.parameters)
        let gradients = GradientSet(model: model, maxBatch: 8)
        var reference = LiteralDenseAdam(model.parameters, lr: 0.01)
        var rng = SeededGenerator(seed: 23)
        // Step → touched user rows and item rows. User 0 and item 0 every step; user 1 skips
        // steps 3–7 (5), user 2 skips step 2 (1) and 4–7 (4); item 1 skips 2–7 (6); item 2 is
        // first touched at step 4 (nothing to catch up), then skips 5–7 (3). At step 8 every
        // row is touched.
        let schedule: [(users: [Int], items: [Int])] = [
            ([0, 1, 2], [0, 1]),   // 1
            ([1, 0], [0]),         // 2
            ([0, 2], [0]),         // 3
            ([0], [2, 0]),         // 4
            ([0], [0]),            // 5
            ([0], [0]),            // 6
            ([0], [0]),            // 7
            ([2, 0, 1], [1, 2, 0]) // 8
        ]
        var user1AfterStep2: [Double] = []
        for (index, touch) in schedule.enumerated() {
            let step = Self.offset + index + 1
            let values = (0..<model.parameters.count).map { p in
                (0..<model.parameters[p].count).map { _ in (rng.nextUnitFloat() * 2 - 1) * 0.3 }
            }
            let full = AdamHarness.feed(gradients, touched: [touch.users, touch.items]) { p, j in values[p][j] }
            state.apply(gradients, step: step, embeddingL2: 0, weightL2: 0)
            gradients.reset()
            reference.step(step, gradients: full)
            if index == 1 { user1AfterStep2 = Array(reference.w[0][5..<10]) }
            // Rows touched in this step have caught up: they must equal the reference now.
            for (p, rows) in [touch.users, touch.items].enumerated() {
                let n = model.parameters[p].rowLength
                for r in rows {
                    for f in 0..<n {
                        let ours = Double(model.parameters[p][r * n + f]), dense = reference.w[p][r * n + f]
                        #expect(abs(ours - dense) <= 1e-6,
                                "step \(index + 1): \(model.parameters[p].name) row \(r)[\(f)] = \(ours), literal dense Adam \(dense)")
                    }
                }
            }
        }
        // Step 8 touched every row, so nothing is pending any more.
        #expect(AdamHarness.largestGap(model.parameters, reference) <= 1e-6)
        // Not vacuous: dense Adam moved user 1 substantially while it was skipped (steps 3–7).
        #expect(zip(user1AfterStep2, reference.w[0][5..<10]).contains { abs($0 - $1) > 0.01 },
                "\(user1AfterStep2) vs \(reference.w[0][5..<10])")
    }

    @Test("a row skipped for 4,999 steps (past the precomputed table) catches up exactly")
    func longGapMatchesLiteralDenseAdam() throws {
        let model = try MatrixFactorization(users: 2, items: 1, configuration: .init(dimension: 5, initializer: .uniform(0.5), seed: 6))
        let state = OptimizerState(optimizer: .adam(learningRate: 0.01), parameters: model.parameters)
        let gradients = GradientSet(model: model, maxBatch: 4)
        var reference = LiteralDenseAdam(model.parameters, lr: 0.01)
        let g = { (p: Int, j: Int) -> Float in Float(j % 7 + 1) / 20 * (j % 2 == 0 ? 1 : -1) }
        // Steps 1 and 2 touch user 1 (so its moments are non-trivial), step 5,002 touches it
        // again with a zero gradient. User 0 and the item are touched only at step 1.
        for (step, rows) in [(1, [[0, 1], [0]]), (2, [[1], []])] {
            let full = AdamHarness.feed(gradients, touched: rows, value: g)
            state.apply(gradients, step: Self.offset + step, embeddingL2: 0, weightL2: 0)
            gradients.reset()
            reference.step(Self.offset + step, gradients: full)
        }
        let afterTwo = model.userEmbedding.row(1)
        let zero = model.parameters.map { [Double](repeating: 0, count: $0.count) }
        for step in 3..<5_002 { reference.step(Self.offset + step, gradients: zero) }
        _ = AdamHarness.feed(gradients, touched: [[1], []]) { _, _ in 0 }
        state.apply(gradients, step: Self.offset + 5_002, embeddingL2: 0, weightL2: 0)
        reference.step(Self.offset + 5_002, gradients: zero)
        for f in 0..<5 {
            let ours = Double(model.userEmbedding[5 + f]), dense = reference.w[0][5 + f]
            #expect(abs(ours - dense) <= 2e-6, "user 1[\(f)] = \(ours), literal dense Adam \(dense)")
            // The drift is large: about 9 steps' worth of the row's momentum.
            #expect(abs(ours - Double(afterTwo[f])) > 0.05, "user 1[\(f)] barely moved: \(ours) vs \(afterTwo[f])")
        }
    }
}
