// The code of Sources/EmbedRec/EmbedRec.docc/ChoosingAModel.md, verbatim (see
// GettingStartedSnippets.swift).
import EmbedRec
import Testing

@Suite("Snippets: Choosing a model")
struct ChoosingAModelSnippets {
    @Test func ratingVersusRanking() throws {
        var shape = SyntheticRatings.Configuration(users: 400, items: 300, ratings: 16_000)
        shape.exposure = 1            // readers pick by taste, so there is something to rank
        let data = try SyntheticRatings.generate(shape)
        let split = try data.perUserHoldout(fraction: 0.2, selection: .random(seed: 7))

        // Predicting stars: a rating model, judged by RMSE.
        let biasedMF = try Recipe.tunedBiasedMF.fit(split.train).model
        print("BiasedMF", try RatingMetrics(model: biasedMF, data: split.test))

        // Choosing what to show: a ranking recipe, judged by recall and NDCG at 10.
        let ease = try Recipe.ease.fit(split.train).model
        let als = try Recipe.als.fit(split.train).model
        let popular = try BaselineModel(.popularity, fittedOn: split.train)
        for (name, model) in [("EASE", ease), ("ALS", als), ("BiasedMF", biasedMF), ("popular", popular)] {
            print(name, try RankingMetrics(model: model, train: split.train, test: split.test, k: 10))
        }

        let easeMetrics = try RankingMetrics(model: ease, train: split.train, test: split.test, k: 10)
        #expect(easeMetrics.usersEvaluated > 0)
    }

    @Test func presetsByName() throws {
        for recipe in Recipe.all {
            print(recipe.name, recipe.predictsRatings ? "(ratings)" : "(top-N)", "—", recipe.summary)
        }
        let chosen = Recipe.named("v2") ?? .tunedBiasedMF

        #expect(chosen.name == Recipe.tutorialV2.name)
    }
}
