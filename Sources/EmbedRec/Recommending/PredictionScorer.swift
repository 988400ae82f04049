import EmbedRecKernels

/// Catalogue scoring for a model with neither the built-in pointer-level path nor
/// ``FactorizedModel``: the scores of every (user, item) pair of a tile, through
/// ``Model/score(users:items:into:)``. Its "user row" is the user's index, stored bit for bit in
/// one float. It has no fold-in.
struct PredictionScorer: CatalogueScorer, @unchecked Sendable {
    let model: any Model

    var itemCount: Int { model.itemCount }
    var userRowWidth: Int { 1 }

    func copyUserRow(_ user: Int32, into output: UnsafeMutablePointer<Float>) {
        output.pointee = Float(bitPattern: UInt32(bitPattern: user))
    }

    func rankingScores(
        userRows: UnsafePointer<Float>, count: Int, items: Range<Int>,
        into output: UnsafeMutablePointer<Float>, arena: ScratchArena
    ) {
        let m = items.count
        guard count > 0, m > 0 else { return }
        var users = [Int32](), itemIndices = [Int32]()
        users.reserveCapacity(count * m); itemIndices.reserveCapacity(count * m)
        for r in 0..<count {
            let user = Int32(bitPattern: userRows[r].bitPattern)
            for i in items { users.append(user); itemIndices.append(Int32(i)) }
        }
        var scores = [Float](repeating: 0, count: count * m)
        do {
            var span = scores.mutableSpan
            model.score(users: users.span, items: itemIndices.span, into: &span)
        }
        scores.withUnsafeBufferPointer { output.update(from: $0.baseAddress!, count: count * m) }
    }

    func score(fromRankingScore rankingScore: Float, item: Int32) -> Float { rankingScore }

    var supportsFoldIn: Bool { false }

    func foldIn(items: [Int32], ratings: [Float], regularization: Float) throws -> [Float] {
        throw RecommenderError.noFoldIn(model.summary)
    }
}

/// The fastest catalogue scorer `model` has: its own, its factors', or scoring pair by pair.
/// - Parameter sharingTables: a built-in model's scorer may read its tables in place (only for a
///   model nothing will train again).
func catalogueScorer(for model: any Model, sharingTables: Bool = false) throws -> any CatalogueScorer {
    if let kernel = model as? any KernelModel { return kernel.makeCatalogueScorer(sharingTables: sharingTables) }
    if let factorized = model as? any FactorizedModel { return try factorized.makeFactorScorer() }
    return PredictionScorer(model: model)
}
