import Foundation
import EmbedRecKernels

/// The saved-recommender file: safetensors with EmbedRec's tensors and metadata.
///
/// Docs/FileFormat.md describes the layout for readers in other languages.
enum RecommenderFile {
    static let format = "embedrec.recommender"
    /// 1: integer IDs only. 2: an ID map may hold text (``Name/userIDOffsets``); written only
    /// then, so a file of integer IDs still opens in readers of version 1. 3: the model's fold-in
    /// multiplies λ by the reader's items (ALS-WR), which an older reader would ignore and fold
    /// in differently; written only then.
    static let version = 3
    static let readableVersions = 1...3

    /// The lowest version that holds `recommender` faithfully.
    static func version(of recommender: Recommender) -> Int {
        if let mf = recommender.model as? MatrixFactorization,
           case .implicitFeedback(_, _, _, _, .interactionCount?) = mf.configuration.newReaders { return 3 }
        return recommender.userIDs.holdsText || recommender.itemIDs.holdsText ? 2 : 1
    }

    /// Tensor names of the recommender's own parts; model tensors keep their model names.
    enum Name {
        static let userIDs = "user_ids"
        static let itemIDs = "item_ids"
        /// With text IDs (version 2) `user_ids` is the UTF-8 of every ID (U8) and ID k is
        /// `user_ids[offsets[k]..<offsets[k + 1]]`.
        static let userIDOffsets = "user_id_offsets"
        static let itemIDOffsets = "item_id_offsets"
        static let ratedOffsets = "rated_offsets"
        static let ratedItems = "rated_items"
        static let ratedRatings = "rated_ratings"
        static let all: Set<String> = [userIDs, itemIDs, userIDOffsets, itemIDOffsets, ratedOffsets, ratedItems, ratedRatings]
    }

    /// Metadata keys.
    enum Key {
        static let format = "format", version = "format_version"
        static let modelKind = "model_kind", modelConfiguration = "model_configuration"
        static let userCount = "user_count", itemCount = "item_count"
        static let ratingScale = "rating_scale", defaultRating = "fold_in_default_rating"
        static let training = "training_configuration", history = "training_history"
        static let catalog = "catalog", nouns = "nouns", createdBy = "created_by"
    }

    struct RatingScale: Codable { let min: Float; let max: Float }

    /// The tensors of one ID map: its integers, or its text's bytes and offsets.
    static func idTensors(_ storage: RawIDStorage, name: String, offsetsName: String) -> [(name: String, dtype: SafeTensors.DType, count: Int, bytes: [UInt8])] {
        switch storage {
        case .integers(let ids, _):
            return [(name, .i64, ids.count, ids.withUnsafeBytes { Array($0) })]
        case .texts(let texts):
            let offsets = texts.offsets.map { Int64($0) }
            return [(name, .u8, texts.bytes.count, texts.bytes),
                    (offsetsName, .i64, offsets.count, offsets.withUnsafeBytes { Array($0) })]
        }
    }

    /// Reads and checks one ID map of `count` IDs: strictly ascending, text valid UTF-8.
    static func readIDs(_ file: SafeTensorsFile, name: String, offsetsName: String, count: Int) throws -> RawIDStorage {
        if file.tensors[name]?.dtype == .u8 {
            let bytes = try file.array(name, dtype: .u8, as: UInt8.self)
            let offsets = try file.array(offsetsName, dtype: .i64, as: Int64.self, shape: [count + 1]).map { Int(clamping: $0) }
            guard offsets.first == 0, offsets.last == bytes.count, zip(offsets, offsets.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw RecommenderFileError.inconsistentTensor(offsetsName, "offsets must rise from 0 to \(bytes.count), every ID non-empty")
            }
            guard String(validating: bytes, as: UTF8.self) != nil else {
                throw RecommenderFileError.inconsistentTensor(name, "text IDs are not valid UTF-8")
            }
            let texts = TextIDs(bytes: bytes, offsets: offsets)
            if let k = texts.firstUnsortedPosition() {
                throw RecommenderFileError.inconsistentTensor(name, "raw IDs must be strictly ascending (position \(k))")
            }
            return .texts(texts)
        }
        let ids = try file.array(name, dtype: .i64, as: Int64.self)
        guard ids.count == count else { throw RecommenderFileError.idMapMismatch(name, count: ids.count, expected: count) }
        for k in ids.indices.dropFirst() where ids[k] <= ids[k - 1] {
            throw RecommenderFileError.inconsistentTensor(name, "raw IDs must be strictly ascending (position \(k))")
        }
        guard file.tensors[offsetsName] == nil else { throw RecommenderFileError.unexpectedTensor(offsetsName) }
        return UserIDMap(sortedUniqueRawIDs: ids).storage
    }
}

