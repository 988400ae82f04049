import COpenBLAS
import EmbedRecKernels
import Dispatch

/// The pointer work of training, one epoch at a time, for ``Trainer``: shuffles and gathers the
/// training columns, then runs the workers' batches through the model's training step and the
/// optimizer. The trainer keeps the epoch policy (divergence, checkpoints, early stopping).
final class EpochRunner {
    let model: any TrainableModel
    /// The built-in models' pointer path; any other model trains through the public one.
    let kernel: (any KernelTrainableModel)?
    let train: RatingsDataset
    let configuration: TrainingConfiguration
    let batchSize: Int
    let batches: Int
    let workers: Int
    let optimizer: OptimizerState
    /// Ranking losses: each positive brings m sampled negatives into its batch.
    let negatives: NegativeBatches?
    let contexts: [TrainingContext]
    let expanded: [ExpandedBatch?]
    /// This epoch's training columns, in the order batches take them.
    let users: UnsafeMutableBufferPointer<Int32>
    let items: UnsafeMutableBufferPointer<Int32>
    let targets: UnsafeMutableBufferPointer<Float>
    /// The shuffle's permutation.
    let order: UnsafeMutableBufferPointer<Int32>
    let shuffler: SeededGenerator

    /// What one epoch did.
    struct EpochResult {
        /// The loss per training example.
        var meanLoss: Double
        /// False when a batch's loss was NaN or infinite (its worker stopped there).
        var finished: Bool
        /// The whole epoch, and the shuffle and gather part of it.
        var seconds: Double, preparationSeconds: Double
        var secondsSinceFitStart: Double
    }

    init(model: any TrainableModel, train: RatingsDataset, configuration: TrainingConfiguration, loss: any Loss) {
        self.model = model
        kernel = model as? any KernelTrainableModel
        self.train = train
        self.configuration = configuration
        let n = train.count
        // A batch larger than the data is the whole data (full-batch training).
        batchSize = min(configuration.batchSize, n)
        batches = (n + batchSize - 1) / batchSize
        workers = max(1, min(configuration.workerCount, batches))
        BLASThreading.useSingleThreadedBLAS()
        optimizer = OptimizerState(optimizer: configuration.optimizer, parameters: model.parameters)
        negatives = NegativeBatches(loss: loss, train: train, itemCount: model.itemCount)
        let examplesPerBatch = batchSize * (1 + (negatives?.perPositive ?? 0))
        contexts = (0..<workers).map { _ in
            TrainingContext(
                gradients: GradientSet(model: model, maxBatch: examplesPerBatch * model.rowsPerExample),
                arena: ScratchArena(), rng: SeededGenerator(seed: configuration.seed), loss: loss)
        }
        if case .onlineSGD(let lr) = configuration.optimizer {
            let step = OnlineSGDStep(learningRate: lr, embeddingL2: configuration.embeddingL2, biasL2: configuration.biasL2,
                                     negativesPerPositive: negatives?.perPositive ?? 0)
            for context in contexts { context.onlineSGD = step }
        }
        expanded = (0..<workers).map { [negatives] _ in negatives.map { _ in ExpandedBatch(capacity: examplesPerBatch) } }
        users = .allocate(capacity: n); items = .allocate(capacity: n); targets = .allocate(capacity: n)
        order = .allocate(capacity: configuration.shuffle ? n : 0)
        shuffler = SeededGenerator(seed: configuration.seed)
        if !configuration.shuffle {
            _ = users.initialize(from: train.users); _ = items.initialize(from: train.items)
            _ = targets.initialize(from: train.ratings)
        }
    }

    deinit { users.deallocate(); items.deallocate(); targets.deallocate(); order.deallocate() }

    /// Runs epoch `epoch` (1-based): shuffle, then every batch once.
    func run(epoch: Int, fitStart: UInt64, reporter: (@Sendable (TrainingProgress) -> Void)?, interval: Double) -> EpochResult {
        // The epoch's clock covers everything the epoch costs: shuffle, batch gather and the
        // training steps (the trainer's checks after it are not part of the throughput).
        let start = DispatchTime.now().uptimeNanoseconds
        if configuration.shuffle {
            var rng = shuffler.derived(UInt64(epoch))
            shuffleAndGather(&rng)
        }
        let prepared = DispatchTime.now().uptimeNanoseconds
        let losses = UnsafeMutableBufferPointer<Double>.allocate(capacity: workers)
        let failed = UnsafeMutableBufferPointer<Bool>.allocate(capacity: workers)
        defer { losses.deallocate(); failed.deallocate() }
        parallelFor(workers) { w in
            let progress = w == 0 ? reporter.map {
                ProgressReporter(report: $0, epoch: epoch, epochs: self.configuration.epochs, batches: self.batches,
                                 workers: self.workers, examples: self.train.count, interval: interval,
                                 epochStart: start, fitStart: fitStart)
            } : nil
            (losses[w], failed[w]) = self.runBatches(of: w, epoch: epoch, progress: progress)
        }
        let end = DispatchTime.now().uptimeNanoseconds
        return EpochResult(
            meanLoss: losses.reduce(0, +) / Double(train.count), finished: !failed.contains(true),
            seconds: Double(end - start) / 1e9, preparationSeconds: Double(prepared - start) / 1e9,
            secondsSinceFitStart: Double(end - fitStart) / 1e9)
    }

