/// A model whose user side is each user's own history (EASE): it is rebuilt from, and must
/// agree with, the rated lists of the data it was fitted on.
protocol HistoryBackedModel: Model {
    /// The user histories `rated` gives this model (through its own threshold and weighting).
    func history(from rated: UserItemIndex) throws -> UserItemIndex
    /// True when `history` is exactly this model's.
    func hasHistory(_ history: UserItemIndex) -> Bool
    /// The same weights with `history`: copied for a private twin, shared for a model that was
    /// just loaded and has no other owner.
    func withHistory(_ history: UserItemIndex, copyingWeights: Bool) throws -> Self
}

extension EASE: HistoryBackedModel {
    func history(from rated: UserItemIndex) throws -> UserItemIndex {
        try ImplicitFeedback.positives(of: rated, userCount: userCount, threshold: configuration.threshold,
                                       weighting: configuration.weighting)
    }

    func hasHistory(_ other: UserItemIndex) -> Bool {
        other.offsets == history.offsets && other.items == history.items && other.ratings == history.ratings
    }

    func withHistory(_ history: UserItemIndex, copyingWeights: Bool) throws -> EASE {
        try EASE(users: userCount, items: itemCount, configuration: configuration, history: history,
                 itemWeights: copyingWeights ? itemWeights.copy() : itemWeights,
                 itemWeightColumns: copyingWeights ? itemWeightColumns?.copy() : itemWeightColumns)
    }
}
