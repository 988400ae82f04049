import EmbedRec
import Foundation

/// Training throughput of each model over whole epochs (shuffle and batch gather included),
/// with test RMSE next to the global-mean and bias-only baselines, beside the same models in
/// Keras and scikit-surprise's SVD at the same settings.
enum TrainSuite {
    /// A Keras peer: the tutorial model's name in peers.py and the L2 it runs with.
    struct KerasPeer {
        let model: String
        /// nil: the tutorial's own (1e-6 on the E models' embeddings); 0: none.
        var l2: Double? = nil
    }

    struct Case {
        let name: String
        /// The recipe's gradient training (architecture and training configuration).
        let preset: GradientTraining
        let keras: KerasPeer?
        var training: TrainingConfiguration { preset.training }
        func make(_ data: RatingsDataset) throws -> any TrainableModel { try preset.architecture.makeModel(for: data) }
    }

    /// The tutorials' models at the tutorials' settings (the library's presets: Adam 0.001,
    /// batch 64; 10 epochs for the dot model as tutorial A, 5 for the others as B, C and E),
    /// each with its Keras peer, then EmbedRec-only variants (lazy Adam, batch 1024) at step
    /// sizes that learn in as many epochs.
    static func cases() -> [Case] {
        var dot = Recipe.tutorialDot5.fitter as! GradientTraining
        dot.training.epochs = 10
        let v2 = Recipe.tutorialV2.fitter as! GradientTraining, net = Recipe.tutorialNet.fitter as! GradientTraining
        var v2Plain = v2, netPlain = net
        v2Plain.training.embeddingL2 = 0; netPlain.training.embeddingL2 = 0
        // Lazy Adam moves a row only when a batch touches it (no momentum drift), and batch 1024
        // takes 16× fewer steps: at lr 0.001 neither gets past the global mean in these epochs.
        var lazyDot = dot; lazyDot.training.optimizer = .lazyAdam(learningRate: 0.01)
        var lazyV2 = v2; lazyV2.training.optimizer = .lazyAdam(learningRate: 0.003)
        var bigDot = dot; bigDot.training.batchSize = 1024; bigDot.training.optimizer = .adam(learningRate: 0.01)
        var bigV2 = v2; bigV2.training.batchSize = 1024; bigV2.training.optimizer = .adam(learningRate: 0.004)
        return [
            Case(name: "MF d=5 b64 Adam", preset: dot, keras: KerasPeer(model: "dot5")),
            Case(name: "ConcatMLP 15+15→128→1 b64", preset: Recipe.tutorialConcat15.fitter as! GradientTraining, keras: KerasPeer(model: "concat15")),
            Case(name: "BiasedMF d=50 b64 Adam L2", preset: v2, keras: KerasPeer(model: "v2_50")),
            Case(name: "BiasedMF d=50 b64 Adam, no L2", preset: v2Plain, keras: KerasPeer(model: "v2_50", l2: 0)),
            Case(name: "ConcatMLP 50+50→10→1 b64 L2", preset: net, keras: KerasPeer(model: "net50")),
            Case(name: "ConcatMLP 50+50→10→1 b64, no L2", preset: netPlain, keras: KerasPeer(model: "net50", l2: 0)),
            Case(name: "MF d=5 b64 lazy Adam 0.01", preset: lazyDot, keras: nil),
            Case(name: "BiasedMF d=50 b64 lazy Adam 0.003 L2", preset: lazyV2, keras: nil),
            Case(name: "MF d=5 b1024 Adam 0.01", preset: bigDot, keras: nil),
            Case(name: "BiasedMF d=50 b1024 Adam 0.004 L2", preset: bigV2, keras: nil),
        ]
    }

    /// The case names that also run on ml-1m: the tutorials' models with a Keras peer.
    static func isTutorial(_ item: Case) -> Bool { item.keras != nil }