    /// Worker `w`'s batches of the epoch: its summed loss, and whether a batch's loss was not finite.
    private func runBatches(of w: Int, epoch: Int, progress: ProgressReporter?) -> (Double, Bool) {
        let floatMode = embedrec_enable_flush_to_zero()
        defer { embedrec_restore_float_mode(floatMode) }
        let context = contexts[w]
        var sum = 0.0
        var progress = progress
        // Shuffled: every W-th batch. In dataset order: a contiguous share, so the workers stay
        // apart in the data.
        let (first, end, step) = configuration.shuffle
            ? (w, batches, workers)
            : (w * batches / workers, (w + 1) * batches / workers, 1)
        for b in stride(from: first, to: end, by: step) {
            if b + step < end { optimizer.prefetch(batch(b + step)) }
            var batch = batch(b)
            context.rng = SeededGenerator(seed: configuration.seed &+ UInt64(epoch) << 40 &+ UInt64(b))
            if let buffer = expanded[w], let negatives {
                batch = buffer.fill(positives: batch, negatives: negatives, rng: &context.rng)
            }
            let batchLoss = kernel.map { $0.trainStep(batch, context) } ?? model.trainStep(Self.copy(batch), context)
            guard batchLoss.isFinite else { return (sum, true) }
            sum += batchLoss
            progress?.batchDone(examples: min(batchSize, train.count - b * batchSize), lossSoFar: sum)
            optimizer.apply(
                context.gradients, step: (epoch - 1) * batches + b + 1,
                embeddingL2: configuration.embeddingL2, weightL2: configuration.weightL2, biasL2: configuration.biasL2)
            context.gradients.reset()
            context.arena.reset()
        }
        return (sum, false)
    }

    /// Batch `b` of this epoch's columns.
    private func batch(_ b: Int) -> TrainingBatch {
        let first = b * batchSize
        return TrainingBatch(users: users.baseAddress! + first, items: items.baseAddress! + first,
                             targets: targets.baseAddress! + first, count: min(batchSize, train.count - first))
    }

    /// Writes the training set in a fresh random order (Fisher–Yates over `order`, then the
    /// gather split across the workers) into the epoch's columns.
    func shuffleAndGather(_ rng: inout SeededGenerator) {
        let n = order.count
        for k in 0..<n { order[k] = Int32(truncatingIfNeeded: k) }
        rng.shuffle(order)
        let (o, du, di, dt) = (order.baseAddress!, users.baseAddress!, items.baseAddress!, targets.baseAddress!)
        train.withUnsafeColumns { su, si, sr in
            // Each worker fills a contiguous share of the destination (small sets stay on one thread).
            let shares = min(workers, max(1, n / 65_536))
            parallelFor(shares) { w in
                for k in (w * n / shares)..<((w + 1) * n / shares) {
                    let row = Int(o[k])
                    du[k] = su[row]; di[k] = si[row]; dt[k] = sr[row]
                }
            }
        }
    }

    /// Worker 0's progress reports during an epoch, its share scaled to the whole epoch.
    struct ProgressReporter {
        let report: @Sendable (TrainingProgress) -> Void
        let epoch: Int, epochs: Int, batches: Int, workers: Int, examples: Int
        let interval: UInt64
        let epochStart: UInt64, fitStart: UInt64
        var lastReport: UInt64
        var batchesDone = 0, examplesDone = 0

        init(report: @escaping @Sendable (TrainingProgress) -> Void, epoch: Int, epochs: Int, batches: Int, workers: Int,
             examples: Int, interval: Double, epochStart: UInt64, fitStart: UInt64) {
            self.report = report; self.epoch = epoch; self.epochs = epochs; self.batches = batches
            self.workers = workers; self.examples = examples; self.interval = UInt64(max(0, interval) * 1e9)
            self.epochStart = epochStart; self.fitStart = fitStart; lastReport = DispatchTime.now().uptimeNanoseconds
        }

        mutating func batchDone(examples count: Int, lossSoFar: Double) {
            batchesDone += 1; examplesDone += count
            let now = DispatchTime.now().uptimeNanoseconds
            guard now - lastReport >= interval else { return }
            lastReport = now
            report(TrainingProgress(
                epoch: epoch, epochs: epochs, batchesDone: min(batches - 1, batchesDone * workers), batches: batches,
                meanLoss: lossSoFar / Double(examplesDone),
                ratingsPerSecond: Double(min(examples, examplesDone * workers)) / (Double(now - epochStart) / 1e9),
                secondsElapsed: Double(now - fitStart) / 1e9))
        }
    }

