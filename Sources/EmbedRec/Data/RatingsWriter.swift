#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes ratings as delimited text with raw IDs, e.g. a goodbooks-shaped `ratings.csv` for
/// the benchmarks and for peers such as pandas.
public enum RatingsWriter {
    /// A column of the written file.
    public enum Column: Sendable, Hashable {
        /// The raw user ID, the raw item ID or the rating.
        case user, item, rating
    }

    /// Writes `data` to `path` with a header line, replacing any existing file.
    ///
    /// Ratings are written with the shortest exact decimal form (`4`, `3.5`).
    /// - Throws: ``RatingsFileError`` with kind `.cannotWrite` describing the I/O failure (the
    ///   file at `path`, if any, is then unchanged).
    public static func writeCSV(
        _ data: RatingsDataset, to path: String, header: [String], columns: [Column], separator: String = ","
    ) throws {
        var out = [UInt8]()
        out.reserveCapacity(data.count * 16)
        out += Array(header.joined(separator: separator).utf8); out.append(10)
        let sep = Array(separator.utf8)
        func appendInt(_ value: Int64) {
            if value < 0 { out.append(45) }
            var v = value.magnitude
            var digits = [UInt8](); digits.reserveCapacity(20)
            repeat { digits.append(UInt8(48 + v % 10)); v /= 10 } while v > 0
            out += digits.reversed()
        }
        func appendID(_ id: RawID) {
            if case .integer(let value) = id { appendInt(value) } else { out += Array(id.delimitedField(separator: separator).utf8) }
        }
        for row in 0..<data.count {
            for (c, column) in columns.enumerated() {
                if c > 0 { out += sep }
                switch column {
                case .user: appendID(data.userIDs.rawID(atChecked: data.users[row]))
                case .item: appendID(data.itemIDs.rawID(atChecked: data.items[row]))
                case .rating:
                    let r = data.ratings[row]
                    if r == r.rounded() && abs(r) < 1e9 { appendInt(Int64(r)) } else { out += Array("\(r)".utf8) }
                }
            }
            out.append(10)
        }
        try AtomicFileWriter.write(path, bytes: out)
    }
}
