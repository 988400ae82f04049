import COpenBLAS
import EmbedRecKernels
import Dispatch

/// Trains any ``Model`` on any ``Loss`` (mean squared error unless given) with shuffled
/// mini-batches.
///
/// ```swift
/// let model = try BiasedMF(for: split.train, configuration: .init(dimension: 50))
/// let history = try Trainer(configuration: .init(epochs: 5, batchSize: 64))
///     .fit(model, on: inner.train, validation: inner.test)
/// // per-example SGD as scikit-surprise runs it:
/// let sgd = try Trainer(configuration: .init(optimizer: .sgd(learningRate: 0.0025)), loss: SquaredError(reduction: .sum))
/// ```
///
/// Each epoch shuffles the training set with the configured seed, gathers it into contiguous
/// columns, and hands batches to the workers. A worker runs the model's
/// ``TrainableModel/trainStep(_:_:)`` and applies the optimizer to the rows the batch touched.
public struct Trainer: Sendable {
    /// The configuration, validated at creation.
    public let configuration: TrainingConfiguration
    /// What training minimises.
    public let loss: any Loss

    /// A trainer for `configuration` (validated here) and `loss`.
    ///
    /// - Throws: ``ConfigurationError/invalidSetting(_:)`` for an invalid configuration.
    public init(configuration: TrainingConfiguration = TrainingConfiguration(), loss: any Loss = SquaredError()) throws {
        try configuration.validate()
        self.configuration = configuration
        self.loss = loss
    }

    /// Trains `model` on `train`, evaluating on `validation` after each epoch.
    ///
    /// - Parameters:
    ///   - model: the model to train in place.
    ///   - train: the training ratings (shuffled each epoch).
    ///   - validation: ratings evaluated after each epoch, for early stopping and the history;
    ///     carve them from the training data, never from the test set.
    ///   - progress: called after every epoch with the history so far; return
    ///     ``TrainingControl/stop`` to end training early.
    /// - Throws: ``DatasetError/empty(_:)`` for an empty training or validation set,
    ///   ``DatasetError/mismatchedSpace(_:)`` for ID maps larger than the model;
    ///   ``TrainingError/nonFiniteLoss(epoch:lastGoodEpoch:)`` when the loss becomes NaN or
    ///   infinite, ``TrainingError/diverged(epoch:meanLoss:lastGoodEpoch:)`` when it grows a
    ///   million times past the mean square of the ratings (the model then holds the weights of
    ///   the last good epoch).
    /// - Complexity: O(epochs × ratings × cost of one example).
    @discardableResult
    public func fit(
        _ model: any TrainableModel, on train: RatingsDataset, validation: RatingsDataset? = nil,
        progress: ((TrainingHistory) -> TrainingControl)? = nil
    ) throws -> TrainingHistory {
        try fit(model, on: train, validation: validation, duringEpoch: nil, interval: 0, afterEpoch: progress)
    }

    /// Trains `model` on `train` as ``fit(_:on:validation:progress:)`` does, reporting to
    /// `observer` during and after each epoch.
    @discardableResult
    public func fit(
        _ model: any TrainableModel, on train: RatingsDataset, validation: RatingsDataset? = nil, observer: TrainingObserver
    ) throws -> TrainingHistory {
        try fit(model, on: train, validation: validation, duringEpoch: observer.duringEpoch,
                interval: observer.interval, afterEpoch: observer.afterEpoch)
    }

