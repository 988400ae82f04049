/// Averaging of independently trained dot-product models into one model.
///
/// Models trained from different seeds make partly independent errors; the mean of their
/// predictions has a squared error no larger than their mean squared error (Jensen), and on
/// ml-100k u1 sixteen BiasedMF members take the test RMSE from about 0.915 to about 0.908 (see
/// Docs/Benchmarks.md). For the dot-product family with a linear output the average is itself a
/// model of the same kind, so nothing downstream needs to know about ensembles:
///
///     (1/M) Σₘ (pₘ·qₘ + bᵤₘ + bᵢₘ + μₘ) = p·q + b̄ᵤ + b̄ᵢ + μ̄,
///     with p = [p₁ … p_M]/√M and q = [q₁ … q_M]/√M.
///
/// The merged model has dimension M·d and is scored, recommended from, folded into and (later)
/// saved like any other BiasedMF or MatrixFactorization. A sigmoid or ReLU output does not
/// commute with the mean, so such members are rejected rather than approximated.
public enum ModelAveraging {
    /// The model whose predictions are the mean of the members' predictions.
    ///
    /// - Throws: ``ConfigurationError/invalidSetting(_:)`` for no members, members of different
    ///   shapes, a non-linear output, or some members with a global offset and some without.
    /// - Complexity: O((users + items) × M × d).
    public static func average(_ members: [BiasedMF]) throws -> BiasedMF {
        for m in members {
            try requireLinear(m.configuration.output)
            guard (m.globalOffset == nil) == (members[0].globalOffset == nil) else {
                throw ConfigurationError.invalidSetting("either every member has a global offset or none has")
            }
        }
        let merged = try sideBySide(members, dimension: \.configuration.dimension, users: \.userEmbedding, items: \.itemEmbedding) {
            var configuration = $0.configuration
            configuration.dimension = $1
            return try BiasedMF(users: $0.userCount, items: $0.itemCount, configuration: configuration)
        }
        mean(members.map(\.userBias), into: merged.userBias)
        mean(members.map(\.itemBias), into: merged.itemBias)
        if let offset = merged.globalOffset { mean(members.map { $0.globalOffset! }, into: offset) }
        return merged
    }

    /// The MatrixFactorization whose predictions are the mean of the members' predictions.
    ///
    /// - Throws: ``ConfigurationError/invalidSetting(_:)`` for no members or members of different shapes.
    /// - Complexity: O((users + items) × M × d).
    public static func average(_ members: [MatrixFactorization]) throws -> MatrixFactorization {
        try sideBySide(members, dimension: \.configuration.dimension, users: \.userEmbedding, items: \.itemEmbedding) {
            var configuration = $0.configuration
            configuration.dimension = $1
            return try MatrixFactorization(users: $0.userCount, items: $0.itemCount, configuration: configuration)
        }
    }

    /// The members' embeddings side by side, scaled by 1/√M, in a model `make(first member,
    /// summed dimension)` builds; throws for no members or members of different shapes.
    private static func sideBySide<M: Model>(
        _ members: [M], dimension: KeyPath<M, Int>, users: KeyPath<M, Tensor>, items: KeyPath<M, Tensor>,
        make: (M, Int) throws -> M
    ) throws -> M {
        guard let first = members.first else {
            throw ConfigurationError.invalidSetting("averaging needs at least one model")
        }
        try checkShapes(members.map { ($0.userCount, $0.itemCount, $0[keyPath: dimension]) })
        let merged = try make(first, members.reduce(0) { $0 + $1[keyPath: dimension] })
        concatenateScaled(users: members.map { $0[keyPath: users] }, items: members.map { $0[keyPath: items] },
                          into: merged[keyPath: users], merged[keyPath: items])
        return merged
    }

    /// Trains `count` BiasedMF models that differ only in their seeds (initialisation and
    /// shuffling), one after another with `training`, and returns their average.
    ///
    /// Member m uses seeds derived from `model.seed`, `training.seed` and m, so the whole
    /// ensemble is reproducible; with `training.deterministic` it is bit-identical.
    /// - Parameters:
    ///   - count: the number of members (≥ 1).
    ///   - model: the members' configuration (a linear output); the seeds vary per member.
    ///   - training: how each member is trained.
    ///   - train: the training ratings.
    ///   - validation: evaluated after each member's epochs, when given.
    ///   - progress: called after each member with its index and history.
    /// - Throws: what ``Trainer/fit(_:on:validation:progress:)`` and ``average(_:)-([BiasedMF])``
    ///   throw, and ``ConfigurationError/invalidSetting(_:)`` for `count < 1`.
    /// - Complexity: `count` trainings, then one merge.
    public static func trainBiasedMF(
        members count: Int, model: BiasedMF.Configuration, training: TrainingConfiguration,
        on train: RatingsDataset, validation: RatingsDataset? = nil,
        progress: ((Int, TrainingHistory) -> Void)? = nil
    ) throws -> (model: BiasedMF, histories: [TrainingHistory]) {
        guard count >= 1 else { throw ConfigurationError.invalidSetting("members must be ≥ 1, got \(count)") }
        try requireLinear(model.output)
        var members: [BiasedMF] = []
        var histories: [TrainingHistory] = []
        for m in 0..<count {
            let (member, trainer) = try makeMember(m, model: model, training: training, for: train)
            let history = try trainer.fit(member, on: train, validation: validation)
            progress?(m, history)
            members.append(member); histories.append(history)
        }
        return (try average(members), histories)
    }

