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
/// ``Model/trainStep(_:_:)`` and applies the optimizer to the rows the batch touched.
public struct Trainer: Sendable {
    /// The configuration, validated at creation.
    public let configuration: TrainingConfiguration
    /// What training minimises.
    public let loss: any Loss

    /// A trainer for `configuration` (validated here) and `loss`.
    ///
    /// - Throws: ``ModelError/invalidConfiguration(_:)`` for an invalid configuration.
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
    /// - Throws: ``ModelError/invalidData(_:)`` for an empty training or validation set, or ID
    ///   maps larger than the model; ``ModelError/nonFiniteLoss(epoch:lastGoodEpoch:)`` when the loss becomes NaN
    ///   or infinite, ``ModelError/diverged(epoch:trainingMSE:lastGoodEpoch:)`` when it grows a
    ///   million times past the mean square of the ratings (the model then holds the weights of
    ///   the last good epoch).
    /// - Complexity: O(epochs × ratings × cost of one example).
    @discardableResult
    public func fit(
        _ model: any Model, on train: RatingsDataset, validation: RatingsDataset? = nil,
        progress: ((TrainingHistory) -> TrainingControl)? = nil
    ) throws -> TrainingHistory {
        try fit(model, on: train, validation: validation, duringEpoch: nil, interval: 0, afterEpoch: progress)
    }

    /// Trains `model` on `train` as ``fit(_:on:validation:progress:)`` does, reporting to
    /// `observer` during and after each epoch.
    @discardableResult
    public func fit(
        _ model: any Model, on train: RatingsDataset, validation: RatingsDataset? = nil, observer: TrainingObserver
    ) throws -> TrainingHistory {
        try fit(model, on: train, validation: validation, duringEpoch: observer.duringEpoch,
                interval: observer.interval, afterEpoch: observer.afterEpoch)
    }

