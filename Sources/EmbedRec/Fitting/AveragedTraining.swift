/// Seed averaging: `members` linear BiasedMF models that differ only in their seeds, trained one
/// after another and merged into one BiasedMF (``ModelAveraging``) — the most accurate rating
/// model measured (Docs/Benchmarks.md).
///
/// Given validation ratings, the epoch count is the one at which the *average's* validation
/// RMSE is lowest (``ModelAveraging/bestEpochCount(members:model:training:on:validation:)``),
/// and the members are then trained for that many epochs; the history's best epoch says it,
/// so a caller can fit again on all its data for it.
public struct AveragedTraining: ModelFitter {
    /// Models averaged.
    public var members: Int
    /// Each member (a linear output; the global offset is set to the data's mean rating).
    public var member: BiasedMF.Configuration
    /// How each member is trained: at most `training.epochs` epochs with validation.
    public var training: TrainingConfiguration

    /// `members` BiasedMF models configured as `member`, each trained with `training`.
    public init(members: Int, member: BiasedMF.Configuration, training: TrainingConfiguration) {
        self.members = members; self.member = member; self.training = training
    }

    public func fit(_ data: RatingsDataset, options: FitOptions) throws -> FittedModel {
        var training = self.training
        training.earlyStoppingPatience = nil
        if let parallelism = options.parallelism { training.parallelism = parallelism }
        var member = self.member
        member.globalOffset = data.meanRating
        var chosen: Int? = nil
        if let validation = options.validation {
            chosen = try ModelAveraging.bestEpochCount(members: members, model: member, training: training, on: data,
                                                       validation: validation).epochs
            training.epochs = chosen!
        }
        let (model, histories) = try ModelAveraging.trainBiasedMF(members: members, model: member, training: training, on: data) { _, history in
            _ = options.observer?.afterEpoch?(history)
        }
        // The average's record: each epoch's loss is the members' mean, its time their sum.
        var history = TrainingHistory(lossName: histories[0].lossName)
        for (e, record) in histories[0].epochs.enumerated() {
            let records = histories.map { $0.epochs[e] }
            history.epochs.append(EpochRecord(
                epoch: record.epoch, meanLoss: records.map(\.meanLoss).reduce(0, +) / Double(records.count), validation: nil,
                seconds: records.map(\.seconds).reduce(0, +), preparationSeconds: records.map(\.preparationSeconds).reduce(0, +),
                examples: record.examples))
        }
        history.bestEpoch = chosen ?? training.epochs
        return FittedModel(model: model, history: history, training: training)
    }

    public var predictsRatings: Bool { true }

    public var adjustableSettings: Set<RecipeSetting> { [.dimension, .epochs, .seed, .deterministic, .members] }

    public func adjusted(_ changes: RecipeChanges) throws -> AveragedTraining {
        var copy = self
        if let d = changes.dimension { copy.member.dimension = d }
        if let seed = changes.seed { copy.member.seed = seed; copy.training.seed = seed }
        if let epochs = changes.epochs { copy.training.epochs = epochs }
        if changes.deterministic { copy.training.deterministic = true }
        if let members = changes.members { copy.members = members }
        return copy
    }
}

extension Recipe {
    /// The rating recipes that fit several models and merge them (``AveragedTraining``).
    public static let ensembleRecipes: [Recipe] = [averagedBiasedMF]

    /// 16 seeds of a linear BiasedMF (d = 30, He-normal, Adam 0.001, batch 64, L2 1e-3) averaged
    /// into one BiasedMF of d = 480, at most 40 epochs chosen on validation: the README's most
    /// accurate rating model.
    public static let averagedBiasedMF = Recipe(
        name: "biasedmf-avg",
        summary: "a linear BiasedMF (d=30, He-normal, Adam 0.001, batch 64, L2 1e-3) averaged over 16 seeds into one",
        fitter: AveragedTraining(
            members: 16, member: .init(dimension: 30, initializer: .heNormal),
            training: .init(epochs: 40, batchSize: 64, optimizer: .adam(learningRate: 0.001), embeddingL2: 0.001)))
}
