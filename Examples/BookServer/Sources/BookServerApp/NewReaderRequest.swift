import EmbedRec
import Foundation

/// The body of `POST /reader`: the books a new reader has read, optionally rated.
///
/// ```json
/// {"items": [1, 2, 3]}
/// {"items": [{"id": 1, "rating": 5}, {"id": 2}, 3]}
/// ```
/// A book without a rating counts as the training data's 75th-percentile rating.
package struct NewReaderRequest: Decodable, Sendable {
    package struct ReadItem: Decodable, Sendable {
        package let id: RawID
        package let rating: Float?

        private enum CodingKeys: String, CodingKey { case id, rating }

        package init(from decoder: any Decoder) throws {
            if let id = try? decoder.singleValueContainer().decode(RawID.self) {
                self.id = id; rating = nil
                return
            }
            let object = try decoder.container(keyedBy: CodingKeys.self)
            id = try object.decode(RawID.self, forKey: .id)
            rating = try object.decodeIfPresent(Float.self, forKey: .rating)
        }
    }

    package let items: [ReadItem]

    /// Decodes and checks a body, with errors a client can act on.
    package static func decode(_ data: Data, maxItems: Int) throws(APIError) -> NewReaderRequest {
        guard !data.isEmpty else {
            throw .malformedJSON(#"the body is empty; send {"items": [1, 2, 3]} or {"items": [{"id": 1, "rating": 5}]}"#)
        }
        let request: NewReaderRequest
        do {
            request = try JSONDecoder().decode(NewReaderRequest.self, from: data)
        } catch let error as DecodingError {
            throw .malformedJSON("the body is not a reading list: \(describe(error)); send {\"items\": [1, 2, 3]} or {\"items\": [{\"id\": 1, \"rating\": 5}]}")
        } catch {
            throw .malformedJSON("the body is not JSON: \(error)")
        }
        guard request.items.count <= maxItems else {
            throw APIError(.badRequest, code: "too_many_items", "at most \(maxItems) read items, got \(request.items.count)")
        }
        if let bad = request.items.first(where: { !($0.rating?.isFinite ?? true) }) {
            throw APIError(.badRequest, code: "invalid_rating", "the rating of item \(bad.id) is not a finite number")
        }
        return request
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "" : " at \(keys.hasPrefix(".") ? String(keys.dropFirst()) : keys)"
        }
        switch error {
        case .dataCorrupted(let context):
            return "invalid JSON\(path(context))"
        case .keyNotFound(let key, let context):
            return "missing key '\(key.stringValue)'\(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
