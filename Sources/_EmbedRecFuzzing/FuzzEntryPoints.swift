import EmbedRec
import Foundation

/// What the libFuzzer targets in `Fuzz/` do with one input, and what the regression test
/// replays for every input they found: bytes in, the public loaders called, the result checked.
///
/// Each function returns normally for a clean success or a clean error (a ``RatingsFileError``,
/// ``SafeTensorsError``, ``RecommenderFileError``…) and stops the process with `fatalError`
/// when a loaded result breaks an invariant (so the fuzzer reports silently wrong answers as
/// findings too). The first byte of an input picks the file format; the rest is the file.
/// Package access: for this package's tests, and for the fuzz package through `@testable`.
public enum FuzzEntryPoints {
    /// The ratings formats, chosen by `input[0] % 4`.
    public static let ratingsFormats: [(name: String, format: RatingsFileFormat)] = [
        ("ratings.csv", .goodbooks), ("u.data", .movieLens100K), ("ratings.dat", .movieLens1M), ("ml.csv", .movieLensCSV),
        ("bx.csv", bookCrossing),
    ]

    /// Book-Crossing's layout: `;`, every field quoted, no header, Latin-1 text IDs.
    static var bookCrossing: RatingsFileFormat {
        var format = RatingsFileFormat.delimited(separator: ";", hasHeader: false, userColumn: 0, itemColumn: 1, ratingColumn: 2)
        format.encoding = .latin1
        return format
    }

    /// Parses `input.dropFirst()` as the ratings format `input[0]` picks and checks the dataset;
    /// then detects the file's format from its first line (``RatingsFileFormat/detect(firstBytes:name:)``)
    /// and, when that finds one, checks the file loaded with it the same way.
    /// - Returns: the error the loader threw for the picked format, or nil when it loaded.
    @discardableResult
    public static func ratings(_ input: [UInt8]) -> (any Error)? {
        guard let selector = input.first else { return nil }
        let (name, format) = ratingsFormats[Int(selector) % ratingsFormats.count]
        var file = Array(input.dropFirst())
        // A gzip stream is inflated as a file on disk would be (bounded, as memory bounds it there).
        if Gzip.isCompressed(file) {
            guard let inflated = try? Gzip.inflate(file, limit: 1 << 22) else { return nil }
            file = inflated
        }
        do {
            let detected = try RatingsFileFormat.detect(firstBytes: file, name: "detected")
            _ = ratings(file, name: "detected (\(detected.summary))", format: detected.format)
        } catch is RatingsFileError {
        } catch {
            fatalError("format detection threw an error that is not a RatingsFileError: \(error)")
        }
        return ratings(file, name: name, format: format)
    }

    /// Loads `file` as `format` and checks the dataset against the reference reading.
    static func ratings(_ file: [UInt8], name: String, format: RatingsFileFormat) -> (any Error)? {
        let input = [0] + file   // the reference reads `input.dropFirst()`, as the entry point does
        let data: RatingsDataset
        do {
            data = try RatingsLoader.load(bytes: file, name: name, format: format, parallelism: .sequential)
        } catch let error as RatingsFileError {
            return error
        } catch {
            fatalError("\(name): the ratings loader threw an error that is not a RatingsFileError: \(error)")
        }
        check(data.count > 0, "\(name): loaded an empty dataset without an error")
        check(data.users.count == data.count && data.items.count == data.count, "\(name): column lengths differ")
        check(data.timestamps.map { $0.count == data.count } ?? true, "\(name): timestamp column length differs")
        check(isStrictlyAscending(data.userIDs.rawIDs) && isStrictlyAscending(data.itemIDs.rawIDs), "\(name): ID maps not sorted and unique")
        check(data.users.allSatisfy { $0 >= 0 && Int($0) < data.userCount }, "\(name): a user index outside the map")
        check(data.items.allSatisfy { $0 >= 0 && Int($0) < data.itemCount }, "\(name): an item index outside the map")
        let scale = format.ratingScale ?? -Float.greatestFiniteMagnitude...Float.greatestFiniteMagnitude
        check(data.ratings.allSatisfy { $0.isFinite && scale.contains($0) }, "\(name): a rating outside \(scale)")
        // JSON lines go through JSONDecoder, not the fast parser the reference restates.
        if format.isJSONLines { return nil }
        // The same rows as the plain reference reading, in the same order (ratings to within
        // an ulp: the fast parser divides a Double before rounding to Float).
        guard let expected = ReferenceRatingsParser.rows(Array(input.dropFirst()), format: format) else {
            fatalError("\(name): loaded \(data.count) rows from a file the reference reading rejects")
        }
        let userIDs = data.userIDs.rawIDs, itemIDs = data.itemIDs.rawIDs
        check(expected.count == data.count, "\(name): \(data.count) rows, the reference reads \(expected.count)")
        for (k, row) in expected.enumerated() {
            let rating = data.ratings[k]
            check(userIDs[Int(data.users[k])] == row.user && itemIDs[Int(data.items[k])] == row.item
                  && abs(rating - row.rating) <= row.rating.ulp && data.timestamps?[k] == row.timestamp,
                  "\(name): row \(k) reads (\(userIDs[Int(data.users[k])]), \(itemIDs[Int(data.items[k])]), \(rating), "
                  + "\(String(describing: data.timestamps?[k]))), the reference \(row)")
        }
        return nil
    }

