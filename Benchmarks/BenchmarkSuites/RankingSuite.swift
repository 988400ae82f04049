import EmbedRec
import Foundation

/// Top-N quality and fit time: per-user 20% holdout (seed 42), ratings ≥ 4 relevant, training
/// items excluded, recall@10 and NDCG@10 — EmbedRec's ranking models, a rating model and
/// most-popular, next to implicit's ALS and BPR and EASE in NumPy on the very same split. Every
/// list, EmbedRec's or a peer's, is scored by the same `RankingMetrics` code. Tuned
/// hyperparameters are chosen on a validation holdout carved from the training data.
enum RankingSuite {
    static func run(_ c: BenchContext) throws {
        var sets: [(String, RatingsDataset)] = []
        if c.smoke {
            sets.append(("smoke", c.data))
        } else {
            let ml1m = c.sharedData + "/ml-1m/ratings.csv", ml100k = c.sharedData + "/ml-100k/u.data"
            for (name, path, format) in [("ml-1m", ml1m, RatingsFileFormat.movieLensCSV), ("ml-100k", ml100k, .movieLens100K)]
            where wanted(c, name) {
                if FileManager.default.fileExists(atPath: path) { sets.append((name, try RatingsLoader.load(path: path, format: format))) }
                else { c.report.skipped.append("ranking \(name): \(path) not found") }
            }
            if wanted(c, "goodbooks") {
                let series = FileManager.default.fileExists(atPath: c.sharedData + "/goodbooks-10k/books.csv")
                sets.append(("goodbooks-shaped β=\(tasteExposure)\(series ? ", series continuation 0.5" : "")", try tasteDrivenGoodbooks(c)))
            }
        }
        for (name, data) in sets { try evaluate(c, name: name, data: data) }
    }

    /// The datasets, `--only` picking by name (ml-1m, ml-100k, goodbooks).
    static func wanted(_ c: BenchContext, _ name: String) -> Bool {
        c.caseFilter.map { name.contains($0) } ?? true
    }

    /// How strongly taste drives exposure in the generated ranking data.
    static let tasteExposure = 4.0

    /// Goodbooks-shaped ratings where readers pick books by taste (β > 0); with books.csv, as the
    /// demo's: series and authors share factors, readers go on with them, popularity by ID.
    static func tasteDrivenGoodbooks(_ c: BenchContext) throws -> RatingsDataset {
        let books = c.sharedData + "/goodbooks-10k/books.csv"
        let catalog = FileManager.default.fileExists(atPath: books) ? try ItemCatalog.loadGoodbooks(path: books) : nil
        var configuration = SyntheticRatings.Configuration.goodbooksReading(scale: 1, catalog: catalog)
        configuration.exposure = tasteExposure
        return try SyntheticRatings.generate(configuration)
    }

    /// One row of the table.
    struct Row {
        var label: String
        var metrics: RankingMetrics
        var fitSeconds: Double
        var peer: (name: String, metrics: RankingMetrics, fitSeconds: Double, comparison: String)? = nil
    }

