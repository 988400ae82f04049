import BookServerApp
import EmbedRec
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// What a client can get wrong, each answered with a 4xx JSON error that names the problem, on a
/// live loopback server that keeps answering afterwards.
@Suite struct BadRequestTests {
    let recommender: Recommender

    init() throws { recommender = try Fixtures.small.get() }

    struct Case: Sendable, CustomTestStringConvertible {
        let method: HTTPRequest.Method
        let uri: String
        var body: String? = nil
        let status: HTTPResponse.Status
        let code: String
        /// Words the message must contain.
        let mentions: [String]
        var testDescription: String { "\(method) \(uri) → \(status.code) \(code)" }
    }

    static let cases: [Case] = [
        Case(method: .get, uri: "/recommend", status: .badRequest, code: "missing_parameter", mentions: ["user"]),
        Case(method: .get, uri: "/recommend?user=", status: .badRequest, code: "missing_parameter", mentions: ["user"]),
        // IDs may be text (ISBNs, names): one the model lacks is unknown, not malformed.
        Case(method: .get, uri: "/recommend?user=abc", status: .notFound, code: "unknown_user", mentions: ["abc"]),
        Case(method: .get, uri: "/recommend?user=1.5", status: .notFound, code: "unknown_user", mentions: ["1.5"]),
        Case(method: .get, uri: "/recommend?user=99999999999999999999", status: .notFound, code: "unknown_user", mentions: ["99999999999999999999"]),
        Case(method: .get, uri: "/recommend?user=1&k=0", status: .badRequest, code: "k_out_of_range", mentions: ["1 and 100", "0"]),
        Case(method: .get, uri: "/recommend?user=1&k=-3", status: .badRequest, code: "k_out_of_range", mentions: ["-3"]),
        Case(method: .get, uri: "/recommend?user=1&k=101", status: .badRequest, code: "k_out_of_range", mentions: ["101"]),
        Case(method: .get, uri: "/recommend?user=1&k=ten", status: .badRequest, code: "invalid_parameter", mentions: ["k", "ten"]),
        Case(method: .get, uri: "/recommend?user=999999", status: .notFound, code: "unknown_user", mentions: ["999999", "fallback=popularity"]),
        Case(method: .get, uri: "/recommend?user=1&fallback=random", status: .badRequest, code: "invalid_parameter", mentions: ["fallback", "popularity"]),
        Case(method: .get, uri: "/similar", status: .badRequest, code: "missing_parameter", mentions: ["item"]),
        Case(method: .get, uri: "/similar?item=x1", status: .notFound, code: "unknown_item", mentions: ["x1"]),
        Case(method: .get, uri: "/similar?item=424242", status: .notFound, code: "unknown_item", mentions: ["424242"]),
        Case(method: .get, uri: "/similar?item=1&k=1000", status: .badRequest, code: "k_out_of_range", mentions: ["1000"]),
        Case(method: .get, uri: "/items/abc", status: .notFound, code: "unknown_item", mentions: ["abc"]),
        Case(method: .get, uri: "/items/424242", status: .notFound, code: "unknown_item", mentions: ["424242"]),
        Case(method: .get, uri: "/nowhere", status: .notFound, code: "not_found", mentions: ["/nowhere", "/recommend"]),
        Case(method: .post, uri: "/reader", body: "", status: .badRequest, code: "malformed_json", mentions: ["empty"]),
        Case(method: .post, uri: "/reader", body: "{\"items\": [1, 2", status: .badRequest, code: "malformed_json", mentions: ["invalid JSON"]),
        Case(method: .post, uri: "/reader", body: "[1, 2, 3]", status: .badRequest, code: "malformed_json", mentions: ["items"]),
        Case(method: .post, uri: "/reader", body: "{\"books\": [1]}", status: .badRequest, code: "malformed_json", mentions: ["missing key 'items'"]),
        Case(method: .post, uri: "/reader", body: "{\"items\": [true]}", status: .badRequest, code: "malformed_json", mentions: ["items[0]"]),
        Case(method: .post, uri: "/reader", body: "{\"items\": [{\"id\": 1, \"rating\": \"high\"}]}", status: .badRequest, code: "malformed_json", mentions: ["rating"]),
        Case(method: .post, uri: "/reader", body: "{\"items\": [{\"id\": 1, \"rating\": 1e300}]}", status: .badRequest, code: "malformed_json", mentions: ["rating"]),
        Case(method: .post, uri: "/reader", body: "{\"items\": [{\"id\": 1, \"rating\": 50}]}", status: .badRequest, code: "invalid_rating", mentions: ["50", "scale"]),
        Case(method: .post, uri: "/reader?k=0", body: "{\"items\": [1]}", status: .badRequest, code: "k_out_of_range", mentions: ["0"]),
        Case(method: .post, uri: "/reader", body: String(repeating: " ", count: 5_000), status: .contentTooLarge, code: "body_too_large", mentions: ["4096"]),
        Case(method: .get, uri: "/reader", status: .notFound, code: "not_found", mentions: ["GET /reader", "POST /reader"]),
        Case(method: .delete, uri: "/health", status: .notFound, code: "not_found", mentions: ["DELETE /health"]),
    ]

    @Test(arguments: cases)
    func answeredWithJSONError(_ c: Case) async throws {
        try await Fixtures.app(ModelStore(recommender: recommender)).test(.live) { client in
            let response = try await client.execute(
                uri: c.uri, method: c.method, headers: [.contentType: "application/json"], body: c.body.map { ByteBuffer(string: $0) })
            #expect(response.status == c.status, "\(response.text)")
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            let error = try response.decoded(ErrorBody.self).error
            #expect(error.status == Int(c.status.code))
            #expect(error.code == c.code)
            for word in c.mentions { #expect(error.message.contains(word), "\(error.message)") }
            // The server is still there.
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
        }
    }

    @Test func tooManyReadItemsAreRefused() async throws {
        var configuration = Fixtures.configuration
        configuration.maxReaderItems = 3
        try await Fixtures.app(ModelStore(recommender: recommender), configuration).test(.live) { client in
            let response = try await client.execute(uri: "/reader", method: .post, body: ByteBuffer(string: #"{"items": [1, 2, 3, 4]}"#))
            #expect(response.status == .badRequest)
            #expect(try response.decoded(ErrorBody.self).error.code == "too_many_items")
        }
    }

    @Test func garbageBytesDoNotStopTheServer() async throws {
        try await Fixtures.app(ModelStore(recommender: recommender)).test(.live) { client in
            var bytes = ByteBuffer()
            bytes.writeBytes((0..<2_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) })
            let response = try await client.execute(uri: "/reader", method: .post, body: bytes)
            #expect(response.status == .badRequest)
            for uri in ["/recommend?user=%00%FF", "/items/%20", "/recommend?user=-1", "/similar?item=%2B%2B", "/recommend?user=1&k=99999999999999999999"] {
                let status = try await client.execute(uri: uri, method: .get).status
                #expect((400..<500).contains(status.code), "\(uri): \(status)")
            }
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
        }
    }
}
