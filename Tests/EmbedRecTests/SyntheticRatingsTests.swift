import Foundation
import Testing
@testable import EmbedRec

@Suite("SyntheticRatings and RatingsWriter")
struct SyntheticRatingsTests {
    static let small = SyntheticRatings.Configuration(users: 400, items: 250, ratings: 24_000, seed: 42)

    @Test("exact shape, integer stars in 1...5, 1-based raw IDs")
    func shape() throws {
        let data = try SyntheticRatings.generate(Self.small)
        #expect(data.count == 24_000)
        #expect(data.userCount == 400)
        #expect(data.itemCount == 250)
        #expect(data.userIDs.integerRawIDs! == Array(1...400))
        #expect(data.itemIDs.integerRawIDs! == Array(1...250))
        #expect(data.ratings.allSatisfy { $0 >= 1 && $0 <= 5 && $0 == $0.rounded() })
        #expect(Set(data.ratings) == [1, 2, 3, 4, 5])
        #expect(data.timestamps == nil)
        #expect(data.ratingsPerUser().allSatisfy { $0 >= 2 })
        // Rows come grouped by user.
        #expect(data.users == data.users.sorted())
    }

    @Test("no duplicate (user, item) pairs")
    func noDuplicates() throws {
        let data = try SyntheticRatings.generate(Self.small)
        var pairs = Set<Int64>()
        for k in 0..<data.count { pairs.insert(Int64(data.users[k]) << 32 | Int64(data.items[k])) }
        #expect(pairs.count == data.count)
    }

    @Test("determinism: same configuration, same data; another seed, other data")
    func determinism() throws {
        let a = try SyntheticRatings.generate(Self.small)
        let b = try SyntheticRatings.generate(Self.small)
        #expect(a.users == b.users && a.items == b.items && a.ratings == b.ratings)
        var otherSeed = Self.small
        otherSeed.seed = 43
        let c = try SyntheticRatings.generate(otherSeed)
        #expect(c.count == a.count)
        #expect(c.items != a.items)
        #expect(c.ratings != a.ratings)
    }

    @Test("the same data for every thread count (several blocks of users)")
    func threadIndependent() throws {
        let config = SyntheticRatings.Configuration(users: 3000, items: 400, ratings: 60_000, seed: 7)
        let sequential = try SyntheticRatings.generate(config, parallelism: .sequential)
        for threads in [2, 3] {
            let parallel = try SyntheticRatings.generate(config, parallelism: Parallelism(threads: threads))
            #expect(parallel.users == sequential.users)
            #expect(parallel.items == sequential.items)
            #expect(parallel.ratings == sequential.ratings)
        }
        let automatic = try SyntheticRatings.generate(config, parallelism: .automatic)
        #expect(automatic.items == sequential.items && automatic.ratings == sequential.ratings)
        #expect(sequential.count == 60_000)
    }

    @Test("item popularity is skewed")
    func skew() throws {
        // Sparse like real data (2% density), so popular items are not saturated.
        let data = try SyntheticRatings.generate(.init(users: 2000, items: 1000, ratings: 40_000, seed: 5))
        let counts = data.ratingsPerItem().sorted()
        let median = counts[counts.count / 2]
        #expect(median > 0)
        #expect(counts.last! >= 8 * median, "max \(counts.last!), median \(median)")
        // User activity varies too.
        let activity = data.ratingsPerUser().sorted()
        #expect(activity.last! >= 3 * activity[activity.count / 2])
    }