/// The built-in model kinds a file may hold.
extension Recommender {
    /// ``MatrixFactorization`` (also what ``ImplicitALS`` and the ranking-loss presets fit),
    /// ``BiasedMF``, ``ConcatMLP`` and ``EASE``: what ``init(contentsOf:modelKinds:)`` opens
    /// unless told otherwise.
    public static let builtInModelKinds: [any SavableModel.Type] = [
        MatrixFactorization.self, BiasedMF.self, ConcatMLP.self, EASE.self,
    ]

    /// Writes the recommender to `path` as one safetensors file, atomically: a temporary file in
    /// the same folder is written, flushed and renamed, so a failure leaves an existing file
    /// intact.
    ///
    /// - Throws: ``RecommenderFileError/unsavableModel(_:)`` for a model that is not a
    ///   ``SavableModel``, ``RecommenderFileError/nameClash(_:)`` when a model tensor is named
    ///   like one of the recommender's, ``FileError/cannotWrite(path:reason:)``.
    public func save(to path: String) throws { try save(to: path, failingAfterBytes: nil) }

    func save(to path: String, failingAfterBytes: Int?) throws {
        guard let savable = model as? any SavableModel else { throw RecommenderFileError.unsavableModel(model.summary) }
        let tensors = savable.savedTensors
        for t in tensors where RecommenderFile.Name.all.contains(t.name) { throw RecommenderFileError.nameClash(t.name) }
        var metadata: [String: String] = [
            RecommenderFile.Key.format: RecommenderFile.format,
            RecommenderFile.Key.version: String(RecommenderFile.version(of: self)),
            RecommenderFile.Key.modelKind: type(of: savable).kind,
            RecommenderFile.Key.modelConfiguration: try savable.configurationJSON(),
            RecommenderFile.Key.userCount: String(model.userCount),
            RecommenderFile.Key.itemCount: String(model.itemCount),
            RecommenderFile.Key.defaultRating: "\(foldInDefaultRating)",
            RecommenderFile.Key.createdBy: "EmbedRec",
        ]
        let encoder = ModelFileJSON.encoder
        func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        if let r = ratingScale { metadata[RecommenderFile.Key.ratingScale] = try json(RecommenderFile.RatingScale(min: r.lowerBound, max: r.upperBound)) }
        if let c = trainingConfiguration { metadata[RecommenderFile.Key.training] = try json(c) }
        if let h = history { metadata[RecommenderFile.Key.history] = try json(h) }
        if let c = catalog { metadata[RecommenderFile.Key.catalog] = try json(c.items) }
        if nouns != .generic { metadata[RecommenderFile.Key.nouns] = try json(nouns) }

        let offsets = ratedItems.offsets.map { Int64($0) }
        typealias N = RecommenderFile.Name
        let idTensors = RecommenderFile.idTensors(userIDs.storage, name: N.userIDs, offsetsName: N.userIDOffsets)
            + RecommenderFile.idTensors(itemIDs.storage, name: N.itemIDs, offsetsName: N.itemIDOffsets)
        // The rated lists (a row per training rating) are written from their own storage, not copied.
        try withByteBuffers(idTensors.map(\.bytes)) { idBytes in
            try offsets.withUnsafeBytes { offsetBytes in
                try ratedItems.items.withUnsafeBytes { ratedBytes in
                    try ratedItems.ratings.withUnsafeBytes { ratingBytes in
                        var entries = tensors.map { t in
                            SafeTensors.Entry(name: t.name, dtype: .f32, shape: t.shape,
                                              bytes: UnsafeRawBufferPointer(start: t.storage, count: t.count * 4))
                        }
                        for (t, bytes) in zip(idTensors, idBytes) {
                            entries.append(.init(name: t.name, dtype: t.dtype, shape: [t.count], bytes: bytes))
                        }
                        entries += [
                            .init(name: N.ratedOffsets, dtype: .i64, shape: [offsets.count], bytes: offsetBytes),
                            .init(name: N.ratedItems, dtype: .i32, shape: [ratedItems.items.count], bytes: ratedBytes),
                            .init(name: N.ratedRatings, dtype: .f32, shape: [ratedItems.ratings.count], bytes: ratingBytes),
                        ]
                        try SafeTensors.write(entries, metadata: metadata, to: path, failingAfterBytes: failingAfterBytes)
                    }
                }
            }
        }
    }