    /// Runs every case on the main dataset, then the tutorials' cases and the surprise
    /// comparison on ml-1m 90/10 when the shared data folder has it. The ml-1m cases are named
    /// "ml-1m: " + the case name, so a filter that picks a tutorial case runs it on both
    /// datasets, and "ml-1m" picks only the ml-1m runs.
    static func run(_ c: BenchContext) throws {
        let main = Dataset(label: "", data: c.data, split: c.split, files: { try c.denseSplitFiles() })
        try run(c, cases: cases(), on: main)
        try SurpriseComparison.run(c, on: main)
        guard !c.smoke else { return }
        let label = "ml-1m: "
        let names = cases().filter(isTutorial).map { label + $0.name } + SurpriseComparison.names.map { label + $0 }
        guard c.caseFilter.map({ filter in names.contains { $0.contains(filter) } }) ?? true else { return }
        let ml1m = c.sharedData + "/ml-1m/ratings.csv"
        guard FileManager.default.fileExists(atPath: ml1m) else {
            c.report.skipped.append("train ml-1m: \(ml1m) not found")
            return
        }
        let data = try RatingsLoader.load(path: ml1m, format: .movieLensCSV)
        let split = try data.randomSplit(testFraction: 0.1, seed: 42)
        let ml = Dataset(label: label, data: data, split: split,
                         files: { try c.denseSplitFiles(split, name: "train ml-1m 90/10") })
        try run(c, cases: cases().filter(isTutorial), on: ml)
        try SurpriseComparison.run(c, on: ml)
    }

    /// One dataset of the suite: its data, split, baselines and the split as dense CSVs for the
    /// peers (written only when a peer runs).
    struct Dataset {
        let label: String
        let data: RatingsDataset
        let split: TrainTestSplit
        let files: () throws -> (train: String, test: String)
        /// Test RMSE of predicting the training mean, and of user + item biases.
        let baselines: (globalMean: Double, biases: Double)

        init(label: String, data: RatingsDataset, split: TrainTestSplit, files: @escaping () throws -> (train: String, test: String)) {
            self.label = label; self.data = data; self.split = split; self.files = files
            let mean = try? RatingMetrics(model: BaselineModel(.globalMean, fittedOn: split.train), data: split.test).rmse
            let biases = try? RatingMetrics(model: BaselineModel(.biases, fittedOn: split.train), data: split.test).rmse
            baselines = (mean ?? .nan, biases ?? .nan)
        }

        /// The accuracy extras every training row carries.
        func accuracyExtras(testRMSE: Double) -> [String: Double] {
            ["test RMSE": testRMSE, "global-mean RMSE": baselines.globalMean, "bias-only RMSE": baselines.biases]
        }
    }

    /// Runs `cases` on one dataset, each timed over whole `Trainer.fit` epochs.
    static func run(_ c: BenchContext, cases: [Case], on set: Dataset) throws {
        for item in cases where c.caseFilter.map({ (set.label + item.name).contains($0) }) ?? true {
            var training = item.training
            if let epochs = c.epochs { training.epochs = epochs }
            let model = try item.make(set.data)
            let history = try Trainer(configuration: training).fit(model, on: set.split.train)
            let rmse = try RatingMetrics(model: model, data: set.split.test).rmse
            var extras = set.accuracyExtras(testRMSE: rmse)
            extras["epochs"] = Double(training.epochs)
            extras["threads"] = Double(training.parallelism.threads)
            extras["shuffle+gather share"] = history.epochs.map { $0.preparationSeconds / $0.seconds }.reduce(0, +) / Double(history.epochs.count)
            var result = BenchResult(
                suite: "train", name: set.label + item.name, unit: "ratings/s", values: history.epochs.map(\.ratingsPerSecond),
                extras: extras, notes: "\(model.summary), \(set.split.train.count) training ratings, whole epochs")
            if let peers = c.peers, let keras = item.keras {
                let files = try set.files()
                var arguments = [
                    "keras", "--train", files.train, "--test", files.test, "--model", keras.model,
                    "--epochs", "2", "--batch", String(training.batchSize), "--train-limit", String(c.kerasRows),
                    "--users", String(set.data.userCount), "--items", String(set.data.itemCount),
                ]
                if let l2 = keras.l2 { arguments += ["--l2", String(l2)] }
                let answer = peers.run(arguments)
                result.setPeer("Keras \(keras.model)\(keras.l2 == 0 ? " no L2" : "") (\(c.kerasRows) rows)",
                               answer?.double("ratings_per_second_excluding_first") ?? answer?.double("ratings_per_second"),
                               comparison: "same model, initialisers, Adam, batch \(training.batchSize), 2 threads each; Keras timed on its 2nd epoch over the first \(c.kerasRows) training rows "
                                   + "(graph building excluded), EmbedRec over whole epochs of all rows"
                                   + (keras.l2 == nil && training.embeddingL2 > 0
                                      ? "; L2 differs: Keras penalises the whole tables every step, EmbedRec the rows a batch touches (see the no-L2 row)" : ""))
            }
            c.report.add(result)
        }
    }

