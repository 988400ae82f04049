import EmbedRec
import Hummingbird
import HummingbirdCore

/// The query parameters the endpoints read, each checked with an error that names it.
package struct QueryParameters {
    let values: FlatDictionary<Substring, Substring>

    package init(_ uri: URI) { values = uri.queryParameters }

    /// A required raw ID (`user`, `item`): an integer or any text, as the data spells it.
    package func requiredID(_ name: String, example: String) throws(APIError) -> RawID {
        guard let text = values[Substring(name)], !text.isEmpty else { throw .missingParameter(name, example: example) }
        return RawID(text)
    }

    /// K: `default` when absent, else an integer in 1...max.
    package func k(default defaultK: Int, max: Int) throws(APIError) -> Int {
        guard let text = values["k"] else { return defaultK }
        let k = try Self.integer("k", text)
        guard (1...Int64(max)).contains(k) else { throw .kOutOfRange(Int(clamping: k), max: max) }
        return Int(k)
    }

    /// An optional word from a fixed set.
    package func choice(_ name: String, of allowed: [String]) throws(APIError) -> String? {
        guard let text = values[Substring(name)] else { return nil }
        guard allowed.contains(String(text)) else {
            throw APIError(.badRequest, code: "invalid_parameter",
                           "'\(name)' must be one of \(allowed.joined(separator: ", ")), got '\(text.prefix(64))'")
        }
        return String(text)
    }

    package static func integer(_ name: String, _ text: Substring) throws(APIError) -> Int64 {
        guard let value = Int64(text) else { throw .notAnInteger(name, text) }
        return value
    }
}
