extension Recipe {
    /// Tutorials A and C (goodbooks): 5-dimensional book and user embeddings, dot product;
    /// Adam 0.001, batch 64, 5 epochs (tutorial A trains 10).
    public static let tutorialDot5 = Recipe(
        name: "dot5", summary: "goodbooks tutorials A/C: Embedding 5 each, dot product",
        fitter: GradientTraining(architecture: BuiltInArchitecture.matrixFactorization(.init(dimension: 5)),
            training: .init(epochs: 5, batchSize: 64)))

    /// Tutorial B (goodbooks): 15 + 15 concatenated, Dense 128 ReLU, Dense 1 ReLU; Adam 0.001,
    /// batch 64, 5 epochs.
    public static let tutorialConcat15 = Recipe(
        name: "concat15", summary: "goodbooks tutorial B: 15+15 → 128 ReLU → 1 ReLU",
        fitter: GradientTraining(architecture: BuiltInArchitecture.concatMLP(.init(userDimension: 15, itemDimension: 15, hiddenUnits: [128], output: .relu),
                                 sigmoidToRatingRange: false),
            training: .init(epochs: 5, batchSize: 64)))

    /// Tutorial D (goodbooks): 10 + 10 concatenated, Dense 128 ReLU, Dense 32 ReLU, Dense 1;
    /// Adam 0.001, batch 1024, 200 steps (about a quarter of an epoch: one epoch here).
    public static let tutorialDeep10 = Recipe(
        name: "deep10", summary: "goodbooks tutorial D: 10+10 → 128 ReLU → 32 ReLU → 1",
        fitter: GradientTraining(architecture: BuiltInArchitecture.concatMLP(.init(userDimension: 10, itemDimension: 10, hiddenUnits: [128, 32]),
                                 sigmoidToRatingRange: false),
            training: .init(epochs: 1, batchSize: 1024)))

    /// Tutorial E's V1 (MovieLens): 50-dimensional He-normal embeddings with L2 1e-6, dot
    /// product; Adam 0.001, batch 64, 5 epochs.
    public static let tutorialV1 = Recipe(
        name: "v1", summary: "MovieLens tutorial E, V1: Embedding 50 (He-normal, L2 1e-6), dot product",
        fitter: GradientTraining(architecture: BuiltInArchitecture.matrixFactorization(.init(dimension: 50, initializer: .heNormal)),
            training: .init(epochs: 5, batchSize: 64, embeddingL2: 1e-6)))

    /// Tutorial E's V2: V1 plus user and item biases, sigmoid scaled to the rating range.
    public static let tutorialV2 = Recipe(
        name: "v2", summary: "MovieLens tutorial E, V2: V1 + biases, sigmoid scaled to the rating range",
        fitter: GradientTraining(architecture: BuiltInArchitecture.biasedMF(.init(dimension: 50, initializer: .heNormal), sigmoidToRatingRange: true),
            training: .init(epochs: 5, batchSize: 64, embeddingL2: 1e-6)))

    /// Tutorial E's Net: 50 + 50 concatenated, dropout 0.05, Dense 10 ReLU, dropout 0.5,
    /// Dense 1, sigmoid scaled to the rating range (He-normal throughout, L2 1e-6 on the tables).
    public static let tutorialNet = Recipe(
        name: "net", summary: "MovieLens tutorial E, Net: 50+50 → dropout 0.05 → 10 ReLU → dropout 0.5 → 1, sigmoid",
        fitter: GradientTraining(architecture: BuiltInArchitecture.concatMLP(.init(
            userDimension: 50, itemDimension: 50, hiddenUnits: [10], inputDropout: 0.05, hiddenDropout: [0.5],
            embeddingInitializer: .heNormal, kernelInitializer: .heNormal), sigmoidToRatingRange: true),
            training: .init(epochs: 5, batchSize: 64, embeddingL2: 1e-6)))

    /// BiasedMF tuned on ml-100k (d = 30, He-normal, sigmoid, Adam 0.001, batch 64, L2 1e-3 on
    /// the rows a batch uses); at most 60 epochs with early stopping after 5 without
    /// improvement — give the trainer a validation split carved from the training data.
    public static let tunedBiasedMF = Recipe(
        name: "biasedmf", summary: "BiasedMF tuned on ml-100k: d=30, He-normal, sigmoid, Adam 0.001, batch 64, L2 1e-3",
        fitter: GradientTraining(architecture: BuiltInArchitecture.biasedMF(.init(dimension: 30, initializer: .heNormal), sigmoidToRatingRange: true),
            training: .init(epochs: 60, batchSize: 64, optimizer: .adam(learningRate: 0.001), embeddingL2: 0.001,
                        earlyStoppingPatience: 5)))

