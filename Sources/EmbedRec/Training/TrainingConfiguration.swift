/// How a model is trained: optimizer, regularisation, batching, epochs, early stopping, threads
/// and seed. The loss is the trainer's (``Trainer/init(configuration:loss:)``).
public struct TrainingConfiguration: Sendable, Hashable, Codable {
    /// Passes over the training set (> 0).
    public var epochs: Int = 5
    /// Examples per mini-batch (1 ... 2³¹ − 1; a batch larger than the training set is the whole
    /// set). The tutorials use 64.
    public var batchSize: Int = 64
    /// The optimizer; Adam with Keras' defaults unless set.
    public var optimizer: Optimizer = .adamDefault
    /// λ of the L2 penalty λ·‖row‖² on every embedding row a batch uses (once per batch per
    /// row). Keras' `embeddings_regularizer=l2(λ)` penalises the *whole* table every step; the
    /// per-batch form gives the same expected penalty per example seen, in O(batch).
    public var embeddingL2: Float = 0
    /// λ of the L2 penalty on dense kernels.
    public var weightL2: Float = 0
    /// λ of the L2 penalty on the user and item bias entries a batch uses (scikit-surprise's
    /// `reg_bu`/`reg_bi`); 0 leaves biases unregularised, as Keras does.
    public var biasL2: Float = 0
    /// Stop when the validation RMSE (or the training loss without validation data) has not
    /// improved for this many epochs, and restore the best epoch's weights. nil = never.
    public var earlyStoppingPatience: Int? = nil
    /// Shuffle the training set before each epoch (Keras' `shuffle`). When false, batches
    /// follow the dataset's order and each worker takes a contiguous share of them: with the
    /// ratings grouped by user (as scikit-surprise's SVD iterates them), consecutive examples
    /// reuse the same user row while it is in cache.
    public var shuffle: Bool = true
    /// Seed for shuffling and dropout.
    public var seed: UInt64 = 42
    /// Worker threads. With more than one, workers update the shared tables without locks
    /// (Hogwild!-style): fast, but the result depends on thread timing. See ``deterministic``.
    public var parallelism: Parallelism = .automatic
    /// When true, one worker runs the batches in order, so the same seed gives bit-identical
    /// weights on the same machine and build.
    public var deterministic: Bool = false

    /// Creates a configuration; see each property for its meaning and valid range.
    public init(
        epochs: Int = 5, batchSize: Int = 64, optimizer: Optimizer = .adamDefault,
        embeddingL2: Float = 0, weightL2: Float = 0,
        earlyStoppingPatience: Int? = nil, seed: UInt64 = 42,
        parallelism: Parallelism = .automatic, deterministic: Bool = false
    ) {
        self.epochs = epochs; self.batchSize = batchSize; self.optimizer = optimizer
        self.embeddingL2 = embeddingL2; self.weightL2 = weightL2
        self.earlyStoppingPatience = earlyStoppingPatience; self.seed = seed
        self.parallelism = parallelism; self.deterministic = deterministic
    }

    /// Throws ``ConfigurationError/invalidSetting(_:)`` describing the first invalid value.
    public func validate() throws {
        guard epochs > 0 else { throw ConfigurationError.invalidSetting("epochs must be > 0, got \(epochs)") }
        guard batchSize > 0 else { throw ConfigurationError.invalidSetting("batch size must be > 0, got \(batchSize)") }
        // Batches index rows with Int32; larger batches than the data train on all of it at once.
        guard batchSize <= Int(Int32.max) else {
            throw ConfigurationError.invalidSetting("batch size must be at most \(Int32.max), got \(batchSize)")
        }
        guard embeddingL2 >= 0, embeddingL2.isFinite, weightL2 >= 0, weightL2.isFinite, biasL2 >= 0, biasL2.isFinite else {
            throw ConfigurationError.invalidSetting("L2 penalties must be finite and ≥ 0")
        }
        if let p = earlyStoppingPatience, p < 1 {
            throw ConfigurationError.invalidSetting("early-stopping patience must be ≥ 1, got \(p)")
        }
        try optimizer.validate()
    }