    /// The ratings grouped by user (stable within a user).
    static func byUser(_ data: RatingsDataset) -> RatingsDataset {
        data.subset(rows: data.users.indices.sorted { (data.users[$0], $0) < (data.users[$1], $1) })
    }
}

/// BiasedMF trained by SGD on scikit-surprise's SVD objective, next to `surprise.SVD` with its
/// defaults (100 factors, 20 epochs, lr 0.005, reg 0.02 on factors and biases, init N(0, 0.1)).
///
/// Like for like: the same algorithm (``Optimizer/onlineSGD(learningRate:)``: an update after
/// every rating, its L2 included), step, regularisation, initialisation and epochs. EmbedRec's
/// loss is e² per rating, whose gradient is 2e, so its lr 0.0025 is surprise's 0.005; its L2
/// λ‖w‖² adds 2λw, so λ = 0.02 is surprise's reg 0.02. What still differs, and the table says
/// so: EmbedRec shuffles each epoch (surprise walks the ratings user by user) and keeps Float32
/// (surprise Float64). The 1-thread row is the like-for-like ratio; the 2-thread row is what
/// EmbedRec's second worker adds (Hogwild: not reproducible run to run); the by-user row
/// trains in surprise's order.
enum SurpriseComparison {
    static let epochs = 20
    static let surpriseLearningRate = 0.005
    static let regularization: Float = 0.02

    struct Variant {
        let name: String
        let threads: Int
        let byUser: Bool
    }

    static let variants = [
        Variant(name: "BiasedMF d=100 SGD (surprise SVD defaults), 1 thread", threads: 1, byUser: false),
        Variant(name: "BiasedMF d=100 SGD (surprise SVD defaults), 2 threads", threads: 2, byUser: false),
        Variant(name: "BiasedMF d=100 SGD (surprise SVD defaults), 2 threads, surprise's order", threads: 2, byUser: true),
    ]
    static var names: [String] { variants.map(\.name) }

    /// Rounds of (every EmbedRec variant, then surprise): this VM's speed drifts within
    /// minutes, so each round's ratio is taken side by side and the median round reported.
    static let rounds = 3

    /// Online SGD evaluates the loss one rating at a time; summed, the epoch's reported loss is
    /// the sum of squared errors.
    static let loss = SquaredError(reduction: .sum)

    static func training(threads: Int, epochs: Int) -> TrainingConfiguration {
        var sgd = TrainingConfiguration(
            epochs: epochs, batchSize: 64, optimizer: .onlineSGD(learningRate: Float(surpriseLearningRate / 2)),
            embeddingL2: regularization, parallelism: Parallelism(threads: threads))
        sgd.biasL2 = regularization
        return sgd
    }