    /// BiasedMF tuned on ml-1m (d = 50, He-normal, sigmoid, lazy Adam 0.001, batch 64, L2 1e-3);
    /// at most 40 epochs with early stopping after 4.
    public static let tunedBiasedMFLarge = Recipe(
        name: "biasedmf-large", summary: "BiasedMF tuned on ml-1m: d=50, He-normal, sigmoid, lazy Adam 0.001, batch 64, L2 1e-3",
        fitter: GradientTraining(architecture: BuiltInArchitecture.biasedMF(.init(dimension: 50, initializer: .heNormal), sigmoidToRatingRange: true),
            training: .init(epochs: 40, batchSize: 64, optimizer: .lazyAdam(learningRate: 0.001), embeddingL2: 0.001,
                        earlyStoppingPatience: 4)))

    /// The rating recipes, tutorials first.
    public static let ratingRecipes: [Recipe] = [
        tutorialDot5, tutorialConcat15, tutorialDeep10, tutorialV1, tutorialV2, tutorialNet,
        tunedBiasedMF, tunedBiasedMFLarge,
    ]
}

extension Recipe {
    /// EDLAE-regularised EASE over rating-weighted histories (1–5★ weigh 0.3, 0.4, 0.6, 1,
    /// 1.2), λ = 400, p = 0.25, history normalisation α = 0.3 and popularity discount β = 0.1:
    /// the settings a validation holdout of ml-1m's training data chose.
    public static let ease = Recipe(
        name: "ease", summary: "EASE, λ=400, EDLAE p=0.25, ratings weighted 0.3/0.4/0.6/1/1.2, α=0.3, β=0.1 (chosen on ml-1m validation)",
        fitter: EASE.Configuration(regularization: 400, dropoutEmphasis: 0.25, weighting: .levels([0.3, 0.4, 0.6, 1, 1.2]),
                                   historyNormalization: 0.3, popularityDiscount: 0.1))

    /// Weighted ALS, 64 factors, λ = 10, α = 1, 15 iterations (chosen on ml-1m and ml-100k
    /// validation).
    public static let als = Recipe(
        name: "als", summary: "weighted ALS, 64 factors, λ=10, α=1, 15 iterations (chosen on MovieLens validation)",
        fitter: ImplicitALS(configuration: .init(factors: 64, regularization: 10, iterations: 15, alpha: 1)))

    /// BPR on a 64-factor MatrixFactorization, each positive paired with the hardest of 8
    /// uniform negatives, Adam 0.002, batch 256, L2 1e-5, 20 epochs (chosen on ml-1m and
    /// goodbooks-shaped validation holdouts).
    public static let bpr = Recipe(
        name: "bpr", summary: "BPR, hardest of 8 negatives, MatrixFactorization 64, Adam 0.002, batch 256, L2 1e-5, 20 epochs",
        fitter: GradientTraining(
            architecture: BuiltInArchitecture.matrixFactorization(.init(dimension: 64, initializer: .normal(std: 0.1), predictsRatings: false)),
            training: .init(epochs: 20, batchSize: 256, optimizer: .adam(learningRate: 0.002), embeddingL2: 1e-5),
            loss: BPRLoss(negatives: 8, pairing: .hardestNegative)))

    /// Sampled softmax with 16 negatives on a 64-factor MatrixFactorization, Adam 0.002, L2
    /// 1e-4, 10 epochs (what the MovieLens validation holdouts prefer).
    public static let sampledSoftmax = softmaxRecipe(name: "softmax", dimension: 64, l2: "1e-4")

    /// Sampled softmax on a 128-factor MatrixFactorization with L2 1e-5, 10 epochs: a wider,
    /// lighter-regularised alternative to ``sampledSoftmax``, for short reading histories over a
    /// large catalogue. The ranking suite validates both on each dataset and keeps the better.
    public static let sampledSoftmaxWide = softmaxRecipe(name: "softmax-wide", dimension: 128, l2: "1e-5")

    /// Sampled softmax with 16 negatives on a MatrixFactorization, Adam 0.002, batch 256, 10
    /// epochs; `l2` is written as the summary shows it.
    private static func softmaxRecipe(name: String, dimension: Int, l2: String) -> Recipe {
        Recipe(
            name: name,
            summary: "sampled softmax (16 negatives), MatrixFactorization \(dimension), Adam 0.002, batch 256, L2 \(l2), 10 epochs",
            fitter: GradientTraining(
                architecture: BuiltInArchitecture.matrixFactorization(.init(dimension: dimension, initializer: .normal(std: 0.1), predictsRatings: false)),
                training: .init(epochs: 10, batchSize: 256, optimizer: .adam(learningRate: 0.002), embeddingL2: Float(l2)!),
                loss: SampledSoftmaxLoss(negatives: 16)))
    }

    /// The top-N recipes, best on MovieLens first.
    public static let rankingRecipes: [Recipe] = [ease, als, bpr, sampledSoftmax, sampledSoftmaxWide]

    /// Every recipe: the rating recipes, then the top-N ones.
    public static let all: [Recipe] = ratingRecipes + ensembleRecipes + rankingRecipes

    /// The recipe called `name`, if any.
    public static func named(_ name: String) -> Recipe? { all.first { $0.name == name } }
}
