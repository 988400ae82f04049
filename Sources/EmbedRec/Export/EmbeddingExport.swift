import Foundation

/// Writes a recommender's item embeddings for other tools: the TensorFlow Embedding Projector
/// (`vecs.tsv`, `meta.tsv`, `projector_config.json`), CSV, NumPy `.npy`, and the web app's book
/// list as JSON.
///
/// Every file is written through a temporary file and renamed, like ``Recommender/save(to:)``.
public enum EmbeddingExport {
    /// The item embedding table of `recommender`'s model as (rows, dimension, values).
    /// - Throws: ``RecommenderError/noItemEmbedding(_:)``.
    static func itemTable(_ recommender: Recommender) throws -> (rows: Int, dimension: Int, values: [Float]) {
        let t = try recommender.model.itemEmbeddingTable()
        return (t.rows, t.rowLength, t.toArray())
    }

    /// Writes the Embedding Projector's three files into `folder` (created if needed):
    /// - `vecs.tsv`: one item per line, its embedding as tab-separated numbers;
    /// - `meta.tsv`: the same items' metadata. With one column (raw ID only, no catalogue) it has
    ///   no header row, as the projector expects; with several (`id`, `title`, `authors`, `year`)
    ///   the first line names them. Tabs, newlines and backslashes inside values are written as
    ///   `\t`, `\n`, `\r` and `\\`, so each item stays on one line;
    /// - `projector_config.json`: points the standalone projector at both files.
    /// - Returns: the paths written.
    @discardableResult
    public static func writeProjectorFiles(_ recommender: Recommender, to folder: String,
                                           tensorName: String = "item embeddings") throws -> [String] {
        let (rows, d, values) = try itemTable(recommender)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var vecs = ""
        vecs.reserveCapacity(rows * d * 10)
        for r in 0..<rows {
            for f in 0..<d {
                if f > 0 { vecs += "\t" }
                vecs += "\(values[r * d + f])"
            }
            vecs += "\n"
        }
        var meta = ""
        if let catalog = recommender.catalog {
            meta += "id\ttitle\tauthors\tyear\n"
            for raw in recommender.itemIDs.rawIDs {
                let item = catalog[rawID: raw]
                meta += [raw.description, item?.title ?? "", item?.authors ?? "", item?.year.map(String.init) ?? ""]
                    .map(escapeTSV).joined(separator: "\t") + "\n"
            }
        } else {
            for raw in recommender.itemIDs.rawIDs { meta += "\(raw)\n" }
        }
        let config = """
        {
          "embeddings": [
            {
              "tensorName": \(SafeTensors.jsonString(tensorName)),
              "tensorShape": [\(rows), \(d)],
              "tensorPath": "vecs.tsv",
              "metadataPath": "meta.tsv"
            }
          ]
        }

        """
        let paths = ["vecs.tsv", "meta.tsv", "projector_config.json"].map { folder + "/" + $0 }
        try writeText(vecs, to: paths[0])
        try writeText(meta, to: paths[1])
        try writeText(config, to: paths[2])
        return paths
    }

    /// A TSV field with tabs, line breaks and backslashes escaped.
    static func escapeTSV(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Writes the item embeddings as CSV: a header `item_id,e0,e1,…`, then one row per item
    /// with its raw ID.
    public static func writeCSV(_ recommender: Recommender, to path: String) throws {
        let (rows, d, values) = try itemTable(recommender)
        var text = "item_id," + (0..<d).map { "e\($0)" }.joined(separator: ",") + "\n"
        for r in 0..<rows {
            text += "\(recommender.itemIDs.rawIDs[r])"
            for f in 0..<d { text += ",\(values[r * d + f])" }
            text += "\n"
        }
        try writeText(text, to: path)
    }

    /// Writes the item embeddings as a NumPy `.npy` file (format 1.0, `<f4`, C order, shape
    /// `(items, d)`); row r is the item with raw ID `recommender.itemIDs.rawIDs[r]`.
    public static func writeNPY(_ recommender: Recommender, to path: String) throws {
        let (rows, d, values) = try itemTable(recommender)
        try AtomicFileWriter.write(path, bytes: npy(values, shape: [rows, d]))
    }

    /// The bytes of a `.npy` file holding little-endian Float32 `values` of `shape`.
    static func npy(_ values: [Float], shape: [Int]) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        // Magic (6) + version (2) + length (2) + header + "\n" is a multiple of 64.
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let n = UInt16(header.utf8.count)
        bytes += [UInt8(n & 0xFF), UInt8(n >> 8)] + Array(header.utf8)
        values.withUnsafeBytes { bytes += $0 }
        return bytes
    }

    /// Writes the catalogue as a web page's item list: a JSON array of ``ItemJSON`` (the shape
    /// BookServer answers with, without scores) in item-ID order, for the items the model knows.
    /// - Throws: ``RecommenderError/noCatalog`` when the recommender has no catalogue.
    public static func writeWebItemList(_ recommender: Recommender, to path: String) throws {
        guard let catalog = recommender.catalog else { throw RecommenderError.noCatalog }
        let items = recommender.itemIDs.rawIDs.map { ItemJSON(id: $0, metadata: catalog[rawID: $0]) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try AtomicFileWriter.write(path, bytes: try encoder.encode(items))
    }

    static func writeText(_ text: String, to path: String) throws { try AtomicFileWriter.write(path, bytes: text.utf8) }
}
