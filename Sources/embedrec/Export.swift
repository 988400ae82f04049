import ArgumentParser
import EmbedRec
import Foundation

/// A saved recommender's item embeddings in the formats other tools read.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Exports item embeddings: Embedding Projector files, CSV, NumPy .npy, a web app's book list.",
        discussion: """
        Examples:
          embedrec export books.safetensors --projector projector/
          embedrec export books.safetensors --csv items.csv --npy items.npy --web books.json

        --projector writes vecs.tsv, meta.tsv and projector_config.json (load them at projector.tensorflow.org, or in a standalone projector). --web writes the catalogue as JSON (id, title, authors, year, imageURL: the shape BookServer answers with) for a page's item list.
        """)

    @Argument(help: "A saved recommender.")
    var file: String

    @Option(help: "A folder for the Embedding Projector's files.")
    var projector: String?

    @Option(help: "A CSV file: item ID, then the embedding's values.")
    var csv: String?

    @Option(help: "A NumPy .npy file: items × dimension, float32, rows in the recommender's item order.")
    var npy: String?

    @Option(help: "A JSON file of the catalogue's books for a web app.")
    var web: String?

    func validate() throws {
        guard projector != nil || csv != nil || npy != nil || web != nil else {
            throw ValidationError("name at least one of --projector DIR, --csv FILE, --npy FILE, --web FILE")
        }
        for (option, path) in [("--csv", csv), ("--npy", npy), ("--web", web)] {
            if let path { try checkOutputPath(path, option: option) }
        }
        if let projector {
            var info = stat()
            if stat(projector, &info) == 0 {
                guard (info.st_mode & S_IFMT) == S_IFDIR else { throw ValidationError("--projector \(projector): is not a folder") }
                // Its three files are each replaced atomically; each must be replaceable now.
                for name in ["vecs.tsv", "meta.tsv", "projector_config.json"] {
                    try checkOutputPath(projector + "/" + name, option: "--projector")
                }
            } else {
                try checkOutputPath(projector, option: "--projector")   // a new folder: where it will be made
            }
        }
    }

    func run() throws {
        let recommender = try openRecommender(file)
        var written: [String] = []
        if let projector { written += try EmbeddingExport.writeProjectorFiles(recommender, to: projector) }
        if let csv { try EmbeddingExport.writeCSV(recommender, to: csv); written.append(csv) }
        if let npy { try EmbeddingExport.writeNPY(recommender, to: npy); written.append(npy) }
        if let web { try EmbeddingExport.writeWebItemList(recommender, to: web); written.append(web) }
        for path in written { print("Wrote \(path)") }
    }
}
