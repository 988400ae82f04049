import BookServerApp
import EmbedRec
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// What the libFuzzer target in `Examples/BookServer/Fuzz` does with one input, and what
/// `RequestFuzzingTests` replays for the seed corpus and every saved finding: raw bytes in, one
/// request through the server's own parsing and its real router (no socket), the answer checked.
///
/// An input is a flags byte, the request target (path and query string) up to the first LF, and
/// the body (the rest). The flags pick the method (bits 0–2), leave out `Content-Length`
/// (bit 3), declare one past the body limit (bit 4), make the peer non-loopback (bit 5) and
/// stream the body in small chunks (bit 6).
///
/// The invariant: never a crash, never a 5xx (the served model does every endpoint, so even
/// the 501s are a finding), every answer but the page (`GET /`, HTML) is JSON, and an error
/// answer is `{"error": {"status", "code", "message"}}` with the response's status. The
/// query checks (``QueryParameters``) and the body decoder (``NewReaderRequest/decode(_:maxItems:)``)
/// are also called directly: each returns a checked value or throws a 4xx ``APIError``.
/// Internal: reached by the fuzz package and the tests through `@testable import`.
enum RequestFuzzing {
    /// The limits the fuzzer runs with: small, so that the body and list limits are reachable
    /// within libFuzzer's input sizes.
    static let configuration: BookServerConfiguration = {
        var configuration = BookServerConfiguration()
        configuration.maxBodyBytes = 2_048
        configuration.maxK = 50
        configuration.defaultK = 10
        configuration.maxReaderItems = 40
        configuration.requestLogLevel = .trace
        return configuration
    }()

    /// The methods bits 0–2 of the flags pick.
    static let methods: [HTTPRequest.Method] = [.get, .post, .get, .post, .delete, .head, .put, .options]

    /// A tiny recommender (60 readers, 40 books, d = 8), its store without a model file (so a
    /// reload answers 409 and never opens a file) and the router's responder, built once.
    static let server: (store: ModelStore, responder: RouterResponder<BookServerRequestContext>) = {
        var demo = DemoRecommender.Configuration(users: 60, items: 40, ratings: 1_200)
        demo.dimension = 8
        demo.iterations = 1
        let recommender: Recommender
        do { recommender = try DemoRecommender.make(demo) } catch { fatalError("RequestFuzzing: cannot build the recommender: \(error)") }
        let store = ModelStore(recommender: recommender)
        return (store, BookServerApplication.makeRouter(store: store, configuration: configuration).buildResponder())
    }()

    /// Quiet: the middleware's request lines are not what the fuzzer reads.
    static let logger: Logger = {
        var logger = Logger(label: "bookserver-fuzz")
        logger.logLevel = .critical
        return logger
    }()

    /// One input as a request.
    struct Input {
        var method: HTTPRequest.Method
        var target: String
        var body: [UInt8]
        var declaresLength: Bool
        var declaresTooLong: Bool
        var loopbackPeer: Bool
        var chunkedBody: Bool

        init(_ bytes: [UInt8]) {
            let flags = bytes.first ?? 0
            let rest = bytes.dropFirst()
            let newline = rest.firstIndex(of: UInt8(ascii: "\n")) ?? rest.endIndex
            method = RequestFuzzing.methods[Int(flags & 7)]
            target = String(decoding: rest[..<newline], as: UTF8.self)
            body = newline < rest.endIndex ? Array(rest[rest.index(after: newline)...]) : []
            declaresLength = flags & 8 == 0
            declaresTooLong = flags & 16 != 0
            loopbackPeer = flags & 32 == 0
            chunkedBody = flags & 64 != 0
        }
    }

    /// The answer, as a client would read it.
    struct Answer {
        var status: HTTPResponse.Status
        var contentType: String?
        var body: [UInt8]
    }

    /// The request head of an input. HTTPTypes legalizes the target as any server's HTTP layer
    /// hands it over (a NUL or a control character becomes a space, surrounding spaces go):
    /// the checks read the path and query from here, as the router does, not from the raw bytes.
    static func head(_ input: Input) -> HTTPRequest {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if input.declaresLength {
            headers[.contentLength] = String(input.declaresTooLong ? configuration.maxBodyBytes + 1 : input.body.count)
        }
        return HTTPRequest(method: input.method, scheme: "http", authority: "localhost", path: input.target, headerFields: headers)
    }

    /// Sends one input through the router.
    static func respond(_ bytes: [UInt8]) async throws -> Answer {
        let input = Input(bytes)
        let body: RequestBody
        if input.chunkedBody {
            let chunks = stride(from: 0, to: input.body.count, by: 7).map {
                ByteBuffer(bytes: input.body[$0..<min($0 + 7, input.body.count)])
            }
            body = RequestBody(asyncSequence: AsyncStream { continuation in
                for chunk in chunks { continuation.yield(chunk) }
                continuation.finish()
            })
        } else {
            body = RequestBody(buffer: ByteBuffer(bytes: input.body))
        }
        let request = Request(head: head(input), body: body)
        let peer = try SocketAddress(ipAddress: input.loopbackPeer ? "127.0.0.1" : "203.0.113.7", port: 40_000)
        let context = BookServerRequestContext(logger: logger, remoteAddress: peer)
        let response = try await server.responder.respond(to: request, context: context)
        let writer = CollectingWriter()
        try await response.body.write(writer)
        return Answer(status: response.status, contentType: response.headers[.contentType], body: writer.box.bytes)
    }

