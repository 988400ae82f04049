import EmbedRec

/// Neighbours from the interactions alone, no model: the cosine of two items' binary user
/// columns, `c(i, j) / √(n(i) · n(j))` with c the users who have both and n the users who have
/// each (classic item-kNN). A reference for what any model's "similar items" could reach, and a
/// candidate for a rating model's list, since a recommender keeps its users' rated lists.
struct CooccurrenceNeighbours {
    /// Each user's distinct items, CSR.
    private let userOffsets: [Int], userItems: [Int32]
    /// Each item's distinct users, CSR.
    private let itemOffsets: [Int], itemUsers: [Int32]

    init(data: RatingsDataset) {
        let rated = data.itemsByUser()
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
        var itemOffsets = [Int](repeating: 0, count: data.itemCount + 1)
        for item in userItems { itemOffsets[Int(item) + 1] += 1 }
        for i in 0..<data.itemCount { itemOffsets[i + 1] += itemOffsets[i] }
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
    func neighbours(of item: ItemIndex, k: Int) -> [Int32] {
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
        return scored.sorted { $0.cosine != $1.cosine ? $0.cosine > $1.cosine : $0.item < $1.item }.prefix(k).map(\.item)
    }
}