    static func evaluate(_ c: BenchContext, name: String, data: RatingsDataset) throws {
        let split = try data.perUserHoldout(fraction: 0.2, selection: .random(seed: 42))
        let train = split.train
        let relevant = relevantSets(split.test)
        func metrics(_ model: any Model) throws -> RankingMetrics {
            try RankingMetrics(model: model, train: train, test: split.test, k: 10)
        }
        func fitted<M: Model>(_ fit: () throws -> M) throws -> (M, Double) {
            var model: M? = nil
            let seconds = try time { model = try fit() }
            return (model!, seconds)
        }
        var rows: [Row] = []
        rows.append(Row(label: "most popular", metrics: try metrics(BaselineModel(.popularity, fittedOn: train)), fitSeconds: 0))

        // Like for like with the peers: the same hyperparameters on both sides.
        let ease = EASE.Configuration(regularization: 500)
        let (easeModel, easeSeconds) = try fitted { try EASE(fitting: train, configuration: ease) }
        var easeRow = Row(label: "EASE λ=500, binary", metrics: try metrics(easeModel), fitSeconds: easeSeconds)
        let als = ImplicitALS.Configuration(factors: 64, regularization: 0.05, iterations: c.smoke ? 2 : 15, alpha: 1)
        let (alsModel, alsSeconds) = try fitted { try ImplicitALS(configuration: als).fit(train) }
        var alsRow = Row(label: "ALS 64 factors, λ 0.05, 15 iterations, confidence 2", metrics: try metrics(alsModel), fitSeconds: alsSeconds)
        if let peers = c.peers {
            let files = try c.denseSplitFiles(split, name: "ranking \(name)")
            _ = files
            func peerRun(_ arguments: [String]) throws -> (RankingMetrics, Double)? {
                try peerRankingRun(c, peers, split: split, name: name, relevant: relevant, arguments)
            }
            if let (m, s) = try peerRun(["--model", "ease", "--reg", "500"]) {
                easeRow.peer = ("EASE NumPy (float64)", m, s, "same λ and binary input; NumPy inverts in float64, EmbedRec in float32 (Cholesky)")
            }
            if let (m, s) = try peerRun(["--model", "als", "--factors", "64", "--reg", "0.05", "--iterations", String(als.iterations), "--alpha", "1"]) {
                alsRow.peer = ("implicit 0.7.3 ALS", m, s, "same factors, λ, iterations, confidence (1 + 1 per positive) and CG steps (3); both 2 threads")
            }
        }
        // Validation holdout carved from the training data (never the test split): each
        // candidate is fitted on its training part and the best NDCG@10 on its held-out part wins
        // (`incumbent`: a candidate already scored, to beat).
        let inner = try train.perUserHoldout(fraction: 0.2, selection: .random(seed: 7))
        func chosenOnValidation<C>(_ candidates: [C], incumbent: (C, Double)? = nil,
                                   _ fit: (C, RatingsDataset) throws -> any Model) throws -> (C, Double) {
            var best = incumbent
            for candidate in candidates {
                let score = try RankingMetrics(model: fit(candidate, inner.train), train: inner.train, test: inner.test, k: 10).ndcg
                if score > (best?.1 ?? -1) { best = (candidate, score) }
            }
            return best!
        }
        // The ranking losses on the trainer's embedding models, as their presets (recipes chosen
        // on validation holdouts of ml-1m and the goodbooks-shaped data); one epoch in a smoke run.
        func fitLossPreset(_ preset: Recipe, on data: RatingsDataset? = nil) throws -> (any Model, Double, String) {
            let recipe = c.smoke ? try preset.adjusted(.init(epochs: 1)) : preset
            guard let gradient = recipe.fitter as? GradientTraining,
                  case .matrixFactorization(let model) = gradient.architecture as? BuiltInArchitecture else {
                fatalError("\(preset.name) is not a ranking-loss recipe on MatrixFactorization")
            }
            let training = gradient.training
            var fittedModel: (any Model)? = nil
            let seconds = try time { fittedModel = try recipe.fit(data ?? train).model }
            var optimizer = "Adam"
            if case .onlineSGD(let lr) = training.optimizer { optimizer = "online SGD \(lr)" }
            return (fittedModel!, seconds, "MF \(model.dimension) factors, L2 \(String(format: "%g", training.embeddingL2)), \(optimizer), \(training.epochs) epochs")
        }
        let (bpr, bprSeconds, bprShape) = try fitLossPreset(.bpr)
        var bprRow = Row(label: "BPR, hardest of 8 negatives, \(bprShape)", metrics: try metrics(bpr), fitSeconds: bprSeconds)
        if let peers = c.peers, let (m, s) = try peerRankingRun(c, peers, split: split, name: name, relevant: relevant,
                                                               ["--model", "bpr", "--factors", "64", "--iterations", "100", "--lr", "0.01", "--reg", "0.01"]) {
            bprRow.peer = ("implicit 0.7.3 BPR, 100 iterations", m, s, "implicit's BPR (SGD, 64 factors + bias, lr 0.01, reg 0.01, 100 epochs, one negative per positive) against EmbedRec's (Adam, 20 epochs, the hardest of 8 negatives); both 2 threads, uniform negatives")
        }
        // The same BPR with an update per positive (online SGD at 0.01, implicit's step) in place
        // of Adam: the candidate for the recipe, measured beside it.
        let bprGradient = Recipe.bpr.fitter as! GradientTraining
        var onlineTraining = bprGradient.training
        onlineTraining.optimizer = .onlineSGD(learningRate: 0.01)
        let onlineBPR = Recipe(name: "bpr-online", summary: "BPR, hardest of 8 negatives, online SGD 0.01",
                               fitter: GradientTraining(architecture: bprGradient.architecture, training: onlineTraining, loss: bprGradient.loss))
        let (bprOnline, bprOnlineSeconds, bprOnlineShape) = try fitLossPreset(onlineBPR)
        let bprOnlineRow = Row(label: "BPR, hardest of 8 negatives, \(bprOnlineShape)", metrics: try metrics(bprOnline), fitSeconds: bprOnlineSeconds)
        // Sampled softmax: the preset (64 factors, L2 1e-4) or a wider, lighter-regularised
        // shape, whichever validates better here.
        let (softmaxChoice, _) = try chosenOnValidation(c.smoke ? [Recipe.sampledSoftmax] : [Recipe.sampledSoftmax, .sampledSoftmaxWide]) {
            try fitLossPreset($0, on: $1).0
        }
        let (softmax, softmaxSeconds, softmaxShape) = try fitLossPreset(softmaxChoice)
        rows += [easeRow, alsRow, bprRow, bprOnlineRow,
                 Row(label: "sampled softmax (16 negatives) chosen on validation: \(softmaxShape)", metrics: try metrics(softmax), fitSeconds: softmaxSeconds)]

        // Tuned: hyperparameters chosen on the validation holdout of the training data.
        let grid: [EASE.Configuration] = c.smoke ? [EASE.Configuration(regularization: 200)] : [
            (200, 0.25), (200, 0.4), (400, 0.25), (500, 0),
        ].flatMap { (lambda: Float, p: Float) in
            [InteractionWeighting.binary, .levels([0.3, 0.4, 0.6, 1, 1.2])].map {
                EASE.Configuration(regularization: lambda, dropoutEmphasis: p, weighting: $0)
            }
        }
        func fitEASE(_ configuration: EASE.Configuration, _ data: RatingsDataset) throws -> any Model {
            try EASE(fitting: data, configuration: configuration)
        }
        let base = try chosenOnValidation(grid, fitEASE)
        // Then, at the best of those, the history normalisation α and the popularity discount β.
        let normalised = (c.smoke ? [(Float(0.3), Float(0.1))] : [(0.2, 0.05), (0.2, 0.1), (0.3, 0.1), (0.3, 0.15)]).map { alpha, beta in
            var candidate = base.0
            candidate.historyNormalization = alpha; candidate.popularityDiscount = beta
            return candidate
        }
        let (chosen, _) = try chosenOnValidation(normalised, incumbent: base, fitEASE)
        let (tuned, tunedSeconds) = try fitted { try EASE(fitting: train, configuration: chosen) }
        rows.append(Row(label: "EASE tuned on validation: \(describe(chosen))", metrics: try metrics(tuned), fitSeconds: tunedSeconds))
        // λ for every row, or λ × each row's interactions (ALS-WR, Spark's rule), α 1 or 10.
        let alsGrid: [ImplicitALS.Configuration] = c.smoke ? [als] : [Float(0.05), 1, 10].flatMap { lambda in
            [Float(1), 10].map { ImplicitALS.Configuration(factors: 64, regularization: lambda, iterations: 15, alpha: $0) }
        }
        let alsWRGrid: [ImplicitALS.Configuration] = c.smoke ? [] : [Float(0.05), 0.1, 0.2, 0.5].flatMap { lambda in
            [Float(1), 10].map { ImplicitALS.Configuration(factors: 64, regularization: lambda, iterations: 15, alpha: $0,
                                                           regularizationScaling: .interactionCount) }
        }
        let fitALS: (ImplicitALS.Configuration, RatingsDataset) throws -> any Model = { try ImplicitALS(configuration: $0).fit($1) }
        let (alsChosen, alsScore) = try chosenOnValidation(alsGrid, fitALS)
        let alsWRChosen = alsWRGrid.isEmpty ? nil : try chosenOnValidation(alsWRGrid, fitALS)
        func alsLabel(_ a: ImplicitALS.Configuration) -> String {
            "64 factors, λ=\(String(format: "%g", a.regularization))\(a.regularizationScaling == .interactionCount ? " × interactions (ALS-WR)" : ""), α=\(String(format: "%g", a.alpha))"
        }
        for (chosen, suffix) in [(alsChosen, "")] + (alsWRChosen.map { [($0.0, $0.1 > alsScore ? " (the better rule here)" : "")] } ?? []) {
            let (alsTuned, alsTunedSeconds) = try fitted { try ImplicitALS(configuration: chosen).fit(train) }
            var row = Row(label: "ALS tuned on validation: \(alsLabel(chosen))\(suffix)", metrics: try metrics(alsTuned), fitSeconds: alsTunedSeconds)
            // The distributed engine's ALS on one machine, at the same objective: Spark's regParam
            // is λ × each row's count (ALS-WR), so it takes the ALS-WR λ as it is. Spark solves
            // each row exactly where EmbedRec takes 3 CG steps.
            if chosen.regularizationScaling == .interactionCount, let peers = c.peers,
               let (m, s) = try peerRankingRun(c, peers, split: split, name: name, relevant: relevant, [
                "--model", "spark-als", "--factors", "64", "--reg", String(format: "%g", chosen.regularization),
                "--iterations", String(chosen.iterations), "--alpha", String(format: "%g", chosen.alpha), "--threads", "2"]) {
                row.peer = ("Spark MLlib 4.0.1 ALS, local[2]", m, s,
                            "the same objective (factors, regParam = λ × each row's count, α, iterations, input), 2 threads each; Spark solves each row exactly where EmbedRec takes 3 CG steps; its fit time leaves out the JVM's start-up (about 5 s)")
            }
            rows.append(row)
        }

        for row in rows {
            var result = BenchResult(
                suite: "ranking", name: "\(name) \(row.label)", unit: "recall@10", values: [row.metrics.recall],
                extras: ["NDCG@10": row.metrics.ndcg, "fit s": row.fitSeconds],
                notes: "per-user 20% holdout, ratings ≥ 4 relevant, \(row.metrics.usersEvaluated) users")
            if let peer = row.peer {
                result.setPeer(peer.name, peer.metrics.recall, comparison: peer.comparison)
                result.extras["peer NDCG@10"] = peer.metrics.ndcg
                result.extras["peer fit s"] = peer.fitSeconds
                if row.fitSeconds > 0 { result.extras["fit speed-up"] = peer.fitSeconds / row.fitSeconds }
            }
            c.report.add(result)
        }
    }

