import ArgumentParser
import EmbedRec
import Foundation

/// Train and evaluate a model on any supported ratings file.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model on a ratings file and report test metrics.",
        discussion: """
        Multi-threaded training updates rows without locks (Hogwild): runs with the same seed differ slightly; --deterministic trains on one thread, repeatably.

        Each epoch of a rating model is validated on --validation-fraction of the training ratings (never on the test ratings, which are scored once at the end), and the best epoch count is kept; --patience stops early on that validation RMSE. The model is then fitted again on all the training ratings for that many epochs, unless --no-refit. On a terminal a progress bar shows the epoch, batches, loss, validation RMSE, ratings/s and ETA on standard error; otherwise one line per epoch.

        Examples:
          embedrec train ml-100k/u.data --output m.safetensors
          embedrec train --train ml-100k/u1.base --test ml-100k/u1.test --format udata
          embedrec train ratings.csv --epochs 30 --patience 3 --threads 2
          embedrec train ratings.csv --model ease --split per-user --holdout latest --test-fraction 0.2
        """)

    @Argument(help: "Ratings file (split at random into training and test ratings).")
    var ratings: String?

    @Option(help: "A training file, with --test, instead of the ratings argument.")
    var train: String?

    @OptionGroup(title: "Reading the ratings file")
    var ratingsFile: RatingsFileOptions

    @Option(help: "A rating value that records an interaction without a rating (Book-Crossing's 0), or 'none'. Top-N models count such rows as interactions; rating models leave them out. Default: 0 when the ratings run from 0 with 0 on a fifth of the rows or more, else none.")
    var implicitRating: ImplicitRatingArgument?

    @Option(help: "Recipe: \((Recipe.ratingRecipes + Recipe.ensembleRecipes).map(\.name).joined(separator: ", ")) (rating prediction), or \(Recipe.rankingRecipes.map(\.name).joined(separator: ", ")) (top-N). Default: biasedmf for ratings, als for counts (plays, clicks: only top-N models learn from them).")
    var model: RecipeChoice?

    @Option(help: "Embedding dimension (default: the recipe's); ALS's factors. Not for ease.")
    var dimension: Int?

    @Option(help: "Training epochs (at most: the best validated count is kept; default the recipe's: the tutorials' for dot5, concat15, deep10, v1, v2 and net, 10 for biasedmf and biasedmf-large); ALS's iterations. Not for ease.")
    var epochs: Int?

    @Option(help: "The ridge penalty λ: EASE's (default 400), ALS's (default 10). Not for the other models.")
    var regularization: Float?

    @Option(help: "ALS's confidence scale α: a positive weighs 1 + α (default 1). ALS only.")
    var alpha: Float?

    @Flag(help: "ALS's λ times each user's and each item's number of interactions (ALS-WR, Spark MLlib's rule); λ 0.1 unless --regularization says (0.1–0.5 validated best). ALS only.")
    var regularizationPerInteraction = false

    @Option(help: "Negatives sampled per positive: bpr's (default 8, the hardest of them paired), softmax's (default 16). Those only.")
    var negatives: Int?

    @Option(help: "Models averaged into one by biasedmf-avg (default 16). Not for the other models.")
    var members: Int?

    @Option(help: "Keep only this many of EASE's weights per item (the largest): a smaller model that scores faster, at a small cost in recall (Docs/Benchmarks.md: 200 keeps 99.5% of ml-1m's recall@10). Default: all. EASE only.")
    var weightsPerItem: Int?

    @Option(help: "Test fraction of the split (default 0.1): of all ratings, or of each user's with --split per-user; not with --test, whose file is the test set.")
    var testFraction: Double?

    /// How the ratings file is split into training and test ratings.
    enum Split: String, ExpressibleByArgument, CaseIterable {
        /// Ratings drawn at random (rating prediction's protocol).
        case random
        /// Part of each user's ratings held out (the top-N protocol: every user is in both parts).
        case perUser = "per-user"
    }

    @Option(help: "random (default: ratings drawn at random) or per-user (--test-fraction of each user's ratings held out, the top-N protocol; users with one rating stay in training). Not with --test.")
    var split: Split?

    @Option(help: "Which of each user's ratings --split per-user holds out: random (default) or latest (by timestamp; file order without timestamps).")
    var holdout: HoldoutChoice?

    @Option(help: "Fraction of the training ratings held out to validate each epoch (0: none; default 0.1). Rating models only.")
    var validationFraction: Double?

    @Option(help: "Stop after this many epochs without a better validation RMSE; keep the best epoch. Rating models only.")
    var patience: Int?

    @Flag(help: "Keep the model fitted on the training part less its validation ratings; by default a rating model is fitted again on all the training ratings for the best validated number of epochs.")
    var noRefit = false

    @Option(help: "Seed for the splits, initialisation and shuffling.")
    var seed: UInt64 = 42

    @Option(help: "Training threads (default: all cores).")
    var threads: Int?

    @Option(help: "A fixed test file (same format) instead of a random split of the ratings file.")
    var test: String?

    @Flag(help: "Train on one thread so that the same seed gives the same model whatever the core count (slower); the saved file then leaves out wall-clock timings, so identical runs write identical bytes.")
    var deterministic = false

    @Option(help: "Titles to store with --output: goodbooks books.csv, MovieLens movies.csv or u.item.")
    var catalog: String?

    @Option(help: "Write the trained recommender (model, ID maps, rated lists, training record) to this safetensors file.")
    var output: String?

    mutating func validate() throws {
        guard (ratings == nil) != (train == nil) else { throw ValidationError("give a ratings file, or --train FILE --test FILE") }
        guard train == nil || test != nil else { throw ValidationError("--train needs --test FILE") }
        guard (0.0..<1).contains(testFraction ?? 0.1), testFraction ?? 0.1 > 0 else {
            throw ValidationError("--test-fraction must be in (0, 1), got \(testFraction!)")
        }
        guard test == nil || testFraction == nil else { throw ValidationError("--test-fraction splits a ratings file; with --test FILE that file is the test set") }
        guard test == nil || split == nil else { throw ValidationError("--split splits a ratings file; with --test FILE that file is the test set") }
        guard holdout == nil || split == .perUser else { throw ValidationError("--holdout chooses what --split per-user holds out; give --split per-user") }
        guard (threads ?? 1) <= 1024 else { throw ValidationError("--threads must be at most 1024, got \(threads!)") }
        guard !deterministic || threads == nil else { throw ValidationError("--deterministic trains on one thread; leave out --threads") }
        guard (0..<1).contains(validationFraction ?? 0) else {
            throw ValidationError("--validation-fraction must be in [0, 1), got \(validationFraction!)")
        }
        guard epochs ?? 1 >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard dimension ?? 1 >= 1 else { throw ValidationError("--dimension must be at least 1") }
        guard patience ?? 1 >= 1, threads ?? 1 >= 1 else { throw ValidationError("--patience and --threads must be at least 1") }
        guard !noRefit || (validationFraction ?? 0.1) > 0 else {
            throw ValidationError("--no-refit keeps the model fitted without the validation ratings; with --validation-fraction 0 there are none")
        }
        guard patience == nil || (validationFraction ?? 0.1) > 0 else {
            throw ValidationError("--patience needs a validation split (--validation-fraction > 0); the test set never chooses the epoch")
        }
        // The default recipe follows the data: counts and bare interactions (implicit feedback) take a top-N model.
        let counts = (try? ratingsFile.resolve(ratings ?? train!))?.format.values.areRatings == false
        // Without counts the default waits for the data: implicit zeros (Book-Crossing) take a top-N model too.
        let model = self.model ?? RecipeChoice(argument: counts ? "als" : "biasedmf")!
        if counts { self.model = model }
        if counts && model.recipe.predictsRatings {
            throw ValidationError("\(ratings ?? train!) holds implicit feedback (counts or bare interactions), not ratings: \(model.recipe.name) predicts ratings; take a top-N model (\(Recipe.rankingRecipes.map(\.name).joined(separator: ", ")))")
        }
        if !model.recipe.predictsRatings {
            // A top-N recipe is judged by ranking metrics: no validation RMSE, no early stopping on it.
            for (option, given) in [("--patience", patience != nil), ("--validation-fraction", validationFraction != nil), ("--no-refit", noRefit)] where given {
                throw ValidationError("\(option) applies to rating models only; \(model.recipe.name) is fitted on the whole training part")
            }
        }
        if self.model == nil && !counts {
            // The default is biasedmf, or ALS for a file with implicit zeros (known once it is
            // read): a setting one of them takes passes here, and run checks the one chosen.
            if ["biasedmf", "als"].allSatisfy({ (try? recipe(counts: false, defaultChoice: $0)) == nil }) { _ = try recipe(counts: counts) }
        } else {
            _ = try recipe(counts: counts)
        }
        // Everything the run will write or read besides the ratings is checked now, not after training.
        if let output { try checkOutputPath(output, option: "--output") }
        if let catalog { try checkInputPath(catalog, option: "--catalog") }
    }

    /// The recipe with this command's settings; a setting it cannot take is a usage error.
    /// With `counts`, a recipe that weighs interactions weighs each by log(1 + count)
    /// (Docs/Datasets.md: lastfm-2k measured both ways).
    func recipe(counts: Bool, defaultChoice: String = "biasedmf") throws -> Recipe {
        let recipe = (model ?? RecipeChoice(argument: defaultChoice)!).recipe
        // --seed always applies (it seeds the split); the recipe takes it where it has
        // randomness. A rating model trains its recipe's epochs (a tutorial's as the tutorial
        // does), at most 10 unless told: the tuned recipes' 60 are a ceiling for early stopping.
        let recipeEpochs = (recipe.fitter as? GradientTraining).flatMap { recipe.predictsRatings ? $0.training.epochs : nil }
        var adjusted = try adjustedRecipe(recipe, RecipeChanges(
            dimension: dimension, epochs: epochs ?? recipeEpochs.flatMap { $0 > 10 ? 10 : nil },
            seed: recipe.adjustableSettings.contains(.seed) ? seed : nil, deterministic: deterministic, patience: patience,
            // ALS-WR's λ is per interaction: 10, the als recipe's constant λ, would crush the factors.
            regularization: regularization ?? (regularizationPerInteraction && recipe.adjustableSettings.contains(.regularizationScaling) ? 0.1 : nil),
            alpha: alpha, negatives: negatives,
            weighting: counts && recipe.adjustableSettings.contains(.weighting) ? .logarithm : nil, members: members,
            weightsPerItem: weightsPerItem, regularizationScaling: regularizationPerInteraction ? .interactionCount : nil))
        // Validated training keeps its best epoch; it stops early only with --patience (a
        // patience as long as the run never stops it). Without validation a tuned recipe's own
        // patience would stop on the training loss: none then.
        if var gradient = adjusted.fitter as? GradientTraining {
            let validated = (validationFraction ?? 0.1) > 0
            gradient.training.earlyStoppingPatience = validated ? (patience ?? gradient.training.epochs) : nil
            adjusted.fitter = gradient
        }
        return adjusted
    }

    mutating func run() throws {
        var split: TrainTestSplit
        let trainPath = ratings ?? train!
        let (format, formatSummary, nouns) = try ratingsFile.resolve(trainPath)
        var implicit: Float? = nil
        // The catalogue is read before training: a bad one fails now, not after the fit.
        let titles = try catalog.map { try Demo.loadCatalog($0).items }
        // A catalogue's own words (films for movies.csv) win over what a column name implies.
        let words = titles?.nouns ?? nouns
        if let test {
            let pair = try RatingsLoader.loadPair(trainPath: trainPath, testPath: test, format: format)
            split = TrainTestSplit(train: pair.train, test: pair.test)
            implicit = implicitRatingValue(of: pair.train, format: format)
            print("\(trainPath) (\(formatSummary)): \(pair.train.count) training ratings; \(test): \(pair.test.count) test ratings")
        } else {
            let data = try RatingsLoader.load(path: trainPath, format: format)
            print("\(trainPath) (\(formatSummary)): \(data.count) \(format.values.areRatings ? "ratings" : "rows"), \(data.userCount) users, \(data.itemCount) items")
            implicit = implicitRatingValue(of: data, format: format)
            switch self.split ?? .random {
            case .random:
                split = try data.randomSplit(testFraction: testFraction ?? 0.1, seed: seed)
            case .perUser:
                let selection: HoldoutSelection = holdout == .latest ? .latest : .random(seed: seed)
                split = try data.perUserHoldout(fraction: testFraction ?? 0.1, selection: selection)
                print("Per-user holdout: \(split.test.count) test ratings (\(holdout == .latest ? "each user's latest" : "drawn from each user's"))")
            }
        }
        if let implicit {
            let rows = split.train.ratings.lazy.filter { $0 == implicit }.count
            print("Rating \(String(format: "%g", implicit)) records an interaction without a rating (\(rows) of \(split.train.count) training rows): "
                  + "top-N models count it, rating models leave it out (--implicit-rating none to treat it as a rating)")
        }
        let recipe = try self.recipe(counts: format.values == .counts, defaultChoice: implicit == nil ? "biasedmf" : "als")
        let parallelism: Parallelism? = deterministic ? .sequential : threads.map { Parallelism(threads: $0) }
        guard recipe.predictsRatings else {
            return try fitRanking(recipe, split, parallelism: parallelism, titles: titles, nouns: words, format: format, implicit: implicit)
        }
        if let implicit {
            split = TrainTestSplit(train: split.train.explicitRatings(excluding: implicit), test: split.test.explicitRatings(excluding: implicit))
            guard !split.train.isEmpty, !split.test.isEmpty else {
                throw CommandFailure("no ratings other than \(String(format: "%g", implicit)) in the training or test part: train a top-N model (\(Recipe.rankingRecipes.map(\.name).joined(separator: ", ")))")
            }
            print("The rating model learns from the \(split.train.count) explicit training ratings")
        }
        // Validation (and early stopping) on ratings carved from the training part only: the
        // test ratings are read once, after training.
        let fitted: RatingsDataset, validation: RatingsDataset?
        let validationFraction = self.validationFraction ?? 0.1
        if validationFraction > 0 {
            let inner = try split.train.randomSplit(testFraction: validationFraction, seed: seed &+ 1)
            guard !inner.test.isEmpty, !inner.train.isEmpty else {
                throw CommandFailure("--validation-fraction \(validationFraction) of \(split.train.count) training ratings leaves an empty part; change it, or 0 for no validation")
            }
            (fitted, validation) = (inner.train, inner.test)
            print("Training \(recipe.name) (\(recipe.summary)) on \(inner.train.count) ratings, validating on \(inner.test.count) carved from them"
                  + (patience.map { " (early stopping, patience \($0))" } ?? "") + ":")
        } else {
            (fitted, validation) = (split.train, nil)
            print("Training \(recipe.name) (\(recipe.summary)) on \(split.train.count) ratings (no validation split):")
        }
        var result = try fitWithProgress(recipe, train: fitted, validation: validation, parallelism: parallelism)
        let chosen = result.history!
        let kept = chosen.stoppedEarly || chosen.bestEpoch != chosen.epochs.last?.epoch
            ? "best epoch \(chosen.bestEpoch) of \(chosen.epochs.count) by validation RMSE" : "epoch \(chosen.bestEpoch)"
        if validation != nil && !noRefit {
            // The validation ratings chose the epoch count; the model then learns from them too.
            print("Chose \(kept); refitting on all \(split.train.count) training ratings for \(chosen.bestEpoch) epochs (--no-refit keeps the model fitted on \(fitted.count)):")
            var refit = try adjustedRecipe(recipe, RecipeChanges(epochs: chosen.bestEpoch, deterministic: deterministic))
            if var gradient = refit.fitter as? GradientTraining {
                gradient.training.earlyStoppingPatience = nil
                refit.fitter = gradient
            }
            let refitted = try fitWithProgress(refit, train: split.train, validation: nil, parallelism: parallelism)
            // The saved record is the run that chose the epoch count (its validation curve is
            // what `plot loss` draws); the weights are the refit's.
            result = FittedModel(model: refitted.model, history: chosen, training: refitted.training)
            print("Model refitted for \(chosen.bestEpoch) epochs: test \(try RatingMetrics(model: result.model, data: split.test))")
        } else {
            print("Model from \(kept): test \(try RatingMetrics(model: result.model, data: split.test))")
        }
        let model = result.model, history = result.history!
        let relevance = RankingMetrics.defaultRelevanceThreshold(ratingScale: format.ratingScale ?? split.train.ratingRange, values: format.values)
        let ranking = try RankingMetrics(model: model, train: split.train, test: split.test, k: 10, relevanceThreshold: relevance)
        print("Ranking: \(ranking)")
        if let output {
            try Recommender(model: model, training: split.train, configuration: result.training,
                            history: deterministic ? history.withoutTimings : history, catalog: titles, nouns: words)
                .save(to: output)
            print("Saved the recommender to \(output)")
        }
    }

    /// The rating that records an interaction without a rating: `--implicit-rating` when given
    /// (`none` is nil), else what the data looks like; never for counts.
    func implicitRatingValue(of data: RatingsDataset, format: RatingsFileFormat) -> Float? {
        guard format.values.areRatings else { return nil }
        if let implicitRating { return implicitRating.value }
        return data.likelyImplicitRating
    }

    /// A top-N model: fitted on the whole training part, judged by its ranking metrics only (its
    /// scores are not ratings).
    func fitRanking(_ recipe: Recipe, _ split: TrainTestSplit, parallelism: Parallelism?, titles: ItemCatalog?, nouns: CatalogNouns?,
                    format: RatingsFileFormat,
                    implicit: Float? = nil) throws {
        let rows = !format.values.areRatings || implicit != nil ? "rows" : "ratings"
        // Relevant: the scale's top quarter (4 and up on 1–5 stars), or every interaction for
        // counts and for files whose implicit rows say "read" without a rating.
        let relevance: Float = implicit != nil ? -.greatestFiniteMagnitude
            : RankingMetrics.defaultRelevanceThreshold(ratingScale: format.ratingScale ?? split.train.ratingRange, values: format.values)
        print("Fitting \(recipe.summary) on \(split.train.count) \(rows):")
        let start = DispatchTime.now().uptimeNanoseconds
        let fitted = try fitWithProgress(recipe, train: split.train, validation: nil, parallelism: parallelism)
        print(String(format: "Fitted in %.2f s", Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
        let ranking = try RankingMetrics(model: fitted.model, train: split.train, test: split.test, k: 10, relevanceThreshold: relevance)
        let popular = try RankingMetrics(model: try BaselineModel(.popularity, fittedOn: split.train), train: split.train, test: split.test, k: 10,
                                         relevanceThreshold: relevance)
        print("Ranking: \(ranking)")
        print(String(format: "Most popular: R@10 %.4f NDCG@10 %.4f", popular.recall, popular.ndcg))
        if let output {
            try Recommender(model: fitted.model, training: split.train, configuration: fitted.training,
                            history: deterministic ? fitted.history?.withoutTimings : fitted.history, catalog: titles, nouns: nouns)
                .save(to: output)
            print("Saved the recommender to \(output)")
        }
    }
}

/// `--holdout`: which of each user's ratings a per-user split holds out.
enum HoldoutChoice: String, ExpressibleByArgument, CaseIterable {
    case random, latest
}

/// `--implicit-rating 0` or `--implicit-rating none`.
struct ImplicitRatingArgument: ExpressibleByArgument {
    let value: Float?
    init?(argument: String) {
        if argument == "none" { value = nil; return }
        guard let v = Float(argument), v.isFinite else { return nil }
        value = v
    }
}
