import Foundation
import Testing
@testable import EmbedRec

@Suite("Exports: Embedding Projector, CSV, .npy, web JSON")
struct EmbeddingExportTests {
    static func recommender(catalog: ItemCatalog?) throws -> Recommender {
        let data = try RecommenderFixture.data()
        let model = try BiasedMF(for: data, configuration: .init(dimension: 3))
        return try Recommender(model: model, training: data, catalog: catalog)
    }

    static func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    @Test("projector files: one line per item, vectors that parse back, a header only with several columns, escaped titles")
    func projector() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Self.recommender(catalog: RecommenderFixture.catalog)
        let (rows, d, values) = try EmbeddingExport.itemTable(r)
        try EmbeddingExport.writeProjectorFiles(r, to: dir.path, tensorName: "books \"d=3\"")
        let vecs = try Self.read(dir.appendingPathComponent("vecs.tsv").path).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(vecs.count == rows + 1 && vecs.last == "")
        let parsed = vecs.dropLast().flatMap { $0.split(separator: "\t").map { Float($0)! } }
        #expect(parsed == values && vecs[0].split(separator: "\t").count == d)
        let meta = try Self.read(dir.appendingPathComponent("meta.tsv").path).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(meta.count == rows + 2, "header + one line per item + final newline")
        #expect(meta[0] == "id\ttitle\tauthors\tyear")
        #expect(meta[1] == "1\tBook 1\\t\"quoted\"\\nline\t\t1991")
        #expect(meta[2] == "2\tBook 2\\t\"quoted\"\\nline\tA. Author\t1992")
        #expect(meta.dropFirst().dropLast().allSatisfy { $0.split(separator: "\t", omittingEmptySubsequences: false).count == 4 })
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("projector_config.json"))) as! [String: Any]
        let entry = (config["embeddings"] as! [[String: Any]])[0]
        #expect(entry["tensorName"] as? String == "books \"d=3\"")
        #expect(entry["tensorShape"] as? [Int] == [rows, d])
        #expect(entry["tensorPath"] as? String == "vecs.tsv" && entry["metadataPath"] as? String == "meta.tsv")
        // Without a catalogue: a single column and so no header row.
        let plain = dir.appendingPathComponent("plain").path
        try EmbeddingExport.writeProjectorFiles(try Self.recommender(catalog: nil), to: plain)
        let ids = try Self.read(plain + "/meta.tsv").split(separator: "\n")
        #expect(ids.count == rows && ids.first == "1" && ids.allSatisfy { Int64($0) != nil })
        #expect(EmbeddingExport.escapeTSV("a\\b\tc\r\nd") == "a\\\\b\\tc\\r\\nd")
    }

    @Test("CSV and .npy hold the same table; the .npy header follows format 1.0")
    func csvAndNPY() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Self.recommender(catalog: nil)
        let (rows, d, values) = try EmbeddingExport.itemTable(r)
        try EmbeddingExport.writeCSV(r, to: dir.appendingPathComponent("e.csv").path)
        let lines = try Self.read(dir.appendingPathComponent("e.csv").path).split(separator: "\n")
        #expect(lines[0] == "item_id,e0,e1,e2" && lines.count == rows + 1)
        #expect(lines.dropFirst().flatMap { $0.split(separator: ",").dropFirst().map { Float($0)! } } == values)
        #expect(lines.dropFirst().map { Int64($0.split(separator: ",")[0])! } == r.itemIDs.integerRawIDs!)
        let npyPath = dir.appendingPathComponent("e.npy").path
        try EmbeddingExport.writeNPY(r, to: npyPath)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: npyPath)))
        #expect(Array(bytes[0..<8]) == [0x93, 78, 85, 77, 80, 89, 1, 0])
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(d)), }") && header.hasSuffix("\n"))
        let body = Array(bytes[(10 + headerLength)...])
        #expect(body.count == rows * d * 4)
        let floats = (0..<(rows * d)).map { k in
            Float(bitPattern: UInt32(body[4 * k]) | UInt32(body[4 * k + 1]) << 8 | UInt32(body[4 * k + 2]) << 16 | UInt32(body[4 * k + 3]) << 24)
        }
        #expect(floats == values)
        #expect(EmbeddingExport.npy([1, 2], shape: [2]).count % 64 == 8, "1-D shape, 64-byte header")
        if let python = PythonInteropTests.python {
            let check = try PythonInteropTests.run(python, ["-c", "import numpy as np, sys; a = np.load(sys.argv[1]); print(a.shape, a.dtype, float(a.sum()))", npyPath])
            #expect(check.output.hasPrefix("(\(rows), \(d)) float32"), "\(check.output) \(check.error)")
        }
    }

    @Test("the web item list: one ItemJSON per model item, in item order, the shape BookServer answers with")
    func webJSON() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let partial = try ItemCatalog(items: RecommenderFixture.catalog.items.prefix(10))
        let r = try Self.recommender(catalog: partial)
        let path = dir.appendingPathComponent("items.json").path
        try EmbeddingExport.writeWebItemList(r, to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let items = try JSONDecoder().decode([ItemJSON].self, from: bytes)
        #expect(items == r.itemIDs.rawIDs.map { ItemJSON(id: $0, metadata: partial[rawID: $0]) })
        #expect(items[1].id == 2 && items[1].title == "Book 2\t\"quoted\"\nline")
        #expect(items[1].authors == "A. Author" && items[1].imageURL == "https://example.com/2.jpg")
        // An item the catalogue lacks: a made-up title, no other field.
        #expect(items[20] == ItemJSON(id: r.itemIDs.rawIDs[20], metadata: nil) && items[20].title == "Item \(r.itemIDs.rawIDs[20])")
        let objects = try JSONSerialization.jsonObject(with: bytes) as! [[String: Any]]
        #expect(Set(objects[20].keys) == ["id", "title"], "absent values are left out, not null")
        #expect(objects.allSatisfy { $0["score"] == nil && $0["predictedRating"] == nil })
        #expect(String(decoding: bytes, as: UTF8.self).contains("https://example.com/2.jpg"), "slashes unescaped")
        #expect(throws: RecommenderError.noCatalog) { try EmbeddingExport.writeWebItemList(try Self.recommender(catalog: nil), to: path) }
    }
}
