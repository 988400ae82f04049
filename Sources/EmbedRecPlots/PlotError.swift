import EmbedRec

/// Why a plot could not be drawn (a file that cannot be written throws ``FileError``).
public enum PlotError: Error, Equatable, CustomStringConvertible {
    /// Nothing to draw (no series, no points, no bins); the message says what was empty.
    case empty(String)
    /// A value is NaN or infinite, or series and labels disagree (the message says which).
    case invalidData(String)

    /// A one-line message for people.
    public var description: String {
        switch self {
        case .empty(let what): return "nothing to plot: \(what)"
        case .invalidData(let what): return "cannot plot: \(what)"
        }
    }
}