    func fit(
        _ model: any Model, on train: RatingsDataset, validation: RatingsDataset?,
        duringEpoch: (@Sendable (TrainingProgress) -> Void)?, interval: Double,
        afterEpoch progress: ((TrainingHistory) -> TrainingControl)?
    ) throws -> TrainingHistory {
        guard !train.isEmpty else { throw ModelError.invalidData("training set is empty") }
        guard train.count <= Int(Int32.max) else {
            throw ModelError.invalidData("\(train.count) training ratings; at most \(Int32.max) fit in one training set")
        }
        guard train.userCount <= model.userCount, train.itemCount <= model.itemCount else {
            throw ModelError.invalidData(
                "data has \(train.userCount) users and \(train.itemCount) items; the model has \(model.userCount) and \(model.itemCount)")
        }
        if let v = validation, v.userCount > model.userCount || v.itemCount > model.itemCount {
            throw ModelError.invalidData("validation data has more users or items than the model")
        }
        if let v = validation, v.isEmpty {
            throw ModelError.invalidData("validation set is empty; pass nil to train without one")
        }
        try model.validate(users: train.users, items: train.items)
        // The built-in models' pointer path; any other model trains through the public one.
        let kernel = model as? any KernelModel
        BLASThreading.useSingleThreadedBLAS()
        let config = configuration
        let n = train.count
        // A batch larger than the data is the whole data (full-batch training).
        let batchSize = min(config.batchSize, n)
        let batches = (n + batchSize - 1) / batchSize
        let workers = max(1, min(config.workerCount, batches))
        let state = OptimizerState(optimizer: config.optimizer, parameters: model.parameters)
        // Ranking losses: each positive brings m sampled negatives into its batch.
        let negatives = NegativeBatches(loss: loss, train: train, itemCount: model.itemCount)
        let examplesPerBatch = batchSize * (1 + (negatives?.perPositive ?? 0))
        let contexts = (0..<workers).map { _ in
            TrainingContext(
                gradients: GradientSet(model: model, maxBatch: examplesPerBatch * model.rowsPerExample),
                arena: ScratchArena(), rng: SeededGenerator(seed: config.seed), loss: loss)
        }
        let expanded = (0..<workers).map { _ in negatives.map { _ in ExpandedBatch(capacity: examplesPerBatch) } }
        var history = TrainingHistory()
        // The training MSE of predicting 0 for every rating.
        let divergenceScale = train.ratings.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(n)
        let lastGood = model.parameters.map { $0.copy() }
        var best: (score: Double, epoch: Int, weights: [Tensor])? = nil
        var sinceBest = 0
        var users = [Int32](repeating: 0, count: n)
        var items = [Int32](repeating: 0, count: n)
        var ratings = [Float](repeating: 0, count: n)
        var order = [Int32](repeating: 0, count: config.shuffle ? n : 0)
        let shuffler = SeededGenerator(seed: config.seed)
        let fitStart = DispatchTime.now().uptimeNanoseconds
        let reportInterval = UInt64(max(0, interval) * 1e9)
        for epoch in 1...config.epochs {
            // The epoch's clock covers everything the epoch costs: shuffle, batch gather,
            // training steps, the finiteness check and the last-good copy (validation excluded).
            let start = DispatchTime.now().uptimeNanoseconds
            if config.shuffle {
                var rng = shuffler.derived(UInt64(epoch))
                Self.shuffledGather(train, order: &order, rng: &rng, workers: workers,
                                    users: &users, items: &items, ratings: &ratings)
            } else if epoch == 1 {
                users = train.users; items = train.items; ratings = train.ratings
            }
            let prepared = DispatchTime.now().uptimeNanoseconds
            var losses = [Double](repeating: 0, count: workers)
            var failed = [Bool](repeating: false, count: workers)
            users.withUnsafeBufferPointer { u in
                items.withUnsafeBufferPointer { i in
                    ratings.withUnsafeBufferPointer { r in
                        losses.withUnsafeMutableBufferPointer { lossOut in
                            failed.withUnsafeMutableBufferPointer { failOut in
                                let lo = lossOut.baseAddress!, fo = failOut.baseAddress!
                                parallelFor(workers) { w in
                                    let floatMode = embedrec_enable_flush_to_zero()
                                    defer { embedrec_restore_float_mode(floatMode) }
                                    let context = contexts[w]
                                    var sum = 0.0
                                    // Worker 0 reports progress, scaling its share of the
                                    // batches to the whole epoch.
                                    let reporter = w == 0 ? duringEpoch : nil
                                    var lastReport = prepared, done = 0, examplesDone = 0
                                    // Shuffled: every W-th batch. In dataset order: a contiguous
                                    // share, so the workers stay apart in the data.
                                    let (first, end, step) = config.shuffle
                                        ? (w, batches, workers)
                                        : (w * batches / workers, (w + 1) * batches / workers, 1)
                                    for b in stride(from: first, to: end, by: step) {
                                        let next = b + step
                                        if next < end {
                                            let nextFirst = next * batchSize
                                            state.prefetch(TrainingBatch(
                                                users: u.baseAddress! + nextFirst, items: i.baseAddress! + nextFirst,
                                                ratings: r.baseAddress! + nextFirst, count: min(batchSize, n - nextFirst)))
                                        }
                                        let first = b * batchSize
                                        let count = min(batchSize, n - first)
                                        var batch = TrainingBatch(
                                            users: u.baseAddress! + first, items: i.baseAddress! + first,
                                            ratings: r.baseAddress! + first, count: count)
                                        context.rng = SeededGenerator(seed: config.seed &+ UInt64(epoch) << 40 &+ UInt64(b))
                                        if let buffer = expanded[w], let negatives {
                                            batch = buffer.fill(positives: batch, negatives: negatives, rng: &context.rng)
                                        }
                                        let batchLoss = kernel.map { $0.trainStep(batch, context) }
                                            ?? model.trainStep(Self.copy(batch), context)
                                        if !batchLoss.isFinite { fo[w] = true; break }
                                        sum += batchLoss
                                        if let reporter {
                                            done += 1; examplesDone += count
                                            let now = DispatchTime.now().uptimeNanoseconds
                                            if now - lastReport >= reportInterval {
                                                lastReport = now
                                                let seconds = Double(now - start) / 1e9
                                                reporter(TrainingProgress(
                                                    epoch: epoch, epochs: config.epochs,
                                                    batchesDone: min(batches - 1, done * workers), batches: batches,
                                                    meanLoss: sum / Double(examplesDone),
                                                    ratingsPerSecond: Double(min(n, examplesDone * workers)) / seconds,
                                                    secondsElapsed: Double(now - fitStart) / 1e9))
                                            }
                                        }
                                        state.apply(
                                            context.gradients, step: (epoch - 1) * batches + b + 1,
                                            embeddingL2: config.embeddingL2, weightL2: config.weightL2,
                                            biasL2: config.biasL2)
                                        context.gradients.reset()
                                        context.arena.reset()
                                    }
                                    lo[w] = sum
                                }
                            }
                        }
                    }
                }
            }
            let mse = losses.reduce(0, +) / Double(n)
            // NaN or ∞, or still finite but a million times worse than predicting zero (a
            // diverging run, Adam at a huge learning rate): back to the last good weights.
            var failure: ModelError? = nil
            if failed.contains(true) || !mse.isFinite || !Self.parametersAreFinite(model) {
                failure = .nonFiniteLoss(epoch: epoch, lastGoodEpoch: epoch - 1)
            } else if mse > 1e6 * max(1, divergenceScale) {
                failure = .diverged(epoch: epoch, trainingMSE: mse, lastGoodEpoch: epoch - 1)
            }
            if let failure {
                for (t, saved) in zip(model.parameters, lastGood) { t.assign(from: saved) }
                throw failure
            }
            for (saved, t) in zip(lastGood, model.parameters) { saved.assign(from: t) }
            let end = DispatchTime.now().uptimeNanoseconds
            duringEpoch?(TrainingProgress(
                epoch: epoch, epochs: config.epochs, batchesDone: batches, batches: batches, meanLoss: mse,
                ratingsPerSecond: Double(n) / (Double(end - start) / 1e9), secondsElapsed: Double(end - fitStart) / 1e9))
            let metrics = try validation.map { try RatingMetrics(model: model, data: $0) }
            history.epochs.append(EpochRecord(
                epoch: epoch, trainingMSE: mse, validation: metrics, seconds: Double(end - start) / 1e9,
                preparationSeconds: Double(prepared - start) / 1e9, examples: n))
            history.bestEpoch = epoch
            if let patience = config.earlyStoppingPatience {
                let score = metrics?.rmse ?? mse
                if best == nil || score < best!.score {
                    if best == nil { best = (score, epoch, model.parameters.map { $0.copy() }) }
                    else {
                        best!.score = score; best!.epoch = epoch
                        for (saved, t) in zip(best!.weights, model.parameters) { saved.assign(from: t) }
                    }
                    sinceBest = 0
                } else {
                    sinceBest += 1
                }
                history.bestEpoch = best!.epoch
                if sinceBest >= patience { history.stoppedEarly = epoch < config.epochs }
            }
            // The callback sees every epoch, the one that ends the run included.
            if progress?(history) == .stop || history.stoppedEarly { history.stoppedEarly = epoch < config.epochs; break }
        }
        if let best, best.epoch != history.epochs.last?.epoch {
            for (t, saved) in zip(model.parameters, best.weights) { t.assign(from: saved) }
            history.bestEpoch = best.epoch
        }
        return history
    }