    @Test("planted structure: user and item means beat the global mean on held-out data")
    func plantedStructure() throws {
        let data = try SyntheticRatings.generate(Self.small)
        let split = try data.randomSplit(testFraction: 0.2, seed: 1)
        let train = split.train, test = split.test
        let mu = Double(train.meanRating!)
        // Damped biases: user bias first, then item bias on the user residuals.
        let damping = 5.0
        var userSum = [Double](repeating: 0, count: train.userCount), userN = userSum
        for k in 0..<train.count { userSum[Int(train.users[k])] += Double(train.ratings[k]) - mu; userN[Int(train.users[k])] += 1 }
        let bu = zip(userSum, userN).map { $0 / ($1 + damping) }
        var itemSum = [Double](repeating: 0, count: train.itemCount), itemN = itemSum
        for k in 0..<train.count {
            let i = Int(train.items[k])
            itemSum[i] += Double(train.ratings[k]) - mu - bu[Int(train.users[k])]; itemN[i] += 1
        }
        let bi = zip(itemSum, itemN).map { $0 / ($1 + damping) }
        var globalSE = 0.0, baselineSE = 0.0
        for k in 0..<test.count {
            let r = Double(test.ratings[k])
            globalSE += (r - mu) * (r - mu)
            let e = r - (mu + bu[Int(test.users[k])] + bi[Int(test.items[k])])
            baselineSE += e * e
        }
        let globalRMSE = (globalSE / Double(test.count)).squareRoot()
        let baselineRMSE = (baselineSE / Double(test.count)).squareRoot()
        #expect(globalRMSE > 0.7)
        #expect(baselineRMSE < 0.92 * globalRMSE, "baseline \(baselineRMSE) vs global \(globalRMSE)")
    }

    @Test("invalid configurations throw")
    func invalid() {
        var bad: [SyntheticRatings.Configuration] = [
            .init(users: 0, items: 10, ratings: 5),
            .init(users: 10, items: 0, ratings: 5),
            .init(users: 10, items: 10, ratings: 0),
            .init(users: 10, items: 10, ratings: 91),  // > 90% density
        ]
        var scale = SyntheticRatings.Configuration(users: 10, items: 10, ratings: 20)
        scale.minRating = 5; scale.maxRating = 5
        bad.append(scale)
        var rank = SyntheticRatings.Configuration(users: 10, items: 10, ratings: 20)
        rank.rank = 0
        bad.append(rank)
        for config in bad {
            #expect(throws: DatasetError.self) { try SyntheticRatings.generate(config) }
        }
    }

