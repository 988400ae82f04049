import BookServerApp
import EmbedRec
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Every endpoint's answer on a live loopback server, compared with the library's own.
@Suite struct EndpointTests {
    let recommender: Recommender

    init() throws { recommender = try Fixtures.small.get() }

    @Test func healthReportsTheModel() async throws {
        let store = ModelStore(recommender: recommender)
        try await Fixtures.app(store).test(.live) { client in
            let response = try await client.execute(uri: "/health", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            let health = try response.decoded(HealthJSON.self)
            #expect(health.status == "ok")
            #expect(health.users == recommender.userIDs.count)
            #expect(health.items == recommender.itemIDs.count)
            #expect(health.generation == 1)
            #expect(health.hasCatalog)
            #expect(health.modelFile == nil)
        }
    }

    @Test func recommendMatchesTheLibrary() async throws {
        let user = recommender.userIDs.rawIDs[3]
        let expected = try recommender.recommend(user: user, k: 7)
        try await Fixtures.app(ModelStore(recommender: recommender)).test(.live) { client in
            let response = try await client.execute(uri: "/recommend?user=\(user)&k=7", method: .get)
            #expect(response.status == .ok)
            let list = try response.decoded(RecommendationsJSON.self)
            #expect(list.user == user)
            #expect(list.k == 7)
            #expect(!list.popularityFallback)
            #expect(list.recommendations.map(\.id) == expected.recommendations.map { $0.rawItemID })
            #expect(list.recommendations.map(\.predictedRating) == expected.recommendations.map(\.predictedRating))
            let first = try #require(list.recommendations.first)
            #expect(first.title == "Book \(first.id)")
            #expect(first.authors != nil)
        }
    }

    @Test func recommendUsesTheDefaultK() async throws {
        let user = recommender.userIDs.rawIDs[0]
        try await Fixtures.app(ModelStore(recommender: recommender)).test(.live) { client in
            let list = try await client.execute(uri: "/recommend?user=\(user)", method: .get).decoded(RecommendationsJSON.self)
            #expect(list.recommendations.count == 10)
        }
    }

    @Test func unknownUserWithPopularityFallbackIsFlagged() async throws {
        try await Fixtures.app(ModelStore(recommender: recommender)).test(.live) { client in
            let response = try await client.execute(uri: "/recommend?user=999999&k=5&fallback=popularity", method: .get)
            #expect(response.status == .ok)
            let list = try response.decoded(RecommendationsJSON.self)
            #expect(list.popularityFallback)
            // The five most-rated books of the training data, counted here (ties: lower ID first).
            let train = recommender.trainingRatings
            var counts = [Int](repeating: 0, count: train.itemCount)
            for item in train.items { counts[Int(item)] += 1 }
            let mostRated = counts.indices.sorted { (counts[$0], -$0) > (counts[$1], -$1) }.prefix(5)
                .map { recommender.itemIDs.rawIDs[$0] }
            #expect(list.recommendations.map(\.id) == mostRated)
        }
    }

    @Test func similarMatchesTheLibrary() async throws {
        let item = recommender.itemIDs.rawIDs[10]
        let expected = try recommender.similarItems(to: item, k: 4)
        try await Fixtures.app(ModelStore(recommender: recommender)).test(.live) { client in
            let response = try await client.execute(uri: "/similar?item=\(item)&k=4", method: .get)
            #expect(response.status == .ok)
            let similar = try response.decoded(SimilarJSON.self)
            #expect(similar.item.id == item)
            #expect(similar.item.title == "Book \(item)")
            #expect(similar.similar.map(\.id) == expected.map { $0.rawItemID })
            #expect(similar.similar.allSatisfy { ($0.similarity ?? 2) <= 1 })
        }
    }

    /// Without a catalogue an item is named by the catalogue's noun, in the API and on the page.
    @Test func untitledItemsTakeTheCataloguesNoun() async throws {
        let artists = try Recommender(model: recommender.model, training: recommender.trainingRatings, nouns: .artists)
        try await Fixtures.app(ModelStore(recommender: artists)).test(.live) { client in
            let id = artists.itemIDs.rawIDs[0]
            let item = try await client.execute(uri: "/items/\(id)", method: .get).decoded(ItemJSON.self)
            #expect(item.title == "Artist \(id)")
            let page = try await client.execute(uri: "/", method: .get).text
            #expect(page.contains("\"title\":\"Artist ") && !page.contains("\"title\":\"Book "))
        }
    }

    @Test func itemShowsTheCatalogueEntry() async throws {
        let withCover: Int64 = 11, withoutCover: Int64 = 10   // the generated catalogue leaves every fifth without
        try await Fixtures.app(ModelStore(recommender: recommender)).test(.live) { client in
            let book = try await client.execute(uri: "/items/\(withCover)", method: .get).decoded(ItemJSON.self)
            #expect(book.id == .integer(withCover))
            #expect(book.title == "Book 11")
            #expect(book.imageURL?.hasSuffix("/11.jpg") == true)
            let bare = try await client.execute(uri: "/items/\(withoutCover)", method: .get).decoded(ItemJSON.self)
            #expect(bare.imageURL == nil)
        }
    }

    @Test func newReaderWithAndWithoutRatings() async throws {
        let read = Array(recommender.itemIDs.rawIDs.prefix(3))
        let expected = try recommender.recommend(newReaderItems: read, ratings: [5, nil, 4], k: 6)
        try await Fixtures.app(ModelStore(recommender: recommender)).test(.live) { client in
            let body = #"{"items": [{"id": \#(read[0]), "rating": 5}, \#(read[1]), {"id": \#(read[2]), "rating": 4}, 987654]}"#
            let response = try await client.execute(uri: "/reader?k=6", method: .post, headers: [.contentType: "application/json"],
                                                    body: ByteBuffer(json: body))
            #expect(response.status == .ok)
            let list = try response.decoded(RecommendationsJSON.self)
            #expect(list.user == nil)
            #expect(list.unknownItemIDs == [987654])
            #expect(!list.popularityFallback)
            // The unknown ID is ignored, so the answer is that of the three known books.
            #expect(list.recommendations.map(\.id) == expected.recommendations.map { $0.rawItemID })
            #expect(!list.recommendations.contains { read.contains($0.id) })

            let empty = try await client.execute(uri: "/reader", method: .post, body: ByteBuffer(json: #"{"items": []}"#))
            #expect(empty.status == .ok)
            #expect(try empty.decoded(RecommendationsJSON.self).popularityFallback)
        }
    }

    @Test func pageServesTheAppWithItsData() async throws {
        try await Fixtures.app(ModelStore(recommender: recommender)).test(.live) { client in
            let response = try await client.execute(uri: "/", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
            let html = response.text
            #expect(html.contains("<title>BookServer"))
            #expect(html.contains("const BOOT = {"))
            #expect(!html.contains("__BOOTSTRAP__"))
            // Offline apart from covers: no script or stylesheet from elsewhere.
            #expect(!html.contains("<script src"))
            #expect(!html.contains("<link"))
        }
    }

    /// A title that would end the page's script early is embedded escaped, and comes back
    /// intact through the API.
    @Test func catalogueTextCannotBreakThePage() async throws {
        let hostile = #"</script><script>alert("x")</script> & "quotes" \ back"#
        let items = recommender.itemIDs.rawIDs.map { ItemMetadata(rawID: $0, title: "\(hostile) \($0)", authors: "<b>Author</b>") }
        var configuration = DemoRecommender.Configuration.small
        configuration.iterations = 1
        let withHostileTitles = try DemoRecommender.make(configuration, catalog: try ItemCatalog(items: items))
        try await Fixtures.app(ModelStore(recommender: withHostileTitles)).test(.live) { client in
            let html = try await client.execute(uri: "/", method: .get).text
            #expect(html.components(separatedBy: "</script>").count == 2, "only the page's own script ends")
            let id = withHostileTitles.itemIDs.rawIDs[0]
            let book = try await client.execute(uri: "/items/\(id)", method: .get).decoded(ItemJSON.self)
            #expect(book.title == "\(hostile) \(id)")
            #expect(book.authors == "<b>Author</b>")
        }
    }
}