    static func run(_ c: BenchContext, on set: TrainSuite.Dataset) throws {
        let selected = variants.filter { v in c.caseFilter.map { (set.label + v.name).contains($0) } ?? true }
        guard !selected.isEmpty else { return }
        let epochs = c.epochs ?? Self.epochs
        let train = set.split.train
        let byUser = selected.contains(where: \.byUser) ? TrainSuite.byUser(train) : train
        let mean = train.meanRating ?? 3
        let rounds = c.peers != nil ? Self.rounds : 1
        var rates = [[Double]](repeating: [], count: selected.count)
        var roundRates = [[Double]](repeating: [], count: selected.count)
        var rmse = [[Double]](repeating: [], count: selected.count)
        var peerRates: [Double] = [], peerRMSE: [Double] = []
        var summary = ""
        // Each round is another seed, the same on both sides (initialisation and order), so the
        // RMSE comparison is of means over seeds rather than of one draw each.
        for round in 0..<rounds {
            let seed = UInt64(42 + round)
            for (index, variant) in selected.enumerated() {
                var architecture = BiasedMF.Configuration(dimension: 100, initializer: .normal(std: 0.1), globalOffset: mean, seed: seed)
                architecture.trainsGlobalOffset = false  // surprise holds μ at the training mean
                let model = try BiasedMF(for: set.data, configuration: architecture)
                var config = training(threads: variant.threads, epochs: epochs)
                config.shuffle = !variant.byUser
                config.seed = seed
                let history = try Trainer(configuration: config, loss: loss).fit(model, on: variant.byUser ? byUser : train)
                // Clipped to the training ratings' range, as surprise's figure is.
                rmse[index].append(try RatingMetrics(model: model, data: set.split.test, clippedTo: train.ratingRange).rmse)
                summary = model.summary
                // One figure per round: the whole fit (all epochs) as surprise's is.
                let seconds = history.epochs.map(\.seconds).reduce(0, +)
                let rate = Double(train.count * history.epochs.count) / seconds
                rates[index] += history.epochs.map(\.ratingsPerSecond)
                roundRates[index].append(rate)
            }
            if let peers = c.peers {
                let files = try set.files()
                let answer = peers.run([
                    "surprise", "--train", files.train, "--test", files.test, "--factors", "100",
                    "--epochs", String(epochs), "--lr", String(surpriseLearningRate), "--reg", String(regularization),
                    "--init-std", "0.1", "--seed", String(seed),
                ])
                if let rate = answer?.double("ratings_per_second") { peerRates.append(rate) }
                if let value = answer?.double("test_rmse") { peerRMSE.append(value) }
            }
        }
        for (index, variant) in selected.enumerated() {
            var extras = set.accuracyExtras(testRMSE: rmse[index].reduce(0, +) / Double(rmse[index].count))
            extras["seeds"] = Double(rounds)
            extras["epochs"] = Double(epochs)
            extras["threads"] = Double(variant.threads)
            var result = BenchResult(
                suite: "train", name: set.label + variant.name, unit: "ratings/s", values: rates[index], extras: extras,
                notes: "\(summary), online SGD (an update per rating), lr 0.0025 on e² (= surprise's 0.005), λ 0.02, "
                    + (variant.byUser ? "grouped by user, unshuffled" : "shuffled") + ", whole fit per round")
            if c.peers != nil {
                let peerMedian = peerRates.isEmpty ? nil : peerRates.sorted()[peerRates.count / 2]
                result.setPeer("surprise SVD 100f, \(epochs) epochs, 1 thread", peerMedian, comparison:
                    "same step, reg, init, fixed μ, epochs and seeds 42–\(41 + rounds) (mean RMSE over them), predictions clipped to the rating range on both sides; whole fit timed on both sides; both update and regularise after every rating; EmbedRec Float32, surprise Float64"
                    + (variant.threads == 1 ? "; 1 thread each" : "; EmbedRec 2 threads (Hogwild), surprise 1")
                    + (variant.byUser ? "; both in surprise's by-user order" : "; EmbedRec shuffled, surprise by user"))
                if !peerRMSE.isEmpty { result.extras["peer test RMSE"] = peerRMSE.reduce(0, +) / Double(peerRMSE.count) }
                if peerRates.count == roundRates[index].count, !peerRates.isEmpty {
                    let paired = zip(roundRates[index], peerRates).map { $0 / $1 }.sorted()
                    result.extras["paired ratio"] = paired[paired.count / 2]
                    result.extras["paired ratio min"] = paired[0]
                    result.extras["paired ratio max"] = paired[paired.count - 1]
                }
            }
            c.report.add(result)
        }
    }
}