    @Test("dense configurations give exactly the requested count or throw")
    func denseConfigurations() throws {
        // Each user rates at most half the items: these ask for more than fits.
        for (users, items, ratings) in [(10, 10, 80), (20, 30, 500), (5, 4, 18), (50, 8, 300)] {
            let config = SyntheticRatings.Configuration(users: users, items: items, ratings: ratings)
            #expect(throws: DatasetError.self, "\(users)×\(items), \(ratings) ratings") {
                try SyntheticRatings.generate(config)
            }
        }
        // Just under the cap: exactly the requested count, still without duplicate pairs.
        let data = try SyntheticRatings.generate(.init(users: 20, items: 30, ratings: 290))
        #expect(data.count == 290)
        #expect(Set((0..<data.count).map { [data.users[$0], data.items[$0]] }).count == 290)
    }

    @Test("RatingsWriter.writeCSV round-trips through RatingsLoader")
    func writerRoundTrip() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try SyntheticRatings.generate(.init(users: 300, items: 120, ratings: 6000, seed: 3))
        let path = dir.appendingPathComponent("ratings.csv").path
        try RatingsWriter.writeCSV(data, to: path, header: ["user_id", "book_id", "rating"], columns: [.user, .item, .rating])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("user_id,book_id,rating\n"))
        let loaded = try RatingsLoader.load(path: path, format: .goodbooks)
        #expect(loaded.rawRows == data.rawRows)
        #expect(loaded.userIDs == data.userIDs && loaded.itemIDs == data.itemIDs)

        // Half stars, negative and sparse IDs, another column order and separator.
        let halves = try RatingsDataset(
            rawUsers: ([-4, 193_609, 7]).map(RawID.integer), rawItems: ([1, 2, 1 << 40]).map(RawID.integer), ratings: [0.5, 4.25, 3])
        let tsv = dir.appendingPathComponent("halves.tsv").path
        try RatingsWriter.writeCSV(halves, to: tsv, header: ["movieId", "rating", "userId"],
                                   columns: [.item, .rating, .user], separator: "\t")
        #expect(try String(contentsOfFile: tsv, encoding: .utf8) == "movieId\trating\tuserId\n1\t0.5\t-4\n2\t4.25\t193609\n1099511627776\t3\t7\n")
        let back = try RatingsLoader.load(path: tsv, format: RatingsFileFormat(separator: "\t", columns: .byHeaderNames))
        #expect(back.rawRows == halves.rawRows)
    }

    @Test("a failed write is reported as cannotWrite and leaves no temporary file or changed target")
    func writerFailures() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try RatingsDataset(rawUsers: ([1, 2]).map(RawID.integer), rawItems: ([3, 4]).map(RawID.integer), ratings: [5, 4])
        let missing = dir.appendingPathComponent("no/such/folder/r.csv").path
        #expect(throws: FileError.cannotWrite(path: missing, reason: "folder \(dir.path)/no/such/folder: No such file or directory")) {
            try RatingsWriter.writeCSV(data, to: missing, header: ["user_id", "book_id", "rating"], columns: [.user, .item, .rating])
        }
        // The target is a folder: the rename fails, the folder stays, the temporary file goes.
        let folder = dir.appendingPathComponent("taken")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: folder.appendingPathComponent("inside.txt"))
        #expect(throws: FileError.cannotWrite(path: folder.path, reason: "is a directory; only a regular file is replaced")) {
            try RatingsWriter.writeCSV(data, to: folder.path, header: ["user_id", "book_id", "rating"], columns: [.user, .item, .rating])
        }
        #expect(try String(contentsOf: folder.appendingPathComponent("inside.txt"), encoding: .utf8) == "keep")
        #expect(!FileManager.default.fileExists(atPath: folder.path + ".tmp"))
    }

    @Test("series continuation: readers of one group's book read its other books; popularity can follow the IDs")
    func groupContinuation() throws {
        // 100 groups of 5 items; continuation makes a reader's consecutive picks share a group.
        let groups = (0..<500).map { $0 / 5 }
        func sameGroupShare(_ continuation: Double) throws -> Double {
            var c = SyntheticRatings.Configuration(users: 400, items: 500, ratings: 16_000, seed: 3)
            c.itemGroups = groups
            c.groupContinuation = continuation
            let data = try SyntheticRatings.generate(c, parallelism: .sequential)
            var same = 0, pairs = 0
            for row in 1..<data.count where data.users[row] == data.users[row - 1] {
                pairs += 1
                let a = Int(data.itemIDs.rawID(at: ItemIndex(data.items[row]))!.integerValue!) - 1
                let b = Int(data.itemIDs.rawID(at: ItemIndex(data.items[row - 1]))!.integerValue!) - 1
                if groups[a] == groups[b] { same += 1 }
            }
            return Double(same) / Double(pairs)
        }
        let without = try sameGroupShare(0), with = try sameGroupShare(0.6)
        #expect(without < 0.05, "chance is about 1 in 100: \(without)")
        #expect(with > 0.3, "continuation 0.6 gave \(with)")
        var c = SyntheticRatings.Configuration(users: 400, items: 500, ratings: 16_000, seed: 3)
        c.popularityFollowsIDs = true
        let data = try SyntheticRatings.generate(c)
        var counts = [Int64: Int]()
        for item in data.items { counts[data.itemIDs.rawID(at: ItemIndex(item))!.integerValue!, default: 0] += 1 }
        #expect(counts[1]! > counts[250]! && counts[2]! > counts[400]!, "item 1 and 2 are the most popular")
        c.groupContinuation = 1.5
        #expect(throws: DatasetError.self) { try SyntheticRatings.generate(c) }
    }
}