    /// The catalogue formats, chosen by `input[0] % 3`.
    public static let catalogFormats = ["books.csv", "movies.csv", "u.item"]

    /// Parses `input.dropFirst()` as the catalogue format `input[0]` picks and checks it.
    /// - Returns: the error the loader threw, or nil when it loaded.
    @discardableResult
    public static func catalog(_ input: [UInt8]) -> (any Error)? {
        guard let selector = input.first else { return nil }
        let name = catalogFormats[Int(selector) % catalogFormats.count]
        let bytes = Array(input.dropFirst())
        let catalog: ItemCatalog
        do {
            switch name {
            case "books.csv": catalog = try ItemCatalog.loadGoodbooks(bytes: bytes, name: name)
            case "movies.csv": catalog = try ItemCatalog.loadMovieLensCSV(bytes: bytes, name: name)
            default: catalog = try ItemCatalog.loadMovieLens100KItems(bytes: bytes, name: name)
            }
        } catch let error as RatingsFileError {
            return error
        } catch {
            fatalError("\(name): the catalogue loader threw an error that is not a RatingsFileError: \(error)")
        }
        let ids = catalog.items.map(\.rawID)
        check(!ids.isEmpty, "\(name): an empty catalogue without an error")
        check(Set(ids).count == ids.count, "\(name): duplicate item IDs")
        for id in ids { check(catalog[rawID: id]?.rawID == id, "\(name): item \(id) not found by its ID") }
        return nil
    }

    /// Opens `input` as a saved recommender (written to a temporary file, as the loader reads
    /// files) and, when it opens, asks it for recommendations and similar items.
    /// - Returns: the error opening or serving threw, or nil when everything succeeded.
    @discardableResult
    public static func model(_ input: [UInt8], scratchPath: String) -> (any Error)? {
        guard FileManager.default.createFile(atPath: scratchPath, contents: Data(input)) else {
            fatalError("cannot write the scratch file \(scratchPath)")
        }
        defer { unlink(scratchPath) }
        let recommender: Recommender
        do {
            recommender = try Recommender(contentsOf: scratchPath)
        } catch let error as SafeTensorsError {
            return error
        } catch let error as RecommenderFileError {
            return error
        } catch let error as FileError {
            return error
        } catch {
            fatalError("the model loader threw an error that is neither FileError, SafeTensorsError nor RecommenderFileError: \(error)")
        }
        check(recommender.userIDs.count == recommender.model.userCount, "user ID map and model disagree")
        check(recommender.itemIDs.count == recommender.model.itemCount, "item ID map and model disagree")
        do {
            let user = recommender.userIDs.rawIDs[0], item = recommender.itemIDs.rawIDs[0]
            let k = min(5, recommender.itemIDs.count)
            let list = try recommender.recommend(user: user, k: k)
            check(list.recommendations.count <= k, "more than k recommendations")
            check(Set(list.recommendations.map(\.item)).count == list.recommendations.count, "an item recommended twice")
            _ = try recommender.similarItems(to: item, k: k)
            _ = try recommender.recommend(newReaderItems: [item], k: k)
            // Finite weights may still multiply to ±∞; the loader checks each weight, not products.
            _ = try recommender.score(user: user, item: item)
            // What opened must save, and open again to the same answers.
            let resaved = scratchPath + ".resaved"
            defer { unlink(resaved) }
            do { try recommender.save(to: resaved) } catch { fatalError("a recommender that opened does not save: \(error)") }
            let reopened: Recommender
            do { reopened = try Recommender(contentsOf: resaved) } catch { fatalError("a re-saved recommender does not open: \(error)") }
            let again = try reopened.recommend(user: user, k: k)
            check(again.recommendations.map(\.item) == list.recommendations.map(\.item)
                  && zip(again.recommendations, list.recommendations).allSatisfy {
                      $0.score == $1.score || ($0.score.isNaN && $1.score.isNaN) },
                  "a re-saved recommender answers differently")
        } catch {
            return error
        }
        return nil
    }

    private static func isStrictlyAscending(_ values: RawIDs) -> Bool {
        zip(values, values.dropFirst()).allSatisfy { $0 < $1 }
    }

    /// A broken invariant is a finding: stop so the fuzzer saves the input.
    private static func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError("FuzzEntryPoints: \(message())") }
    }
}