    /// Picks the number of epochs for an averaged BiasedMF without looking at test data:
    /// trains `count` members on `train` for up to `training.epochs` epochs and returns the
    /// epoch at which the *average* of their predictions on `validation` has the lowest RMSE,
    /// with that RMSE per epoch. Averaging removes much of the members' variance, so the
    /// ensemble's best epoch comes later than a single member's (on ml-100k u1 9 instead of 6);
    /// choosing it from one member's curve stops the ensemble too early.
    ///
    /// Typical use: split the training data (e.g. 90/10), call this on the parts, then
    /// ``trainBiasedMF(members:model:training:on:validation:progress:)`` on all of it with the
    /// returned epochs. Members use the same seeds as in `trainBiasedMF`.
    /// - Throws: as ``trainBiasedMF(members:model:training:on:validation:progress:)``, and
    ///   ``DatasetError/empty(_:)`` for an empty validation set.
    /// - Complexity: `count` trainings plus one prediction pass over `validation` per epoch.
    public static func bestEpochCount(
        members count: Int, model: BiasedMF.Configuration, training: TrainingConfiguration,
        on train: RatingsDataset, validation: RatingsDataset
    ) throws -> (epochs: Int, validationRMSE: [Double]) {
        guard count >= 1 else { throw ConfigurationError.invalidSetting("members must be ≥ 1, got \(count)") }
        try requireLinear(model.output)
        guard !validation.isEmpty else { throw DatasetError.empty("validation set") }
        try training.validate()
        var sums = [[Double]](repeating: [Double](repeating: 0, count: validation.count), count: training.epochs)
        var predictionError: (any Error)? = nil
        var fixedLength = training
        fixedLength.earlyStoppingPatience = nil
        for m in 0..<count {
            let (member, trainer) = try makeMember(m, model: model, training: fixedLength, for: train)
            try trainer.fit(member, on: train) { history in
                do {
                    let predictions = try member.scores(users: validation.users, items: validation.items)
                    let e = history.epochs.count - 1
                    for i in predictions.indices { sums[e][i] += Double(predictions[i]) }
                    return .proceed
                } catch {
                    predictionError = error
                    return .stop
                }
            }
            if let predictionError { throw predictionError }
        }
        let rmse = sums.map { sum -> Double in
            var squared = 0.0
            for i in sum.indices {
                let error = sum[i] / Double(count) - Double(validation.ratings[i])
                squared += error * error
            }
            return (squared / Double(sum.count)).squareRoot()
        }
        let best = rmse.indices.min { rmse[$0] < rmse[$1] }!
        return (best + 1, rmse)
    }

    /// Member 0 keeps the base seed, so a one-member average is the plain model.
    static func memberSeed(_ base: UInt64, _ member: Int) -> UInt64 {
        base &+ UInt64(member) &* 0x9E37_79B9_7F4A_7C15
    }

    /// Member m: the model and the trainer with seeds derived from the base seeds.
    private static func makeMember(
        _ m: Int, model: BiasedMF.Configuration, training: TrainingConfiguration, for data: RatingsDataset
    ) throws -> (BiasedMF, Trainer) {
        var memberModel = model, memberTraining = training
        memberModel.seed = memberSeed(model.seed, m)
        memberTraining.seed = memberSeed(training.seed, m)
        return (try BiasedMF(for: data, configuration: memberModel), try Trainer(configuration: memberTraining))
    }

    /// The members' user and item tables side by side, scaled by 1/√M (M = members).
    private static func concatenateScaled(users: [Tensor], items: [Tensor], into user: Tensor, _ item: Tensor) {
        let scale = Float(1 / Double(users.count).squareRoot())
        concatenate(users, scale: scale, into: user)
        concatenate(items, scale: scale, into: item)
    }

    /// Only a linear output commutes with the mean of the members' predictions.
    private static func requireLinear(_ output: OutputActivation) throws {
        guard output == .linear else {
            throw ConfigurationError.invalidSetting(
                "averaging needs a linear output: the mean of sigmoid or ReLU outputs is not one model's output")
        }
    }

    private static func checkShapes(_ shapes: [(users: Int, items: Int, d: Int)]) throws {
        let first = shapes[0]
        for s in shapes where s.users != first.users || s.items != first.items {
            throw ConfigurationError.invalidSetting(
                "members must cover the same users and items: \(first.users)×\(first.items) vs \(s.users)×\(s.items)")
        }
    }

    /// Row r of the output is [s·t₁[r], s·t₂[r], …]: the members' rows side by side.
    private static func concatenate(_ tables: [Tensor], scale: Float, into output: Tensor) {
        let width = output.rowLength
        var column = 0
        for t in tables {
            let d = t.rowLength
            for r in 0..<t.rows {
                let source = t.storage + r * d, target = output.storage + r * width + column
                for f in 0..<d { target[f] = scale * source[f] }
            }
            column += d
        }
    }

    /// Element-wise mean, accumulated in Double.
    private static func mean(_ tensors: [Tensor], into output: Tensor) {
        let n = Double(tensors.count)
        for i in 0..<output.count {
            var sum = 0.0
            for t in tensors { sum += Double(t.storage[i]) }
            output.storage[i] = Float(sum / n)
        }
    }
}