    /// Builds batches of positives plus sampled negatives for a ranking loss.
    struct NegativeBatches: @unchecked Sendable {
        let perPositive: Int
        let sampler: NegativeSampler
        /// The training pairs to keep out of the negatives, in the form a test reads fastest.
        enum RatedPairs {
            /// One bit per (user, item) pair, `wordsPerUser` words per user, for `userCount`
            /// users: a test is one load, and the tests of a positive's negatives do not wait on
            /// one another as the steps of a binary search do (the draws were 43% of a BPR fit
            /// on ml-1m, most of it waiting on the rated lists).
            case bits([UInt64], wordsPerUser: Int, userCount: Int)
            /// Every user's training items, sorted: when the bits would take more than
            /// `maximumBitmapBytes`.
            case lists(UserItemIndex)
        }
        let rated: RatedPairs
        /// Words per user of the bitmap (0 for the sorted lists).
        var wordsPerUser: Int {
            if case .bits(_, let words, _) = rated { return words }
            return 0
        }

        init?(loss: any Loss, train: RatingsDataset, itemCount: Int, maximumBitmapBytes: Int = 256 << 20) {
            guard loss.negativesPerPositive > 0 else { return nil }
            perPositive = loss.negativesPerPositive
            let lists = train.itemsByUser()
            sampler = NegativeSampler(itemCounts: RatingsDataset.occurrences(of: train.items, among: itemCount),
                                      sampling: loss.negativeSampling)
            let words = (itemCount + 63) / 64
            let (bytes, overflow) = lists.userCount.multipliedReportingOverflow(by: words * 8)
            if !overflow && bytes <= maximumBitmapBytes && lists.userCount > 0 {
                var bits = [UInt64](repeating: 0, count: lists.userCount * words)
                for u in 0..<lists.userCount {
                    for item in lists.items[lists.offsets[u]..<lists.offsets[u + 1]] {
                        bits[u * words + Int(item) >> 6] |= 1 << UInt64(item & 63)
                    }
                }
                rated = .bits(bits, wordsPerUser: words, userCount: lists.userCount)
            } else {
                rated = .lists(lists)
            }
        }

        /// Writes `count` items for which `isRated` is false (any item after 64 tries, for a
        /// user who rated nearly all).
        @inline(__always)
        func draw(_ count: Int, into out: UnsafeMutablePointer<Int32>, _ rng: inout SeededGenerator,
                  isRated: (Int32) -> Bool) {
            for j in 0..<count {
                var item = sampler.draw(&rng)
                var tries = 0
                while tries < 64 && isRated(item) { item = sampler.draw(&rng); tries += 1 }
                out[j] = item
            }
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
                let first = b + k * m
                (users + first).update(repeating: p.users[k], count: m)
                (targets + first).update(repeating: 0, count: m)
            }
            switch negatives.rated {
            case let .bits(ratedBits, words, userCount):
                ratedBits.withUnsafeBufferPointer { bits in
                    for k in 0..<b {
                        let user = Int(p.users[k])
                        guard user < userCount else {
                            negatives.draw(m, into: items + b + k * m, &rng) { _ in false }
                            continue
                        }
                        let row = bits.baseAddress! + user * words
                        negatives.draw(m, into: items + b + k * m, &rng) { item in
                            (row[Int(item) >> 6] >> UInt64(item & 63)) & 1 != 0
                        }
                    }
                }
            case let .lists(rated):
                rated.offsets.withUnsafeBufferPointer { offsets in
                    rated.items.withUnsafeBufferPointer { ratedItems in
                        for k in 0..<b {
                            let user = Int(p.users[k])
                            let positives = user < rated.userCount
                                ? UnsafeBufferPointer(rebasing: ratedItems[offsets[user]..<offsets[user + 1]])
                                : UnsafeBufferPointer(start: nil, count: 0)
                            negatives.draw(m, into: items + b + k * m, &rng) { item in
                                // A binary search whose steps are conditional moves, not branches.
                                positives.baseAddress.map { embedrec_sorted_contains($0, positives.count, item) != 0 } ?? false
                            }
                        }
                    }
                }
            }
            return TrainingBatch(users: users, items: items, targets: targets, count: b * (1 + m))
        }
    }

    /// A batch as the public ``ExampleBatch`` (copied: models outside the library get arrays).
    static func copy(_ batch: TrainingBatch) -> ExampleBatch {
        ExampleBatch(users: Array(UnsafeBufferPointer(start: batch.users, count: batch.count)),
                     items: Array(UnsafeBufferPointer(start: batch.items, count: batch.count)),
                     targets: Array(UnsafeBufferPointer(start: batch.targets, count: batch.count)))
    }
}