    /// A peer's top-10 lists for `split`, scored with the same `RankingMetrics` code, and its fit time.
    static func peerRankingRun(_ c: BenchContext, _ peers: PeerRunner, split: TrainTestSplit, name: String,
                               relevant: (sets: [Set<Int32>], users: [Int]), _ arguments: [String]) throws -> (RankingMetrics, Double)? {
        let train = split.train
        let files = try c.denseSplitFiles(split, name: "ranking \(name)")
        let out = c.workDir + "/ranking-\(name)-\(arguments[1]).i32"
        guard let answer = peers.run(["ranking", "--train", files.train, "--users", String(train.userCount),
                                      "--items", String(train.itemCount), "--k", "10", "--write-topk", out] + arguments),
              let seconds = answer.double("fit_seconds"), let bytes = FileManager.default.contents(atPath: out)
        else { return nil }
        let lists = bytes.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
        let users = relevant.users.filter { $0 < train.userCount }
        let recommended = users.map { u in lists[(u * 10)..<((u + 1) * 10)].filter { $0 >= 0 } }
        return (try RankingMetrics(recommended: recommended, relevant: users.map { relevant.sets[$0] }, k: 10,
                                   catalogueSize: train.itemCount), seconds)
    }

    static func describe(_ e: EASE.Configuration) -> String {
        let weights: String
        switch e.weighting {
        case .levels(let w): weights = "weights \(w.map { String(format: "%g", $0) }.joined(separator: "/")) for 1–5★"
        default: weights = "binary"
        }
        return "λ=\(String(format: "%g", e.regularization)), p=\(String(format: "%g", e.dropoutEmphasis)), \(weights), "
            + "α=\(String(format: "%g", e.historyNormalization)), β=\(String(format: "%g", e.popularityDiscount))"
    }

    /// Test items rated ≥ 4 per user, and the users that have any.
    static func relevantSets(_ test: RatingsDataset) -> (sets: [Set<Int32>], users: [Int]) {
        var sets = [Set<Int32>](repeating: [], count: test.userCount)
        for row in 0..<test.count where test.ratings[row] >= 4 { sets[Int(test.users[row])].insert(test.items[row]) }
        return (sets, (0..<test.userCount).filter { !sets[$0].isEmpty })
    }
}
