import EmbedRec
import Foundation

/// Are a model's "similar items" sensible? For the 100 most-interacted items of ml-100k,
/// goodbooks-shaped data and lastfm-2k, the fraction of each model's 10 nearest items that share
/// the item's genre / author / top tag — attributes no model sees — beside 10 random items (the
/// chance level), the 10 most popular items and item-item co-occurrence, with the neighbours'
/// mean popularity rank (does a list just follow popularity?). Every model is fitted through its
/// recipe at the recipe's settings.
enum NeighbourSuite {
    static let queryCount = 100
    static let k = 10

    static func run(_ c: BenchContext) throws {
        for set in try NeighbourDatasets.load(c) { try measure(c, set) }
    }

    /// The rating models where there are ratings, then the top-N ones (softmax in its 64-factor
    /// recipe only: the wide one adds a minute on the goodbooks-shaped set and no new kind of model).
    static func recipes(for set: NeighbourDataset) -> [Recipe] {
        (set.hasRatings ? [Recipe.tunedBiasedMF, .tutorialV1] : []) + [.ease, .als, .bpr, .sampledSoftmax]
    }

    static func measure(_ c: BenchContext, _ set: NeighbourDataset) throws {
        let judge = NeighbourJudge(data: set.data, attributes: set.attributes, queryCount: queryCount, k: k)
        let known = (0..<Int32(set.data.itemCount)).filter { set.attributes.isKnown($0) }.count
        print("\(set.name): \(set.data.count) rows, \(set.data.userCount) users, \(set.data.itemCount) items, "
              + "\(set.attributes.kind) known for \(known); judging the neighbours of \(judge.queries.count) items")
        if let first = judge.queries.first {
            print("  examples below: the first 5 neighbours of \(set.title(first.position)) [\(set.attributes.describe(first.position))]")
        }
        let chance = judge.randomItems(seed: 11), popular = judge.mostPopularItems()
        let notes = "the \(judge.queries.count) most-interacted items (with a known \(set.attributes.kind)), \(k) neighbours each"
        func add(_ label: String, _ score: NeighbourJudge.Score, fitSeconds: Double? = nil, notes: String = notes) {
            var extras = ["chance": chance.shared, "most popular": popular.shared, "mean popularity rank": score.meanPopularityRank]
            // Only where some items lack the attribute (lastfm's untagged artists).
            if score.known < 1 { extras["attribute known"] = score.known }
            if let fitSeconds { extras["fit s"] = fitSeconds }
            c.report.add(BenchResult(suite: "neighbours", name: "\(set.name) \(label)", unit: "shared \(set.attributes.kind)",
                                     values: [score.shared], extras: extras, notes: notes))
        }
        add("10 random items (chance)", chance)
        add("10 most popular items", popular)
        let cooccurrence = ItemCooccurrence(data: set.data)
        let byCooccurrence = { (item: ItemIndex) in cooccurrence.neighbours(of: item, k: k + 1).map(\.item.position) }
        add("co-occurrence cosine (no model)", judge.score(byCooccurrence))
        example(set, judge, "co-occurrence", byCooccurrence)

        let interactions = set.data.ratingsPerItem()
        for recipe in recipes(for: set) {
            let fitted = try fit(c, recipe, set)
            let recommender = try Recommender(model: fitted.model, training: fitted.training)
            for method in NeighbourMethod.allCases {
                guard let finder = try method.finder(recommender, interactions: interactions, k: k) else { continue }
                add("\(recipe.name): \(method.label)", try judge.score(finder), fitSeconds: fitted.seconds, notes: recipe.summary)
                try example(set, judge, "\(recipe.name), \(method.label)", finder)
            }
        }
    }

    /// `recipe`'s model on `set`, at the recipe's settings except: one thread for gradient
    /// training (Hogwild is not repeatable), counts weighed by log(1 + count) where the recipe
    /// weighs interactions (as `embedrec train` does), one epoch or iteration on a smoke run. A
    /// recipe that stops early validates on 10% carved from the data and is fitted on the rest.
    static func fit(_ c: BenchContext, _ recipe: Recipe, _ set: NeighbourDataset)
        throws -> (model: any Model, training: RatingsDataset, seconds: Double) {
        var changes = RecipeChanges()
        let settings = recipe.adjustableSettings
        if recipe.fitter is GradientTraining { changes.deterministic = true }
        if !set.hasRatings && settings.contains(.weighting) { changes.weighting = .logarithm }
        if c.smoke && settings.contains(.epochs) { changes.epochs = 1 }
        let adjusted = try recipe.adjusted(changes)
        var training = set.data, options = FitOptions()
        if let gradient = adjusted.fitter as? GradientTraining, gradient.training.earlyStoppingPatience != nil {
            let inner = try set.data.randomSplit(testFraction: 0.1, seed: 1)
            training = inner.train
            options.validation = inner.test
        }
        var model: (any Model)? = nil
        let seconds = try time { model = try adjusted.fit(training, options: options).model }
        return (model!, training, seconds)
    }

    /// Prints the first query's first five neighbours with their attribute, to read the figures by.
    static func example(_ set: NeighbourDataset, _ judge: NeighbourJudge, _ label: String,
                        _ neighbours: (ItemIndex) throws -> [Int32]) rethrows {
        guard let query = judge.queries.first else { return }
        let listed = try neighbours(query).filter { $0 != query.position }.prefix(5)
        print("    \(label): " + listed.map { "\(set.title($0)) [\(set.attributes.describe($0))]" }.joined(separator: "; "))
    }
}