    /// Checks one input: nil when every invariant holds, else what broke (the fuzzer stops on
    /// it, a test fails with it).
    static func check(_ bytes: [UInt8]) async -> String? {
        let input = Input(bytes)
        let target = head(input).path ?? ""
        if let broken = checkParsers(input) { return broken }
        let answer: Answer
        do {
            answer = try await respond(bytes)
        } catch {
            return "the responder threw instead of answering: \(String(reflecting: error))"
        }
        let text = String(decoding: answer.body.prefix(300), as: UTF8.self)
        guard answer.status.code < 500 else {
            return "\(answer.status.code) for \(input.method) \(target.debugDescription): \(text)"
        }
        // HEAD: a GET route's status and headers, never a body.
        if input.method == .head {
            return answer.body.isEmpty && answer.contentType != nil ? nil : "HEAD \(target.debugDescription) answered \(answer.body.count) body bytes"
        }
        // The page is the one answer that is not JSON (which paths reach it is the router's
        // business: "/", "//", "/?x").
        if answer.contentType?.hasPrefix("text/html") == true {
            return answer.status == .ok && input.method == .get ? nil : "an HTML \(answer.status.code) for \(input.method) \(target.debugDescription)"
        }
        guard answer.contentType?.hasPrefix("application/json") == true else {
            return "\(answer.status.code) for \(input.method) \(target.debugDescription) came as \(answer.contentType ?? "no type"): \(text)"
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(answer.body))
        } catch {
            return "\(answer.status.code) for \(input.method) \(target.debugDescription) is not JSON: \(text)"
        }
        if answer.status == .ok {
            if let list = (json as? [String: Any])?["recommendations"] ?? (json as? [String: Any])?["similar"] {
                guard let list = list as? [Any], list.count <= configuration.maxK else { return "a list longer than the largest k: \(text)" }
            }
            return nil
        }
        guard let error = (json as? [String: Any])?["error"] as? [String: Any],
              error["status"] as? Int == Int(answer.status.code),
              let code = error["code"] as? String, !code.isEmpty,
              let message = error["message"] as? String, !message.isEmpty else {
            return "\(answer.status.code) for \(input.method) \(target.debugDescription) is not an error body: \(text)"
        }
        return nil
    }

    /// The query checks and the body decoder on their own: a value, or a 4xx ``APIError``.
    static func checkParsers(_ input: Input) -> String? {
        let query = QueryParameters(URI(head(input).path ?? ""))
        func clientError(_ what: String, _ body: () throws(APIError) -> Void) -> String? {
            do { try body() } catch {
                return (400..<500).contains(error.status.code) && !error.code.isEmpty ? nil : "\(what) threw \(error)"
            }
            return nil
        }
        return clientError("requiredID", { () throws(APIError) in _ = try query.requiredID("user", example: "/recommend?user=1") })
            ?? clientError("k", { () throws(APIError) in
                let k = try query.k(default: configuration.defaultK, max: configuration.maxK)
                if !(1...configuration.maxK).contains(k) { throw APIError(.internalServerError, code: "k", "k \(k) accepted") }
            })
            ?? clientError("choice", { () throws(APIError) in
                if let word = try query.choice("fallback", of: ["none", "popularity"]), !["none", "popularity"].contains(word) {
                    throw APIError(.internalServerError, code: "choice", "\(word) accepted")
                }
            })
            ?? clientError("NewReaderRequest.decode", { () throws(APIError) in
                let reader = try NewReaderRequest.decode(Data(input.body), maxItems: configuration.maxReaderItems)
                if reader.items.count > configuration.maxReaderItems || reader.items.contains(where: { !($0.rating?.isFinite ?? true) }) {
                    throw APIError(.internalServerError, code: "decode", "an unchecked reading list accepted")
                }
            })
    }

    /// ``check(_:)`` for a caller that cannot wait asynchronously (libFuzzer's callback).
    static func checkBlocking(_ bytes: [UInt8]) -> String? {
        blocking { await check(bytes) }
    }

    /// `body`'s answer, waited for from a synchronous caller (a libFuzzer callback).
    static func blocking(_ body: @escaping @Sendable () async -> String?) -> String? {
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        Task {
            box.set(await body())
            done.signal()
        }
        done.wait()
        return box.value
    }

    final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: String?
        func set(_ value: String?) { lock.withLock { stored = value } }
        var value: String? { lock.withLock { stored } }
    }

    /// Collects a response body (the response is written once, by one task).
    struct CollectingWriter: ResponseBodyWriter {
        final class Box: @unchecked Sendable { var bytes: [UInt8] = [] }
        let box = Box()
        mutating func write(_ buffer: ByteBuffer) async throws { box.bytes += buffer.readableBytesView }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
