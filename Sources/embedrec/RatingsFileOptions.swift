import ArgumentParser
import EmbedRec
import Foundation

/// `--format`: the layouts of the datasets the tutorials use, for when detection should not guess.
enum RatingsFormatPreset: String, ExpressibleByArgument, CaseIterable {
    /// csv: a header names the columns, ratings 1–5 (goodbooks); movielens: the same with
    /// MovieLens's half stars, 0.5–5 (ml-latest, 20M, 25M `ratings.csv`).
    case csv, movielens, udata, dat

    var fileFormat: RatingsFileFormat {
        switch self {
        case .csv: return .goodbooks
        case .movielens: return .movieLensCSV
        case .udata: return .movieLens100K
        case .dat: return .movieLens1M
        }
    }
}

/// How to read a ratings file: detected by the library unless these say otherwise. Shared by
/// every command that reads one (`train`, `evaluate`, `plot`, `report`).
struct RatingsFileOptions: ParsableArguments {
    @Option(help: "Format: csv (header names the columns, ratings 1–5), movielens (MovieLens ratings.csv, half stars 0.5–5), udata (MovieLens u.data), dat (ratings.dat); default: read off the file (separator or JSON lines, header names such as userId, User-ID, artistID, ISBN; ratings, counts in weight/plays/count, or no value; gzip inflated), and said.")
    var format: RatingsFormatPreset?

    @Option(help: "The ratings file's text encoding (utf8, latin1): it matters for text IDs such as ISBNs.")
    var encoding: RatingsFileFormat.Encoding?

    @Option(help: "The ratings' scale as LO...HI (0.5...5, 0...10); ratings outside it are refused. Default: the format's (csv 1...5, movielens 0.5...5, udata 1...5, dat 0.5...5), else any.")
    var ratingScale: RatingScaleArgument?

    @Option(help: "The user column: its header name (or JSON field), or its position counted from 1. Default: found by name (userId, User-ID, customer, …) or the first column.")
    var userColumn: ColumnArgument?

    @Option(help: "The item column, by name or position (default: itemId, ISBN, artistID, … or the second column).")
    var itemColumn: ColumnArgument?

    @Option(help: "The rating column, by name or position: its values are ratings (default: rating, score, Book-Rating, … or the third column).")
    var ratingColumn: ColumnArgument?

    @Option(help: "A column of counts (plays, purchases), by name or position: implicit feedback, for top-N models.")
    var countColumn: ColumnArgument?

    @Option(help: "The timestamp column, by name or position (default: timestamp, time, … or a fourth column).")
    var timestampColumn: ColumnArgument?

    @Flag(help: "Every row is one interaction (a purchase, a follow) without a value, for top-N models; a rating or count column is ignored.")
    var interactionsOnly = false

    /// What the column options choose.
    var choices: RatingsFileFormat.ColumnChoices {
        var values: RatingsFileFormat.Values?
        if interactionsOnly { values = .interactions } else if ratingColumn != nil { values = .ratings } else if countColumn != nil { values = .counts }
        let value = (ratingColumn ?? countColumn)?.reference
        return RatingsFileFormat.ColumnChoices(user: userColumn?.reference, item: itemColumn?.reference, value: value,
                                               timestamp: timestampColumn?.reference, values: values)
    }

    func validate() throws {
        if ratingColumn != nil && countColumn != nil { throw ValidationError("--rating-column and --count-column: a file has one value column; give one") }
        if interactionsOnly, let option = [("--rating-column", ratingColumn), ("--count-column", countColumn)].first(where: { $0.1 != nil })?.0 {
            throw ValidationError("--interactions-only reads no value column; leave out \(option)")
        }
        if let format, !choices.isEmpty {
            throw ValidationError("--format \(format.rawValue) names its own columns; leave it out to choose columns (--user-column, …)")
        }
        if ratingScale != nil && (countColumn != nil || interactionsOnly) {
            throw ValidationError("--rating-scale bounds ratings; \(interactionsOnly ? "--interactions-only" : "--count-column") reads none")
        }
    }

    /// The options given on the command line.
    var given: [String] {
        let options: [(String, Bool)] = [
            ("--format", format != nil), ("--encoding", encoding != nil), ("--rating-scale", ratingScale != nil),
            ("--user-column", userColumn != nil), ("--item-column", itemColumn != nil), ("--rating-column", ratingColumn != nil),
            ("--count-column", countColumn != nil), ("--timestamp-column", timestampColumn != nil), ("--interactions-only", interactionsOnly),
        ]
        return options.filter(\.1).map(\.0)
    }

    /// The format of the ratings file at `path`: `--format` when given, else what the library
    /// reads off the file with the chosen columns (`summary` says what it decided, `nouns`
    /// what its item column's name implies); the encoding and scale options over either.
    func resolve(_ path: String) throws -> (format: RatingsFileFormat, summary: String, nouns: CatalogNouns?) {
        var format: RatingsFileFormat, summary: String, nouns: CatalogNouns?
        if let preset = self.format {
            (format, summary) = (preset.fileFormat, "--format \(preset.rawValue)")
            nouns = preset == .movielens || preset == .udata || preset == .dat ? .films : .books
        } else {
            let detected = try RatingsFileFormat.detect(path: path, columns: choices)
            (format, summary, nouns) = (detected.format, detected.summary, detected.nouns)
        }
        if let ratingScale {
            guard format.values.areRatings else {
                throw CommandFailure("--rating-scale bounds ratings; \(path) holds \(format.values == .counts ? "counts" : "interactions without values")")
            }
            format.ratingScale = ratingScale.range
        }
        if let encoding { format.encoding = encoding }
        return (format, summary, nouns)
    }
}

/// `--user-column customer` or `--user-column 2` (counted from 1, as errors count columns).
struct ColumnArgument: ExpressibleByArgument {
    let reference: RatingsFileFormat.ColumnReference

    init?(argument: String) {
        if !argument.isEmpty && argument.allSatisfy(\.isASCII) && argument.allSatisfy(\.isNumber) {
            guard let position = Int(argument), position >= 1 else { return nil }
            reference = .position(position - 1)
        } else {
            guard !argument.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
            reference = .name(argument)
        }
    }
}