    /// Opens a recommender saved by ``save(to:)``, validating everything before trusting it:
    /// the safetensors structure (``SafeTensorsError``), then the format and version, the model
    /// kind and configuration, every tensor's dtype and shape against the configuration, the ID
    /// maps against the model's counts and the rated lists (``RecommenderFileError``). A file
    /// larger than the machine's memory is refused before any tensor is read
    /// (``FileError/cannotRead(path:reason:)`` naming both sizes).
    ///
    /// - Parameters:
    ///   - path: the file written by ``save(to:)``.
    ///   - modelKinds: the model types the file may hold (the built-in ones by default;
    ///     add your own ``SavableModel`` types).
    public init(contentsOf path: String, modelKinds: [any SavableModel.Type] = Recommender.builtInModelKinds) throws {
        let file = try SafeTensorsFile(path: path)
        // Every tensor is read into memory: a file larger than memory is refused here, before
        // anything its header declares is allocated (not in malloc or by the OOM killer).
        let memory = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        guard file.fileSize <= memory else {
            throw FileError.cannotRead(path: path, reason:
                "the file is \(file.fileSize >> 20) MiB, more than this machine's \(memory >> 20) MiB of memory; a recommender is read into memory whole")
        }
        let meta = file.metadata
        typealias K = RecommenderFile.Key
        func value(_ key: String) throws -> String {
            guard let v = meta[key] else { throw RecommenderFileError.missingMetadata(key) }
            return v
        }
        guard try value(K.format) == RecommenderFile.format else {
            throw RecommenderFileError.invalidMetadata(K.format, "\"\(meta[K.format]!)\" is not \(RecommenderFile.format)")
        }
        let versionText = try value(K.version)
        guard let version = Int(versionText) else { throw RecommenderFileError.invalidMetadata(K.version, "\"\(versionText)\" is not a number") }
        guard RecommenderFile.readableVersions.contains(version) else {
            throw RecommenderFileError.unsupportedVersion(found: version, supported: RecommenderFile.version)
        }
        func count(_ key: String) throws -> Int {
            let text = try value(key)
            guard let n = Int(text), n > 0, n <= Int(Int32.max) else {
                throw RecommenderFileError.invalidMetadata(key, "\"\(text)\" is not a count in 1...\(Int32.max)")
            }
            return n
        }
        let users = try count(K.userCount), items = try count(K.itemCount)
        let kindName = try value(K.modelKind)
        guard let kind = modelKinds.first(where: { $0.kind == kindName }) else {
            throw RecommenderFileError.unknownModelKind(kindName, known: modelKinds.map { $0.kind })
        }
        // The file must hold every tensor the configuration declares, with its shape, and no
        // tensor that neither the model nor the recommender knows.
        // Before the model allocates: the counts must match the ID maps (whose bytes the offsets
        // check found in the file) and the configuration's tensors must fit in the file's data.
        typealias N = RecommenderFile.Name
        for (name, offsetsName, expected) in [(N.userIDs, N.userIDOffsets, users), (N.itemIDs, N.itemIDOffsets, items)] {
            if version >= 2 && file.tensors[name]?.dtype == .u8 {
                let offsets = try file.info(offsetsName, dtype: .i64)
                guard offsets.shape == [expected + 1] else {
                    throw RecommenderFileError.idMapMismatch(offsetsName, count: offsets.elementCount - 1, expected: expected)
                }
                continue
            }
            let map = try file.info(name, dtype: .i64)
            guard map.shape == [expected] else {
                throw RecommenderFileError.idMapMismatch(name, count: map.elementCount, expected: expected)
            }
        }
        let configurationJSON = try value(K.modelConfiguration)
        let model = try Tensor.$savedBytesAvailable.withValue(file.dataLength) {
            try kind.makeEmpty(users: users, items: items, configurationJSON: configurationJSON)
        }
        let modelTensors = model.savedTensors
        for name in file.tensors.keys where !RecommenderFile.Name.all.contains(name) && !modelTensors.contains(where: { $0.name == name }) {
            throw RecommenderFileError.unexpectedTensor(name)
        }
        // The model's tensors and the recommender's lists are independent: read and check them
        // on two threads.
        var modelError: (any Error)? = nil
        var lists: Result<Lists, any Error> = .failure(RecommenderFileError.missingMetadata(""))
        withUnsafeMutablePointer(to: &modelError) { modelErrorOut in
            withUnsafeMutablePointer(to: &lists) { listsOut in
                let outputs = UncheckedSendable((modelErrorOut, listsOut))
                parallelFor(2) { half in
                    if half == 0 {
                        do {
                            for t in modelTensors { try file.copyFloats(t.name, shape: t.shape, into: t.storage) }
                            for t in modelTensors where !t.allFinite { throw RecommenderFileError.nonFiniteValues(t.name) }
                            try (model as? any CheckedOnOpening)?.checkOpenedValues()
                        } catch { outputs.value.0.pointee = error }
                    } else {
                        outputs.value.1.pointee = Result { try Self.readLists(file, users: users, items: items) }
                    }
                }
            }
        }
        if let modelError { throw modelError }
        let (userRaw, itemRaw, rated, statistics) = try lists.get()
        let decoder = ModelFileJSON.decoder
        func decode<T: Decodable>(_ type: T.Type, _ key: String) throws -> T? {
            guard let text = meta[key] else { return nil }
            do { return try decoder.decode(T.self, from: Data(text.utf8)) }
            catch { throw RecommenderFileError.invalidMetadata(key, "not valid JSON of the expected shape") }
        }
        let scale = try decode(RecommenderFile.RatingScale.self, K.ratingScale)
        if let scale, !(scale.min.isFinite && scale.max.isFinite && scale.min <= scale.max) {
            throw RecommenderFileError.invalidMetadata(K.ratingScale, "min and max must be finite with min ≤ max")
        }
        let defaultText = try value(K.defaultRating)
        guard let defaultRating = Float(defaultText), defaultRating.isFinite else {
            throw RecommenderFileError.invalidMetadata(K.defaultRating, "\"\(defaultText)\" is not a finite number")
        }
        let catalog: ItemCatalog?
        if let items = try decode([ItemMetadata].self, K.catalog) {
            do { catalog = try ItemCatalog(items: items) }
            catch let error as DatasetError { throw RecommenderFileError.invalidMetadata(K.catalog, error.description) }
        } else {
            catalog = nil
        }
        // The loaded model has no other owner: its weights are taken over, not copied.
        let servedModel: any Model = try (model as? any HistoryBackedModel).map {
            try $0.withHistory($0.history(from: rated), copyingWeights: false)
        } ?? model
        try self.init(
            model: servedModel, userIDs: UserIDMap(storage: userRaw), itemIDs: ItemIDMap(storage: itemRaw),
            ratedItems: rated, ratingScale: scale.map { $0.min...$0.max },
            configuration: try decode(TrainingConfiguration.self, K.training),
            history: try decode(TrainingHistory.self, K.history), catalog: catalog,
            nouns: try decode(CatalogNouns.self, K.nouns) ?? .generic, foldInDefaultRating: defaultRating, popularity: statistics)
    }

