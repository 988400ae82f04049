/// Neighbours from the interactions alone, no model: the cosine of two items' binary user
/// columns, `c(i, j) / √(n(i) · n(j))` with c the users who have both and n the users who have
/// each (classic item-kNN).
///
/// Measured against item attributes (Docs/Benchmarks.md, "Similar items"), these neighbours are
/// as good as the top-N models' and far better than a rating model's embedding cosine, whose
/// item factors place items by predicted stars: ``Recommender/coRatedItems(to:k:)`` serves them
/// for rating models.
public struct ItemCooccurrence: Sendable {
    /// Each user's distinct items, CSR.
    private let userOffsets: [Int], userItems: [Int32]
    /// Each item's distinct users, CSR.
    private let itemOffsets: [Int], itemUsers: [Int32]

    /// The co-occurrence index of `data`'s users and items.
    public init(data: RatingsDataset) {
        self.init(rated: data.itemsByUser(), itemCount: data.itemCount)
    }

    init(rated: UserItemIndex, itemCount: Int) {
        var userOffsets = [0], userItems: [Int32] = []
        userItems.reserveCapacity(rated.items.count)
        for u in 0..<rated.userCount {
            // Items come sorted per user; a pair rated twice counts once.
            var previous: Int32 = -1
            for item in rated.items(of: UserIndex(Int32(u))) where item != previous {
                userItems.append(item)
                previous = item
            }
            userOffsets.append(userItems.count)
        }
        var itemOffsets = [Int](repeating: 0, count: itemCount + 1)
        for item in userItems { itemOffsets[Int(item) + 1] += 1 }
        for i in 0..<itemCount { itemOffsets[i + 1] += itemOffsets[i] }
        var cursor = itemOffsets
        var itemUsers = [Int32](repeating: 0, count: userItems.count)
        for u in 0..<rated.userCount {
            for item in userItems[userOffsets[u]..<userOffsets[u + 1]] {
                itemUsers[cursor[Int(item)]] = Int32(u)
                cursor[Int(item)] += 1
            }
        }
        self.userOffsets = userOffsets; self.userItems = userItems
        self.itemOffsets = itemOffsets; self.itemUsers = itemUsers
    }

    private func userCount(of item: Int) -> Int { itemOffsets[item + 1] - itemOffsets[item] }

    /// The `k` items with the highest cosine to `item` (co-occurring at least once), best first;
    /// ties by item index.
    /// - Complexity: O(the ratings of `item`'s users).
    public func neighbours(of item: ItemIndex, k: Int) -> [(item: ItemIndex, cosine: Float)] {
        // A dense tally and the items it touched: the most popular items co-occur with most of
        // the catalogue, a dictionary would be the slow part.
        var together = [Int32](repeating: 0, count: itemOffsets.count - 1)
        var touched: [Int32] = []
        for user in itemUsers[itemOffsets[item.offset]..<itemOffsets[item.offset + 1]] {
            for other in userItems[userOffsets[Int(user)]..<userOffsets[Int(user) + 1]] where other != item.position {
                if together[Int(other)] == 0 { touched.append(other) }
                together[Int(other)] += 1
            }
        }
        let n = Double(userCount(of: item.offset))
        let scored = touched.map { other in
            (item: other, cosine: Double(together[Int(other)]) / (n * Double(userCount(of: Int(other)))).squareRoot())
        }
        return scored.sorted { $0.cosine != $1.cosine ? $0.cosine > $1.cosine : $0.item < $1.item }.prefix(k)
            .map { (ItemIndex($0.item), Float($0.cosine)) }
    }
}
