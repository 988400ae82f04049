// Writes the model fuzzer's seed corpus: one tiny saved recommender of each built-in model kind
// (a few hundred bytes to a few KB each), so mutations start from files that open.
//     swift run -c release MakeModelSeeds corpus/model
import EmbedRec
import Foundation

let folder = CommandLine.arguments.dropFirst().first ?? "corpus/model"
let data = try RatingsDataset(
    rawUsers: [1, 1, 2, 2, 3, 3, 4], rawItems: [10, 20, 20, 30, 10, 40, 30], ratings: [5, 3, 4, 2, 1, 5, 4])
let catalog = try ItemCatalog(items: [
    ItemMetadata(rawID: 10, title: "Ten", authors: "A", year: 2001, genres: ["x"]),
    ItemMetadata(rawID: 20, title: "Twenty"), ItemMetadata(rawID: 30, title: "Thirty"), ItemMetadata(rawID: 40, title: "Forty"),
])
let models: [(String, any Model, ItemCatalog?)] = [
    ("mf.safetensors", try MatrixFactorization(for: data, configuration: .init(dimension: 2)), nil),
    ("biasedmf.safetensors", try BiasedMF(for: data, configuration: .init(dimension: 2, globalOffset: 3)), catalog),
    ("concatmlp.safetensors", try ConcatMLP(for: data, configuration: .init(userDimension: 2, itemDimension: 2, hiddenUnits: [2])), nil),
    ("ease.safetensors", try EASE(fitting: data, configuration: .init(regularization: 1)), nil),
]
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
for (name, model, catalog) in models {
    try Recommender(model: model, training: data, catalog: catalog).save(to: "\(folder)/\(name)")
    print("wrote \(folder)/\(name)")
}
