import Testing
@testable import EmbedRec

@Suite("IDMap")
struct IDMapTests {
    @Test("sparse raw IDs map to dense indices in ascending raw order")
    func sparse() {
        let map = ItemIDMap(integerIDs: [193_609, 1, 50, 1, 193_609, 7])
        #expect(map.count == 4)
        #expect(map.integerRawIDs! == [1, 7, 50, 193_609])
        #expect(map.index(of: 1) == 0)
        #expect(map.index(of: 7) == 1)
        #expect(map.index(of: 50) == 2)
        #expect(map.index(of: 193_609) == 3)
        #expect(map.index(of: 2) == nil)
        #expect(map.index(of: -1) == nil)
        #expect(map.index(of: .integer(.max)) == nil)
        #expect(map.rawID(at: -1) == nil && map.rawID(at: 4) == nil)
        // Dense non-negative IDs take the direct table: its edges.
        let dense = UserIDMap(integerIDs: [0, 1, 2, 5])
        #expect(dense.index(of: 5) == 3 && dense.index(of: 0) == 0)
        #expect(dense.index(of: 6) == nil && dense.index(of: 3) == nil && dense.index(of: -1) == nil && dense.index(of: .integer(.max)) == nil)
        for raw in map.rawIDs { #expect(map.rawID(at: map.index(of: raw)!) == raw) }
        for dense in map.indices { #expect(map.index(of: map.rawID(at: dense)!) == dense) }
    }

    @Test("a map depends only on the set of IDs")
    func orderIndependent() {
        #expect(UserIDMap(integerIDs: [3, 1, 2]) == UserIDMap(integerIDs: [2, 2, 1, 3]))
        #expect(UserIDMap(integerIDs: [3, 1, 2]) != UserIDMap(integerIDs: [1, 2]))
        #expect(UserIDMap(integerIDs: [Int64]()).count == 0)
    }

    /// Maps raw IDs through `RawRatings.densify` and checks the contract.
    func densifyChecked(_ raw: [Int64]) -> (ItemIDMap, [Int32]) {
        let (ids, dense) = RawRatings.densify(raw)
        let map = ItemIDMap(integerIDs: ids)
        #expect(dense.count == raw.count)
        #expect(map.count == Set(raw).count)
        #expect(map.integerRawIDs! == Array(Set(raw)).sorted())
        for k in raw.indices {
            #expect(map.rawID(at: ItemIndex(dense[k])) == .integer(raw[k]))
            #expect(map.index(of: .integer(raw[k]))?.position == dense[k])
        }
        return (map, dense)
    }

    @Test("the direct-table and dictionary paths of densify agree")
    func densifyPaths() {
        var rng = SeededGenerator(seed: 11)
        // Small non-negative IDs take the direct-address table.
        let small = (0..<5000).map { _ in Int64(rng.nextInt(below: 3000)) }
        let (smallMap, smallDense) = densifyChecked(small)
        // The same order of IDs shifted negative, or huge, takes the dictionary.
        for shift: Int64 in [-1_000_000, 1 << 40, Int64.max - 5000, Int64.min + 10] {
            let shifted = small.map { $0 &+ shift }
            let (map, dense) = densifyChecked(shifted)
            #expect(dense == smallDense)
            #expect(map.integerRawIDs! == smallMap.integerRawIDs!.map { $0 &+ shift })
        }
        // Sparse but non-negative IDs (MovieLens movieIds up to 193,609).
        let sparse = (0..<300).map { _ in Int64(rng.nextInt(below: 193_610)) }
        _ = densifyChecked(sparse)
        #expect(RawRatings.densify([]).0.count == 0)
    }

    @Test("the loader maps sparse and negative IDs with count = distinct IDs")
    func throughLoader() throws {
        let data = try RatingsLoader.load(
            text: "user,item,rating\n-5,193609,1\n10,1,2\n-5,1,3\n999999999999999999,42,4\n", format: .goodbooks)
        #expect(data.userIDs.integerRawIDs! == [-5, 10, 999_999_999_999_999_999])
        #expect(data.itemIDs.integerRawIDs! == [1, 42, 193_609])
        #expect(data.userCount == 3 && data.itemCount == 3)
        #expect(data.users == [0, 1, 0, 2])
        #expect(data.items == [2, 0, 0, 1])
    }
}
