import EmbedRec
import Foundation
import Hummingbird
import Logging
import NIOCore

/// The endpoints. Each handler takes one snapshot of the served recommender and answers from
/// it alone, so a reload never mixes two models in one answer.
struct BookServerRoutes: Sendable {
    let store: ModelStore
    let configuration: BookServerConfiguration

    func add(to router: Router<BookServerRequestContext>) {
        router.get("/") { _, _ in page() }
        router.get("/health") { _, _ in try health() }
        router.get("/recommend") { request, _ in try recommend(QueryParameters(request.uri)) }
        router.get("/similar") { request, _ in try similar(QueryParameters(request.uri)) }
        router.get("/items/:id") { _, context in try item(context.parameters.get("id") ?? "") }
        router.post("/reader") { request, _ in try await newReader(request) }
        router.post("/admin/reload") { _, context in try await reload(context) }
    }

    // MARK: Handlers

    func page() -> Response {
        let snapshot = store.current
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: BookPage.html(for: snapshot.recommender, defaultK: configuration.defaultK, maxK: configuration.maxK))))
    }

    func health() throws -> Response {
        let snapshot = store.current
        let r = snapshot.recommender
        return try json(HealthJSON(
            status: "ok", model: r.model.summary, users: r.userIDs.count, items: r.itemIDs.count,
            hasCatalog: r.catalog != nil, generation: snapshot.generation, loadedAt: snapshot.loadedAt,
            modelFile: snapshot.sourcePath))
    }

    func recommend(_ query: QueryParameters) throws -> Response {
        let user = try query.requiredID("user", example: "/recommend?user=314&k=10")
        let k = try query.k(default: configuration.defaultK, max: configuration.maxK)
        let policy: Recommender.UnknownUserPolicy = try query.choice("fallback", of: ["none", "popularity"]) == "popularity" ? .popularity : .fail
        let snapshot = store.current
        let list: Recommender.RecommendationList
        do {
            list = try snapshot.recommender.recommend(user: user, k: k, unknownUser: policy)
        } catch let error as RecommenderError {
            throw APIError(error)
        }
        return jsonResponse(ListJSONWriter.bytes(listJSON(list, user: user, k: k, snapshot.books)))
    }

    func similar(_ query: QueryParameters) throws -> Response {
        let item = try query.requiredID("item", example: "/similar?item=1&k=10")
        let k = try query.k(default: configuration.defaultK, max: configuration.maxK)
        let snapshot = store.current
        let neighbours: [SimilarItems.Neighbour]
        do {
            neighbours = try snapshot.recommender.similarItems(to: item, k: k)
        } catch let error as RecommenderError {
            throw APIError(error)
        }
        return jsonResponse(ListJSONWriter.bytes(SimilarJSON(
            item: snapshot.books.book(item), k: k,
            similar: neighbours.map { snapshot.books.book($0.rawItemID, similarity: $0.similarity) })))
    }

    func item(_ idText: String) throws -> Response {
        guard !idText.isEmpty else { throw APIError.missingParameter("id", example: "/item/1") }
        let id = RawID(idText)
        let snapshot = store.current
        guard snapshot.recommender.itemIDs.index(of: id) != nil else { throw APIError.unknownItem(id) }
        return jsonResponse(ListJSONWriter.bytes(snapshot.books.book(id)))
    }

    func newReader(_ request: Request) async throws -> Response {
        let query = QueryParameters(request.uri)
        let k = try query.k(default: configuration.defaultK, max: configuration.maxK)
        let limit = configuration.maxBodyBytes
        // A declared length over the limit is refused before any byte is read.
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw APIError.bodyTooLarge(limit: limit)
        }
        let body = try await Self.collect(request.body, upTo: limit, within: configuration.bodyTimeoutSeconds)
        let reader = try NewReaderRequest.decode(Data(buffer: body), maxItems: configuration.maxReaderItems)
        let snapshot = store.current
        let list: Recommender.RecommendationList
        do {
            list = try snapshot.recommender.recommend(newReaderItems: reader.items.map(\.id), ratings: reader.items.map(\.rating), k: k)
        } catch let error as RecommenderError {
            throw APIError(error)
        }
        return jsonResponse(ListJSONWriter.bytes(listJSON(list, user: nil, k: k, snapshot.books)))
    }

    func reload(_ context: BookServerRequestContext) async throws -> Response {
        guard context.remoteAddress?.isLoopbackPeer == true else {
            throw APIError(.forbidden, code: "loopback_only", "POST /admin/reload is accepted from this machine (loopback) only")
        }
        let snapshot: ModelStore.Snapshot
        do {
            snapshot = try await store.reload()
        } catch {
            context.logger.warning("model reload refused", metadata: ["reason": .string(error.description)])
            switch error {
            case .noModelFile: throw APIError(.conflict, code: "no_model_file", error.description)
            case .alreadyReloading: throw APIError(.conflict, code: "reload_running", error.description)
            case .refused: throw APIError(.unprocessableContent, code: "model_refused", error.description)
            }
        }
        context.logger.notice("model reloaded", metadata: [
            "generation": .stringConvertible(snapshot.generation), "model": .string(snapshot.recommender.model.summary),
            "file": .string(snapshot.sourcePath ?? "")])
        return try json(ReloadJSON(reloaded: true, generation: snapshot.generation,
                                   model: snapshot.recommender.model.summary, modelFile: snapshot.sourcePath))
    }

    // MARK: Helpers

    /// The whole body, refused with 413 past `limit` bytes and with 408 when it has not
    /// arrived within `seconds` (a client trickling a body must not hold the handler).
    static func collect(_ body: RequestBody, upTo limit: Int, within seconds: Double) async throws -> ByteBuffer {
        try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                do { return try await body.collect(upTo: limit) } catch is NIOTooManyBytesError { throw APIError.bodyTooLarge(limit: limit) }
            }
            group.addTask {
                try await Task.sleep(for: .nanoseconds(Int64(seconds * 1e9)))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let collected = first else {
                throw APIError(.requestTimeout, code: "body_timeout", "the request body did not arrive within \(seconds) s")
            }
            return collected
        }
    }

    private func listJSON(_ list: Recommender.RecommendationList, user: RawID?, k: Int, _ books: BookDirectory) -> RecommendationsJSON {
        RecommendationsJSON(
            user: user, k: k, popularityFallback: list.isPopularityFallback, unknownItemIDs: list.unknownItemIDs,
            recommendations: list.recommendations.map { books.book($0.rawItemID, score: $0.score, predictedRating: $0.predictedRating) })
    }

    private func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        // Keys in a fixed order and URLs unescaped: answers read (and diff) as written.
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return jsonResponse(ByteBuffer(bytes: try encoder.encode(value)))
    }

    private func jsonResponse(_ body: ByteBuffer) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: body))
    }
}