    typealias Lists = (userIDs: RawIDStorage, itemIDs: RawIDStorage, rated: UserItemIndex, statistics: ItemPopularity)

    /// Reads and checks the ID maps and rated lists, and counts the ratings per item.
    private static func readLists(_ file: SafeTensorsFile, users: Int, items: Int) throws -> Lists {
        typealias N = RecommenderFile.Name
        let userRaw = try RecommenderFile.readIDs(file, name: N.userIDs, offsetsName: N.userIDOffsets, count: users)
        let itemRaw = try RecommenderFile.readIDs(file, name: N.itemIDs, offsetsName: N.itemIDOffsets, count: items)
        let offsets = try file.array(N.ratedOffsets, dtype: .i64, as: Int64.self, shape: [users + 1])
        let ratedItems = try file.array(N.ratedItems, dtype: .i32, as: Int32.self)
        let ratedRatings = try file.array(N.ratedRatings, dtype: .f32, as: Float.self, shape: [ratedItems.count])
        guard offsets.allSatisfy({ $0 >= 0 && $0 <= Int64(ratedItems.count) }) else {
            throw RecommenderFileError.inconsistentTensor(N.ratedOffsets, "offsets outside 0...\(ratedItems.count)")
        }
        let rated: UserItemIndex
        do {
            rated = try UserItemIndex(checkedOffsets: offsets.map { Int($0) }, items: ratedItems, ratings: ratedRatings, itemCount: items)
        } catch let error as DatasetError {
            throw RecommenderFileError.inconsistentTensor(N.ratedItems, error.description)
        }
        return (userRaw, itemRaw, rated, ItemPopularity(items: rated.items, ratings: rated.ratings, itemCount: items))
    }

}