    func fit(
        _ model: any TrainableModel, on train: RatingsDataset, validation: RatingsDataset?,
        duringEpoch: (@Sendable (TrainingProgress) -> Void)?, interval: Double,
        afterEpoch progress: ((TrainingHistory) -> TrainingControl)?
    ) throws -> TrainingHistory {
        try checkInputs(model, train: train, validation: validation)
        let runner = EpochRunner(model: model, train: train, configuration: configuration, loss: loss)
        let epochs = configuration.epochs
        var history = TrainingHistory(lossName: loss.summary)
        // A loss a million times that of predicting 0 for every rating is a diverging run.
        let divergenceScale = train.ratings.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(train.count)
        let lastGood = Checkpoint(model)
        var best: (score: Double, epoch: Int, weights: Checkpoint)? = nil
        var epochsSinceBest = 0
        let fitStart = DispatchTime.now().uptimeNanoseconds
        for epoch in 1...epochs {
            let result = runner.run(epoch: epoch, fitStart: fitStart, reporter: duringEpoch, interval: interval)
            // NaN or ∞, or finite but diverging (Adam at a huge learning rate): back to the
            // weights of the last good epoch.
            if !result.finished || !result.meanLoss.isFinite || !model.parameters.allSatisfy(\.allFinite) {
                lastGood.restore(into: model)
                throw TrainingError.nonFiniteLoss(epoch: epoch, lastGoodEpoch: epoch - 1)
            }
            if result.meanLoss > 1e6 * max(1, divergenceScale) {
                lastGood.restore(into: model)
                throw TrainingError.diverged(epoch: epoch, meanLoss: result.meanLoss, lastGoodEpoch: epoch - 1)
            }
            lastGood.save(from: model)
            duringEpoch?(TrainingProgress(
                epoch: epoch, epochs: epochs, batchesDone: runner.batches, batches: runner.batches, meanLoss: result.meanLoss,
                ratingsPerSecond: Double(train.count) / result.seconds, secondsElapsed: result.secondsSinceFitStart))
            let metrics = try validation.map { try RatingMetrics(model: model, data: $0) }
            history.epochs.append(EpochRecord(
                epoch: epoch, meanLoss: result.meanLoss, validation: metrics, seconds: result.seconds,
                preparationSeconds: result.preparationSeconds, examples: train.count))
            history.bestEpoch = epoch
            // Early stopping: keep the weights of the best epoch by validation RMSE (training
            // loss without validation), stop after `patience` epochs without improvement.
            if let patience = configuration.earlyStoppingPatience {
                let score = metrics?.rmse ?? result.meanLoss
                if let previous = best, score >= previous.score {
                    epochsSinceBest += 1
                } else {
                    let weights = best?.weights ?? Checkpoint(model)
                    weights.save(from: model)
                    best = (score, epoch, weights)
                    epochsSinceBest = 0
                }
                history.bestEpoch = best!.epoch
                if epochsSinceBest >= patience { history.stoppedEarly = epoch < epochs }
            }
            // The callback sees every epoch, the one that ends the run included.
            if progress?(history) == .stop || history.stoppedEarly { history.stoppedEarly = epoch < epochs; break }
        }
        if let best, best.epoch != history.epochs.last?.epoch {
            best.weights.restore(into: model)
            history.bestEpoch = best.epoch
        }
        return history
    }

    /// Throws unless `train` (and `validation`) can train `model`.
    private func checkInputs(_ model: any TrainableModel, train: RatingsDataset, validation: RatingsDataset?) throws {
        guard !train.isEmpty else { throw DatasetError.empty("training set") }
        guard train.count <= Int(Int32.max) else {
            throw DatasetError.invalidArgument("\(train.count) training ratings; at most \(Int32.max) fit in one training set")
        }
        guard train.userCount <= model.userCount, train.itemCount <= model.itemCount else {
            throw DatasetError.mismatchedSpace(
                "data has \(train.userCount) users and \(train.itemCount) items; the model has \(model.userCount) and \(model.itemCount)")
        }
        if let v = validation, v.userCount > model.userCount || v.itemCount > model.itemCount {
            throw DatasetError.mismatchedSpace("validation data has more users or items than the model")
        }
        if let v = validation, v.isEmpty {
            throw DatasetError.empty("validation set (pass nil to train without one)")
        }
        try model.validate(users: train.users, items: train.items)
        if case .onlineSGD = configuration.optimizer {
            guard let kernel = model as? any KernelTrainableModel, kernel.trainsOnline else {
                throw ConfigurationError.invalidSetting(
                    "online SGD (one update per example) trains MatrixFactorization and BiasedMF; \(model.summary) needs .sgd or Adam")
            }
        }
    }

    /// A copy of a model's parameters, to go back to.
    final class Checkpoint {
        let tensors: [Tensor]
        init(_ model: any TrainableModel) { tensors = model.parameters.map { $0.copy() } }
        func save(from model: any TrainableModel) { for (saved, t) in zip(tensors, model.parameters) { saved.assign(from: t) } }
        func restore(into model: any TrainableModel) { for (t, saved) in zip(model.parameters, tensors) { t.assign(from: saved) } }
    }
}
