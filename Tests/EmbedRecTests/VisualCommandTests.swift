import Foundation
import Testing
@testable import EmbedRec

/// `embedrec export`, `plot` and `report` run as a person would, on a recommender trained by
/// `embedrec train` from a generated file.
@Suite("embedrec command: export, plot, report")
struct VisualCommandTests {
    @Test("export writes the projector files, CSV, .npy and book list; plot writes SVG; report writes HTML; bad input fails cleanly",
          .enabled(if: OpenBLASRelaunchTests.executable != nil, "the embedrec binary is built next to the tests"))
    func exportPlotReport() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let data = try SyntheticRatings.generate(.init(users: 120, items: 50, ratings: 2400, seed: 4))
        try RatingsWriter.writeCSV(data, to: path("ratings.csv"), header: ["user_id", "book_id", "rating"], columns: [.user, .item, .rating])
        try RatingsWriter.writeCSV(data.subset(rows: 0..<300), to: path("test.csv"), header: ["user_id", "book_id", "rating"], columns: [.user, .item, .rating])
        let books = "book_id,title,authors,original_publication_year\n" + data.itemIDs.integerRawIDs!.map { "\($0),Book \($0),Author \($0 % 7),\(1960 + $0 % 50)" }.joined(separator: "\n") + "\n"
        try books.write(toFile: path("books.csv"), atomically: true, encoding: .utf8)
        let model = path("model.safetensors")
        let train = try OpenBLASRelaunchTests.run(["train", path("ratings.csv"), "--epochs", "3", "--catalog", path("books.csv"), "--output", model])
        #expect(train.status == 0, "\(train.err)")

        let export = try OpenBLASRelaunchTests.run(["export", model, "--projector", path("projector"), "--csv", path("items.csv"),
                                                    "--npy", path("items.npy"), "--web", path("books.json")])
        #expect(export.status == 0, "\(export.err)")
        for file in ["projector/vecs.tsv", "projector/meta.tsv", "projector/projector_config.json", "items.csv", "items.npy", "books.json"] {
            #expect(FileManager.default.fileExists(atPath: path(file)), "\(file) missing")
        }
        let vecs = try String(contentsOfFile: path("projector/vecs.tsv"), encoding: .utf8)
        #expect(vecs.split(separator: "\n").count == 50)

