// The code of Sources/EmbedRec/EmbedRec.docc/SavingAndServing.md, verbatim (see
// GettingStartedSnippets.swift).
import EmbedRec
import Foundation
import Testing

@Suite("Snippets: Saving and serving")
struct SavingAndServingSnippets {
    static let data = try! SyntheticRatings.generate(.init(users: 300, items: 200, ratings: 12_000))

    /// A fresh folder for the files the snippets write.
    static func folder() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("embedrec-docs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    @Test func saveAndOpen() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/books.safetensors"
        let split = try Self.data.randomSplit(testFraction: 0.2, seed: 42)
        let books = try ItemCatalog(items: Self.data.itemIDs.rawIDs.map { ItemMetadata(rawID: $0, title: "Book \($0)") })

        let fitted = try Recipe.tutorialV2.fit(split.train)
        try Recommender(model: fitted.model, training: split.train, configuration: fitted.training,
                        history: fitted.history, catalog: books)
            .save(to: path)

        let served = try Recommender(contentsOf: path)
        let forReader = try served.recommend(user: 42, k: 5)                   // raw user ID
        for r in forReader.recommendations {
            print(served.metadata(for: r.rawItemID)?.title ?? "?", r.score)
        }
        let likeBook = try served.similarItems(to: 1, k: 10)                   // raw item ID
        let stars = try served.predictedRating(user: 42, item: 7)
        let stranger = try served.recommend(user: 99_999_999, k: 5, unknownUser: .popularity)

        #expect(forReader.recommendations.count == 5 && likeBook.count == 10 && stars.isFinite)
        #expect(stranger.isPopularityFallback)
    }

    @Test func errors() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/missing.safetensors"
        do {
            _ = try Recommender(contentsOf: path)
        } catch let error as FileError {
            print("cannot open the file: \(error)")
        } catch let error as SafeTensorsError {
            print("not a readable safetensors file: \(error)")
        } catch let error as RecommenderFileError {
            print("not a recommender EmbedRec can open: \(error)")
        }
        // (Not in the article: the snippet's open must fail, and with the reader's own error.)
        #expect(throws: FileError.cannotRead(path: path, reason: "No such file or directory")) {
            _ = try Recommender(contentsOf: path)
        }
    }

    @Test func export() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let model = try MatrixFactorization(for: Self.data, configuration: .init(dimension: 8))
        try Trainer(configuration: .init(epochs: 2)).fit(model, on: Self.data)
        let served = try Recommender(model: model, training: Self.data)

        try EmbeddingExport.writeProjectorFiles(served, to: folder + "/projector")  // vecs.tsv, meta.tsv
        try EmbeddingExport.writeCSV(served, to: folder + "/items.csv")
        try EmbeddingExport.writeNPY(served, to: folder + "/items.npy")

        #expect(FileManager.default.fileExists(atPath: folder + "/items.npy"))
    }

    @Test func shardedAllUsers() throws {
        let model = try MatrixFactorization(for: Self.data, configuration: .init(dimension: 8))
        let served = try Recommender(model: model, training: Self.data)
        let (shard, shards) = (0, 4)                                     // this job's share
        let mine = served.userIDs.rawIDs.enumerated().filter { $0.offset % shards == shard }.map(\.element)
        for user in mine {
            let list = try served.recommend(user: user, k: 10)
            _ = list.recommendations.map { $0.rawItemID }                // write one line per user
        }

        #expect(!mine.isEmpty)
    }
}