    /// Workers actually used.
    var workerCount: Int { deterministic ? 1 : parallelism.threads }
}

/// One epoch of training.
public struct EpochRecord: Sendable, Hashable, Codable {
    /// 1-based epoch number.
    public let epoch: Int
    /// The loss (``TrainingHistory/lossName``) per training example over the epoch's batches,
    /// each taken before its batch's update: the mean squared error for a rating model.
    public let meanLoss: Double
    /// Metrics on the validation set after the epoch, when one was given.
    public let validation: RatingMetrics?
    /// Wall-clock seconds of the whole epoch: shuffle, batch gather, training steps and the
    /// checks after them (validation excluded).
    public let seconds: Double
    /// The part of ``seconds`` spent shuffling the training set and gathering it into batches.
    public let preparationSeconds: Double
    /// Training ratings per second in this epoch, whole epoch (``seconds``).
    public var ratingsPerSecond: Double { seconds > 0 ? Double(examples) / seconds : 0 }
    /// Training examples in the epoch.
    public let examples: Int

    /// A record of one epoch.
    public init(epoch: Int, meanLoss: Double, validation: RatingMetrics?, seconds: Double,
                preparationSeconds: Double, examples: Int) {
        self.epoch = epoch; self.meanLoss = meanLoss; self.validation = validation; self.seconds = seconds
        self.preparationSeconds = preparationSeconds; self.examples = examples
    }

    private enum CodingKeys: String, CodingKey {
        case epoch, meanLoss, validation, seconds, preparationSeconds, examples
        /// What ``meanLoss`` was called in files written before the recipe change.
        case trainingMSE
    }

    /// Decodes a record; files from before the recipe change name the mean loss `trainingMSE`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epoch = try c.decode(Int.self, forKey: .epoch)
        meanLoss = try c.decodeIfPresent(Double.self, forKey: .meanLoss) ?? c.decode(Double.self, forKey: .trainingMSE)
        validation = try c.decodeIfPresent(RatingMetrics.self, forKey: .validation)
        seconds = try c.decode(Double.self, forKey: .seconds)
        preparationSeconds = try c.decode(Double.self, forKey: .preparationSeconds)
        examples = try c.decode(Int.self, forKey: .examples)
    }

    /// Encodes the record under today's keys.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epoch, forKey: .epoch)
        try c.encode(meanLoss, forKey: .meanLoss)
        try c.encodeIfPresent(validation, forKey: .validation)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(preparationSeconds, forKey: .preparationSeconds)
        try c.encode(examples, forKey: .examples)
    }
}

/// What happened during ``Trainer/fit(_:on:validation:progress:)``.
public struct TrainingHistory: Sendable, Hashable, Codable {
    /// One record per completed epoch.
    public internal(set) var epochs: [EpochRecord] = []
    /// The epoch whose weights the model holds at the end (1-based; the last epoch unless early
    /// stopping restored a better one).
    public internal(set) var bestEpoch: Int = 0
    /// True when early stopping or the progress callback ended training before `epochs`.
    public internal(set) var stoppedEarly = false
    /// What ``EpochRecord/meanLoss`` measures: the training loss's ``Loss/summary`` (nil in
    /// files written before the recipe change, which trained on squared error).
    public internal(set) var lossName: String?

    /// An empty history of training on `lossName`.
    init(lossName: String?) { self.lossName = lossName }

    /// The record of the epoch the model's weights come from.
    public var best: EpochRecord? { epochs.first { $0.epoch == bestEpoch } }