        for kind in ["loss", "map", "histogram"] {
            // t-SNE's --iterations is for the map only (the other kinds refuse it).
            let result = try OpenBLASRelaunchTests.run(["plot", kind, model, "--output", path("\(kind).svg")] + (kind == "map" ? ["--iterations", "50"] : []))
            #expect(result.status == 0, "\(kind): \(result.err)")
            let svg = try String(contentsOfFile: path("\(kind).svg"), encoding: .utf8)
            #expect(svg.hasPrefix("<?xml") && svg.contains("<svg") && svg.hasSuffix("</svg>\n"))
        }
        // Two runs of one recipe: the legend names each by its file, not by the shared summary.
        // --no-refit: the saved history keeps its validation curve (a refit's has none).
        let again = try OpenBLASRelaunchTests.run(["train", path("ratings.csv"), "--epochs", "2", "--no-refit", "--output", path("again.safetensors")])
        #expect(again.status == 0, "\(again.err)")
        let runs = try OpenBLASRelaunchTests.run(["plot", "loss", model, path("again.safetensors"), "--output", path("runs.svg")])
        #expect(runs.status == 0, "\(runs.err)")
        let legend = try String(contentsOfFile: path("runs.svg"), encoding: .utf8)
        #expect(legend.contains(">model training</text>") && legend.contains(">again validation</text>"), "legend names the runs by file")
        // Files of one name in two folders: named by their paths.
        try FileManager.default.createDirectory(atPath: path("sub"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: path("again.safetensors"), toPath: path("sub/model.safetensors"))
        let same = try OpenBLASRelaunchTests.run(["plot", "loss", model, path("sub/model.safetensors"), "--output", path("same.svg")])
        #expect(same.status == 0, "\(same.err)")
        #expect(try String(contentsOfFile: path("same.svg"), encoding: .utf8).contains("sub/model.safetensors training"))
        let map = try String(contentsOfFile: path("map.svg"), encoding: .utf8)
        #expect(map.contains("by decade") && map.contains("<title>Book "))
        let metrics = try OpenBLASRelaunchTests.run(["plot", "metrics", model, "--test", path("test.csv"), "--output", path("metrics.svg")])
        #expect(metrics.status == 0, "\(metrics.err)")
        let recall = (try? String(contentsOfFile: path("metrics.svg"), encoding: .utf8)) ?? ""
        #expect(recall.contains("baseline popularity"))

        let report = try OpenBLASRelaunchTests.run(["report", model, "--test", path("test.csv"), "--output", path("report.html"),
                                                    "--projection", "pca"])
        #expect(report.status == 0, "\(report.err)")
        let html = try String(contentsOfFile: path("report.html"), encoding: .utf8)
        #expect(html.contains("<table>") && html.components(separatedBy: "<svg ").count == 5 && html.contains("baseline biases"))

        // Bad input: a one-line error, a non-zero exit, no file left behind.
        try Data([0x00, 0x01, 0x02]).write(to: URL(fileURLWithPath: path("corrupt.safetensors")))
        for (arguments, message) in [
            (["plot", "loss", path("corrupt.safetensors"), "--output", path("x.svg")], "corrupt.safetensors"),
            (["plot", "metrics", model, "--output", path("x.svg")], "needs --test"),
            (["plot", "map", model, "--output", path("x.svg"), "--projection", "none"], "--projection"),
            (["plot", "loss", model, "--output", path("no-such-dir/x.svg")], "no-such-dir: No such file or directory"),
            (["export", model], "at least one of"),
            (["report", path("missing.safetensors"), "--output", path("x.html")], "missing.safetensors"),
        ] {
            let result = try OpenBLASRelaunchTests.run(arguments)
            #expect(result.status != 0, "\(arguments) succeeded")
            #expect(result.err.contains(message), "\(arguments): \(result.err)")
            #expect(!result.err.contains("Fatal error") && result.err.split(separator: "\n").count <= 3, "\(result.err)")
        }
        #expect(!FileManager.default.fileExists(atPath: path("x.svg")) && !FileManager.default.fileExists(atPath: path("x.html")))
    }

    @Test("train --model ease/als fits a top-N model; similar on EASE lists what people who liked the item also liked",
          .enabled(if: OpenBLASRelaunchTests.executable != nil, "the embedrec binary is built next to the tests"))
    func rankingModels() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let data = try SyntheticRatings.generate(.init(users: 150, items: 60, ratings: 3000, seed: 6))
        try RatingsWriter.writeCSV(data, to: path("ratings.csv"), header: ["user_id", "book_id", "rating"], columns: [.user, .item, .rating])
        for model in ["ease", "als"] {
            let result = try OpenBLASRelaunchTests.run(["train", path("ratings.csv"), "--model", model, "--output", path("\(model).safetensors")])
            #expect(result.status == 0 && result.out.contains("Ranking: P@10") && result.out.contains("Most popular: R@10"), "\(result.out) \(result.err)")
        }
        let saved = try Recommender(contentsOf: path("ease.safetensors"))
        #expect(saved.model is EASE)
        let similar = try OpenBLASRelaunchTests.run(["similar", path("ease.safetensors"), "--item", "3", "--k", "4"])
        #expect(similar.status == 0 && similar.out.hasPrefix("People who liked book 3 also liked"), "\(similar.out) \(similar.err)")
        let expected = try saved.readersAlsoRead(3, k: 4).recommendations.map { $0.rawItemID }
        let listed = similar.out.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ").dropFirst().first.map { RawID($0) } }
        #expect(listed == expected, "\(similar.out)")
        let als = try OpenBLASRelaunchTests.run(["similar", path("als.safetensors"), "--item", "3", "--k", "4"])
        #expect(als.status == 0 && als.out.hasPrefix("Most similar to book 3"), "\(als.out)")
    }
}