    /// Writes the training set in a fresh random order (Fisher–Yates over `order`, then the
    /// gather split across `workers` threads) into `users`, `items` and `ratings`.
    static func shuffledGather(
        _ train: RatingsDataset, order: inout [Int32], rng: inout SeededGenerator, workers: Int,
        users: inout [Int32], items: inout [Int32], ratings: inout [Float]
    ) {
        let n = order.count
        order.withUnsafeMutableBufferPointer { o in
            for k in 0..<n { o[k] = Int32(truncatingIfNeeded: k) }
        }
        rng.shuffle(&order)
        order.withUnsafeBufferPointer { o in
            train.users.withUnsafeBufferPointer { su in
                train.items.withUnsafeBufferPointer { si in
                    train.ratings.withUnsafeBufferPointer { sr in
                        users.withUnsafeMutableBufferPointer { du in
                            items.withUnsafeMutableBufferPointer { di in
                                ratings.withUnsafeMutableBufferPointer { dr in
                                    let (o, su, si, sr) = (o.baseAddress!, su.baseAddress!, si.baseAddress!, sr.baseAddress!)
                                    let (du, di, dr) = (du.baseAddress!, di.baseAddress!, dr.baseAddress!)
                                    // Each worker fills a contiguous share of the destination
                                    // (small sets stay on one thread).
                                    let shares = min(workers, max(1, n / 65_536))
                                    parallelFor(shares) { w in
                                        for k in (w * n / shares)..<((w + 1) * n / shares) {
                                            let row = Int(o[k])
                                            du[k] = su[row]; di[k] = si[row]; dr[k] = sr[row]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Builds batches of positives plus sampled negatives for a ranking loss.
    struct NegativeBatches: @unchecked Sendable {
        let perPositive: Int
        let sampler: NegativeSampler
        /// Every user's training items, sorted, to keep them out of the negatives.
        let rated: UserItemIndex

        init?(loss: any Loss, train: RatingsDataset, itemCount: Int) {
            guard loss.negativesPerPositive > 0 else { return nil }
            perPositive = loss.negativesPerPositive
            rated = train.itemsByUser()
            var counts = [Int](repeating: 0, count: itemCount)
            for i in train.items { counts[Int(i)] += 1 }
            sampler = NegativeSampler(itemCounts: counts, sampling: loss.negativeSampling)
        }

        /// An item `user` did not rate (any item after 64 tries, for a user who rated nearly all).
        func draw(for user: Int32, _ rng: inout SeededGenerator) -> Int32 {
            let positives = Int(user) < rated.userCount ? rated.items(of: UserIndex(user)) : []
            var item = sampler.draw(&rng)
            var tries = 0
            while tries < 64 && ImplicitFeedback.contains(positives, item) { item = sampler.draw(&rng); tries += 1 }
            return item
        }
    }

    /// A worker's buffers for one batch of positives followed by their negatives.
    final class ExpandedBatch: @unchecked Sendable {
        let users: UnsafeMutablePointer<Int32>, items: UnsafeMutablePointer<Int32>, targets: UnsafeMutablePointer<Float>

        init(capacity: Int) {
            users = .allocate(capacity: capacity); items = .allocate(capacity: capacity); targets = .allocate(capacity: capacity)
        }
        deinit { users.deallocate(); items.deallocate(); targets.deallocate() }

        /// The positives (target 1), then each positive's negatives in order (target 0).
        func fill(positives p: TrainingBatch, negatives: NegativeBatches, rng: inout SeededGenerator) -> TrainingBatch {
            let b = p.count, m = negatives.perPositive
            users.update(from: p.users, count: b); items.update(from: p.items, count: b)
            targets.update(repeating: 1, count: b)
            for k in 0..<b {
                for j in 0..<m {
                    let row = b + k * m + j
                    users[row] = p.users[k]; items[row] = negatives.draw(for: p.users[k], &rng); targets[row] = 0
                }
            }
            return TrainingBatch(users: users, items: items, ratings: targets, count: b * (1 + m))
        }
    }

    /// A batch as the public ``ExampleBatch`` (copied: models outside the library get arrays).
    static func copy(_ batch: TrainingBatch) -> ExampleBatch {
        ExampleBatch(users: Array(UnsafeBufferPointer(start: batch.users, count: batch.count)),
                     items: Array(UnsafeBufferPointer(start: batch.items, count: batch.count)),
                     targets: Array(UnsafeBufferPointer(start: batch.ratings, count: batch.count)))
    }

    static func parametersAreFinite(_ model: any Model) -> Bool {
        model.parameters.allSatisfy(\.allFinite)
    }
}
