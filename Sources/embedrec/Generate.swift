import ArgumentParser
import EmbedRec

/// Goodbooks-shaped ratings where reading follows planted taste, written as a ratings file.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Writes goodbooks-shaped synthetic ratings (book_id,user_id,rating) to a CSV file.",
        discussion: """
        Examples:
          embedrec generate --output ratings.csv --scale 0.3
          embedrec generate --output ratings.csv --catalog goodbooks-10k/books.csv
          embedrec generate --output big.csv --readers-scale 100 --exposure 0   # 98 M ratings

        53,424 readers, 10,000 books and 981,756 ratings at --scale 1, as goodbooks-10k. Readers pick books with probability ∝ popularity × exp(exposure · planted affinity), so what they read follows their taste (--exposure 0: by popularity alone). With --catalog (goodbooks books.csv), books are as popular as their book_id says (goodbooks numbers them by ratings count), books of one series or author share planted factors, and a reader goes on to another book of the same series or author with chance --continuation, so a model's similar books are recognisable: the same series, the same author. --readers-scale M makes M times the readers and ratings (for cost measurements; with taste exposure the draw takes about a minute per million ratings, with --exposure 0 well under a second). Deterministic for a seed.
        """)

    @Option(help: "The CSV file to write.")
    var output: String

    @Option(help: "Fraction of the goodbooks size (1 = 981,756 ratings).")
    var scale: Double = 1

    @Option(help: "Readers × this (1...100; ratings too, so each reader rates as many books): 100 = 5.3 M readers, 98 M ratings at --scale 1.")
    var readersScale: Int = 1

    @Option(help: "How much taste drives what a reader picks (β ≥ 0; 0 = popularity alone).")
    var exposure: Double = 4

    @Option(help: "A goodbooks books.csv whose series and authors group the planted book factors.")
    var catalog: String?

    @Option(help: "With --catalog: the chance that a reader goes on to another book of the same series or author (default 0.5).")
    var continuation: Double?

    @Option(help: "Rank of the planted taste (factors per reader and book).")
    var rank: Int = 4

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 42

    func validate() throws {
        // The readers stay 53,424 at every scale, and each rates at least two books.
        guard scale.isFinite, scale >= 0.11, scale <= 20 else {
            throw ValidationError("--scale must be in [0.11, 20] (53,424 readers rating at least 2 books each), got \(scale)")
        }
        guard (1...100).contains(readersScale) else { throw ValidationError("--readers-scale must be in 1...100, got \(readersScale)") }
        guard (0...1).contains(continuation ?? 0.5) else { throw ValidationError("--continuation must be in 0...1, got \(continuation!)") }
        guard continuation == nil || catalog != nil else {
            throw ValidationError("--continuation needs --catalog: series and authors come from the catalogue")
        }
        guard (1...256).contains(rank) else { throw ValidationError("--rank must be in 1...256, got \(rank)") }
        guard exposure.isFinite, exposure >= 0, exposure <= 50 else { throw ValidationError("--exposure must be in 0...50, got \(exposure)") }
        try checkOutputPath(output, option: "--output")
        if let catalog { try checkInputPath(catalog, option: "--catalog") }
    }

    func run() throws {
        let books = try catalog.map { try Demo.loadCatalog($0).items }
        var configuration = SyntheticRatings.Configuration.goodbooksReading(scale: scale, catalog: books, seed: seed)
        configuration.exposure = exposure
        configuration.users *= readersScale
        configuration.ratings *= readersScale
        configuration.rank = rank
        if books != nil { configuration.groupContinuation = continuation ?? 0.5 }
        let data = try SyntheticRatings.generate(configuration)
        try RatingsWriter.writeCSV(data, to: output, header: ["book_id", "user_id", "rating"], columns: [.item, .user, .rating])
        print("Wrote \(output): \(data.count) ratings, \(data.userCount) readers, \(data.itemCount) books")
    }
}