/// Why a saved recommender could not be written or opened (beyond the safetensors structure,
/// which ``SafeTensorsError`` covers).
public enum RecommenderFileError: Error, Equatable, CustomStringConvertible {
    /// The model does not conform to ``SavableModel``.
    case unsavableModel(String)
    /// A model tensor has the name of one of the recommender's own tensors.
    case nameClash(String)
    /// A required `__metadata__` key is absent.
    case missingMetadata(String)
    /// A `__metadata__` value is malformed (key, why).
    case invalidMetadata(String, String)
    /// The file's format version is not one this library reads.
    case unsupportedVersion(found: Int, supported: Int)
    /// The file's model kind is not among the kinds given to the reader.
    case unknownModelKind(String, known: [String])
    /// A tensor that neither the model nor the recommender declares.
    case unexpectedTensor(String)
    /// An ID map whose length differs from the model's count.
    case idMapMismatch(String, count: Int, expected: Int)
    /// A recommender tensor with inconsistent contents (name, why).
    case inconsistentTensor(String, String)
    /// A model tensor holds NaN or infinite values.
    case nonFiniteValues(String)

    /// A one-line message that says what went wrong.
    public var description: String {
        switch self {
        case .unsavableModel(let m): return "\(m) cannot be saved: it does not conform to SavableModel"
        case .nameClash(let n): return "the model's tensor \(n) has the name of one of the recommender's tensors"
        case .missingMetadata(let k): return "metadata \(k) is missing"
        case let .invalidMetadata(k, why): return "metadata \(k): \(why)"
        case let .unsupportedVersion(found, supported): return "format version \(found) is not supported (this library reads version \(supported))"
        case let .unknownModelKind(kind, known): return "model kind \(kind) is unknown (known: \(known.joined(separator: ", ")))"
        case .unexpectedTensor(let n): return "tensor \(n) belongs to neither the model nor the recommender"
        case let .idMapMismatch(n, count, expected): return "\(n) has \(count) IDs, the model has \(expected) rows"
        case let .inconsistentTensor(n, why): return "tensor \(n): \(why)"
        case .nonFiniteValues(let n): return "tensor \(n) holds NaN or infinite values"
        }
    }
}

/// Calls `body` with a raw view of each of `buffers`, all alive for the call.
private func withByteBuffers<R>(_ buffers: [[UInt8]], _ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
    func nest(_ k: Int, _ views: [UnsafeRawBufferPointer]) throws -> R {
        guard k < buffers.count else { return try body(views) }
        return try buffers[k].withUnsafeBytes { try nest(k + 1, views + [$0]) }
    }
    return try nest(0, [])
}
