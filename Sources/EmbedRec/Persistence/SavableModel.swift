import Foundation

/// A model that a ``Recommender`` can save and open again.
///
/// A saved model is its ``kind``, its ``configuration`` as JSON, its user and item counts, and
/// every tensor in ``savedTensors`` under the tensor's own name. Opening builds the model from
/// the configuration and counts, checks that each tensor in the file has the shape the model
/// declares, and copies the values in — so a configuration and its tensors can never disagree.
///
/// The three built-in models conform. A model written elsewhere conforms the same way and is
/// passed to ``Recommender/init(contentsOf:modelKinds:)`` in `modelKinds`.
public protocol SavableModel: Model {
    /// The architecture settings saved in the file's metadata, enough to rebuild an empty model.
    associatedtype Configuration: Codable & Sendable
    /// A stable name for the file, e.g. `"BiasedMF"`.
    static var kind: String { get }
    /// The configuration that, with the counts, rebuilds the model's tensors' shapes.
    var configuration: Configuration { get }
    /// Every tensor whose values the model needs (for a ``TrainableModel``, its parameters
    /// unless it says otherwise), with distinct names.
    var savedTensors: [Tensor] { get }
    /// A model of this kind with tensors of the right shapes, ready to receive saved values
    /// (initialising them is wasted work: the loader overwrites every one).
    static func makeEmpty(users: Int, items: Int, configuration: Configuration) throws -> Self
}

extension SavableModel where Self: TrainableModel {
    public var savedTensors: [Tensor] { parameters }
}

extension SavableModel {

    /// A model of the same kind with the same values, sharing nothing with this one.
    func copy() throws -> Self {
        let twin = try Self.makeEmpty(users: userCount, items: itemCount, configuration: configuration)
        for (mine, theirs) in zip(savedTensors, twin.savedTensors) { theirs.assign(from: mine) }
        return twin
    }

    /// The configuration as JSON (sorted keys, so equal configurations give equal bytes).
    func configurationJSON() throws -> String {
        String(decoding: try ModelFileJSON.encoder.encode(configuration), as: UTF8.self)
    }

    /// Rebuilds an empty model of this kind from its saved configuration.
    static func makeEmpty(users: Int, items: Int, configurationJSON json: String) throws -> any SavableModel {
        let configuration: Configuration
        do {
            configuration = try JSONDecoder().decode(Configuration.self, from: Data(json.utf8))
        } catch {
            throw RecommenderFileError.invalidMetadata("model_configuration", "not a \(kind) configuration: \(error)")
        }
        do {
            return try makeEmpty(users: users, items: items, configuration: configuration)
        } catch let error as ConfigurationError {
            throw RecommenderFileError.invalidMetadata("model_configuration", error.description)
        }
    }
}

/// The JSON settings of every configuration and history EmbedRec writes into a file.
enum ModelFileJSON {
    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }
    static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }
}

/// A model whose saved values hold more than numbers (EASE's sparse columns are item
/// indices): the file's values are checked after they are read, before the model is used.
protocol CheckedOnOpening: SavableModel {
    /// Throws ``RecommenderFileError/inconsistentTensor(_:_:)`` for values the model cannot use.
    func checkOpenedValues() throws
}

extension EASE: CheckedOnOpening {}

/// A built-in gradient-trained model, which can be made with its tensors left uninitialised.
protocol UninitializedConstructible: SavableModel {
    init(users: Int, items: Int, configuration: Configuration, initialized: Bool) throws
}

extension UninitializedConstructible {
    public static func makeEmpty(users: Int, items: Int, configuration: Configuration) throws -> Self {
        try Self(users: users, items: items, configuration: configuration, initialized: false)
    }
}

extension MatrixFactorization: SavableModel, UninitializedConstructible {
    public static var kind: String { "MatrixFactorization" }
}

extension BiasedMF: SavableModel, UninitializedConstructible {
    public static var kind: String { "BiasedMF" }
    /// The parameters plus a held (untrained) global offset.
    public var savedTensors: [Tensor] {
        [userEmbedding, itemEmbedding, userBias, itemBias] + (globalOffset.map { [$0] } ?? [])
    }
}

extension ConcatMLP: SavableModel, UninitializedConstructible {
    public static var kind: String { "ConcatMLP" }
}

extension EASE: SavableModel {
    public static var kind: String { "EASE" }
    public var savedTensors: [Tensor] { [itemWeights] + (itemWeightColumns.map { [$0] } ?? []) }
    /// B only: a user's history row comes from the recommender's rated lists, through the
    /// configuration's threshold and weighting.
    public static func makeEmpty(users: Int, items: Int, configuration: Configuration) throws -> EASE {
        try EASE(users: users, items: items, configuration: configuration,
                 history: UserItemIndex(uncheckedOffsets: [Int](repeating: 0, count: users + 1), items: [], ratings: []))
    }
}
