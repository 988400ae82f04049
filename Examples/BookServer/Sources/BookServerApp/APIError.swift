import Foundation
import EmbedRec
import Hummingbird

/// A request the server cannot answer, sent as a JSON body
/// `{"error": {"status": 400, "code": "missing_parameter", "message": "…"}}`.
///
/// `code` is stable for programs; `message` says what was wrong and how to ask correctly.
public struct APIError: Error, HTTPResponseError, Sendable, Equatable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String

    public init(_ status: HTTPResponse.Status, code: String, _ message: String) {
        self.status = status; self.code = code; self.message = message
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        jsonResponse()
    }

    /// The error as a response, without a request (for the error middleware).
    func jsonResponse() -> Response {
        let body = ErrorBody(error: .init(status: Int(status.code), code: code, message: message))
        let data = (try? JSONEncoder().encode(body)) ?? Data(#"{"error":{"code":"internal"}}"#.utf8)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    private struct ErrorBody: Encodable {
        struct Detail: Encodable { let status: Int; let code: String; let message: String }
        let error: Detail
    }
}

extension APIError {
    static func missingParameter(_ name: String, example: String) -> APIError {
        APIError(.badRequest, code: "missing_parameter", "missing query parameter '\(name)', e.g. \(example)")
    }

    static func notAnInteger(_ name: String, _ value: Substring) -> APIError {
        APIError(.badRequest, code: "invalid_parameter", "'\(name)' must be an integer, got '\(value.prefix(64))'")
    }

    static func kOutOfRange(_ k: Int, max: Int) -> APIError {
        APIError(.badRequest, code: "k_out_of_range", "k must be between 1 and \(max), got \(k)")
    }

    static func unknownUser(_ id: RawID) -> APIError {
        APIError(.notFound, code: "unknown_user",
                 "unknown user \(id): not in the training data (add fallback=popularity for the most-rated books instead)")
    }

    static func unknownItem(_ id: RawID) -> APIError {
        APIError(.notFound, code: "unknown_item", "unknown item \(id): not in the training data")
    }

    static func bodyTooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "body_too_large", "the request body is larger than the limit of \(limit) bytes")
    }

    static func malformedJSON(_ reason: String) -> APIError {
        APIError(.badRequest, code: "malformed_json", reason)
    }

    /// The library's answer to a request it cannot serve, as an HTTP error: one status and code
    /// per case (no default, so a new case needs a decision here).
    init(_ error: RecommenderError) {
        switch error {
        case .unknownUser(let id): self = .unknownUser(id)
        case .unknownItem(let id): self = .unknownItem(id)
        case .indexOutOfRange, .invalidK, .emptyQuery: self.init(.badRequest, code: "invalid_parameter", error.description)
        case .invalidReader: self.init(.badRequest, code: "invalid_reader", error.description)
        case .ratingOutsideScale: self.init(.badRequest, code: "invalid_rating", error.description)
        case .noFoldIn: self.init(.notImplemented, code: "no_fold_in", error.description)
        case .noItemEmbedding, .noItemSimilarity: self.init(.notImplemented, code: "no_similar_items", error.description)
        case .notARatingModel: self.init(.notImplemented, code: "not_a_rating_model", error.description)
        case .noCatalog: self.init(.notImplemented, code: "no_catalog", error.description)
        }
    }
}
