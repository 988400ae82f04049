import Foundation
import Testing
@testable import EmbedRec

/// Helpers shared by the test files.
enum TestSupport {
    /// The package root: this file is `<root>/Tests/EmbedRecTests/TestSupport.swift`.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/data` next to the package root (real datasets; may be absent).
    static let sharedData: URL = packageRoot.deletingLastPathComponent()
        .appendingPathComponent("shared").appendingPathComponent("data")

    /// The path of a file under `../shared/data`.
    static func dataPath(_ relative: String) -> String {
        sharedData.appendingPathComponent(relative).path
    }

    /// True when a file under `../shared/data` exists.
    static func hasData(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: dataPath(relative))
    }

    /// A fresh empty temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("EmbedRecTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Generated ratings written as `ratings.csv` (`user_id,book_id,rating`) in a fresh folder, for
/// the tests that run the binaries on files. The caller removes `dir`.
struct RatingsFileFixture {
    let dir: URL
    let data: RatingsDataset
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    init(users: Int, items: Int, ratings: Int, seed: UInt64) throws {
        dir = try TestSupport.temporaryDirectory()
        data = try SyntheticRatings.generate(.init(users: users, items: items, ratings: ratings, seed: seed))
        try RatingsWriter.writeCSV(data, to: dir.appendingPathComponent("ratings.csv").path,
                                   header: ["user_id", "book_id", "rating"], columns: [.user, .item, .rating])
    }
}

/// A test fixture built on a ``RatingsFileFixture``: its folder, data and paths, as its own.
protocol RatingsFileFixtureOwner {
    var files: RatingsFileFixture { get }
}

extension RatingsFileFixtureOwner {
    var dir: URL { files.dir }
    var data: RatingsDataset { files.data }
    func path(_ name: String) -> String { files.path(name) }
}

/// One rating with raw IDs, for comparing datasets as multisets of rows.
struct RawRow: Hashable, Comparable {
    var user: RawID
    var item: RawID
    var rating: Float
    var timestamp: Int64?

    static func < (a: RawRow, b: RawRow) -> Bool {
        (a.user, a.item, a.rating, a.timestamp ?? .min) < (b.user, b.item, b.rating, b.timestamp ?? .min)
    }
}

extension RatingsDataset {
    /// The rows with raw IDs, in dataset order.
    var rawRows: [RawRow] {
        (0..<count).map { k in
            RawRow(user: userIDs.rawIDs[Int(users[k])], item: itemIDs.rawIDs[Int(items[k])],
                   rating: ratings[k], timestamp: timestamps?[k])
        }
    }

    /// The rows with raw IDs, sorted: equal for equal multisets.
    var sortedRawRows: [RawRow] { rawRows.sorted() }
}

/// Runs `body` and checks that it throws a ``RatingsFileError`` with this file, line and kind.
func expectFileError(
    file: String, line: Int, kind: RatingsFileError.Kind,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected \(kind) at \(file):\(line), but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as RatingsFileError {
        #expect(error.file == file, sourceLocation: sourceLocation)
        #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected RatingsFileError, got \(error)", sourceLocation: sourceLocation)
    }
}

/// Runs `body` and returns the ``RatingsFileError`` it throws (recording an issue otherwise).
func captureFileError(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> RatingsFileError? {
    do {
        try body()
        Issue.record("expected a RatingsFileError, but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as RatingsFileError {
        return error
    } catch {
        Issue.record("expected RatingsFileError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Seeded random Float arrays for numeric tests.
func randomFloats(_ count: Int, _ rng: inout SeededGenerator, range: ClosedRange<Float> = -1...1) -> [Float] {
    (0..<count).map { _ in range.lowerBound + (range.upperBound - range.lowerBound) * rng.nextUnitFloat() }
}

/// `scale · (prediction − target)` as the gradient of each prediction (scale 1: half the squared
/// error, the convention of the gradient checks); also shows that a loss written outside the
/// library plugs into the training step.
struct ScaledSquaredError: Loss {
    var scale: Float = 1
    var summary: String { "squared error × \(scale / 2)" }
    func evaluate(predictions: Span<Float>, targets: Span<Float>, gradient: inout MutableSpan<Float>) -> Double {
        var sum = 0.0
        for k in 0..<predictions.count {
            let e = predictions[k] - targets[k]
            sum += Double(e * e)
            gradient[k] = scale * e
        }
        return sum
    }
}

// The scorer tests index their expectations by Int.
extension UserItemIndex {
    func items(of user: Int) -> ArraySlice<Int32> { items(of: UserIndex(Int32(user))) }
}

/// Test shorthands for a gradient recipe's parts (the library fits through `Recipe.fit`).
extension Recipe {
    /// The recipe's gradient training (a test error for another fitter).
    var gradient: GradientTraining { fitter as! GradientTraining }
    /// The recipe's training configuration.
    var training: TrainingConfiguration { gradient.training }
    /// The recipe's untrained model for `data`.
    func makeModel(for data: RatingsDataset) throws -> any TrainableModel { try gradient.architecture.makeModel(for: data) }
}