    /// The same history with every wall-clock figure (``EpochRecord/seconds``,
    /// ``EpochRecord/preparationSeconds``) set to 0: what a deterministic run saves, so that two
    /// identical runs write identical files.
    public var withoutTimings: TrainingHistory {
        var copy = self
        copy.epochs = epochs.map {
            EpochRecord(epoch: $0.epoch, meanLoss: $0.meanLoss, validation: $0.validation, seconds: 0,
                        preparationSeconds: 0, examples: $0.examples)
        }
        return copy
    }
}

/// What a progress callback tells the trainer.
public enum TrainingControl: Sendable {
    /// Go on with the next epoch.
    case proceed
    /// End training after this epoch (``TrainingHistory/stoppedEarly`` is then true unless it
    /// was the last).
    case stop
}

/// Where a training run is, reported while an epoch runs (see ``TrainingObserver``).
public struct TrainingProgress: Sendable, Hashable {
    /// The running epoch (from 1).
    public let epoch: Int
    /// Epochs configured (the run may stop earlier).
    public let epochs: Int
    /// Batches of this epoch done so far (estimated from one worker's share while several
    /// workers train; exact at the end of the epoch).
    public let batchesDone: Int
    /// Batches in one epoch.
    public let batches: Int
    /// Mean loss per example over the batches of this epoch so far (one worker's share).
    public let meanLoss: Double
    /// Training ratings per second in this epoch so far.
    public let ratingsPerSecond: Double
    /// Seconds since training started, validation included.
    public let secondsElapsed: Double

    /// The run's share done, 0 to 1, if it runs all its epochs.
    public var fractionDone: Double {
        min(1, (Double(epoch - 1) + Double(batchesDone) / Double(max(1, batches))) / Double(max(1, epochs)))
    }

    /// Seconds left at the pace so far (nil before any batch is done).
    public var estimatedSecondsRemaining: Double? {
        let done = fractionDone
        guard done > 0 else { return nil }
        return secondsElapsed * (1 - done) / done
    }

    /// A report; each parameter is the property of the same name.
    public init(epoch: Int, epochs: Int, batchesDone: Int, batches: Int, meanLoss: Double,
                ratingsPerSecond: Double, secondsElapsed: Double) {
        self.epoch = epoch; self.epochs = epochs; self.batchesDone = batchesDone; self.batches = batches
        self.meanLoss = meanLoss; self.ratingsPerSecond = ratingsPerSecond; self.secondsElapsed = secondsElapsed
    }
}

/// Callbacks a ``Trainer`` calls while it trains: a progress report during each epoch (for a
/// progress bar) and the history after each epoch (which may stop the run).
///
/// ```swift
/// let observer = TrainingObserver(interval: 0.1, duringEpoch: { p in
///     print("epoch \(p.epoch): \(p.batchesDone)/\(p.batches) loss \(p.meanLoss)")
/// }, afterEpoch: { history in history.epochs.count < 3 ? .proceed : .stop })
/// try Trainer(configuration: training).fit(model, on: train, validation: validation, observer: observer)
/// ```
///
/// `duringEpoch` runs on a training thread, at most once per `interval` seconds, and must be
/// quick; `afterEpoch` runs between epochs. Both must be safe to call from any thread.
public struct TrainingObserver: Sendable {
    /// Least seconds between two `duringEpoch` calls.
    public var interval: Double
    /// Called while an epoch runs, and once at its end with every batch done.
    public var duringEpoch: (@Sendable (TrainingProgress) -> Void)?
    /// Called after each epoch (after validation) with the history so far.
    public var afterEpoch: (@Sendable (TrainingHistory) -> TrainingControl)?

    /// An observer calling `duringEpoch` at most every `interval` seconds and `afterEpoch` after each epoch.
    public init(interval: Double = 0.1, duringEpoch: (@Sendable (TrainingProgress) -> Void)? = nil,
                afterEpoch: (@Sendable (TrainingHistory) -> TrainingControl)? = nil) {
        self.interval = interval; self.duringEpoch = duringEpoch; self.afterEpoch = afterEpoch
    }
}
