import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a plot or report: to a temporary file beside the target, then renamed, so a reader
/// never sees half a file.
enum PlotFileWriter {
    static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try Data(text.utf8).write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw PlotError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
            }
        } catch let error as PlotError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw PlotError.cannotWrite(path: path, reason: "\(error.localizedDescription)")
        }
    }
}

/// Why a plot could not be drawn or written.
public enum PlotError: Error, Equatable, CustomStringConvertible {
    /// Nothing to draw (no series, no points, no bins); the message says what was empty.
    case empty(String)
    /// A value is NaN or infinite, or series and labels disagree (the message says which).
    case invalidData(String)
    case cannotWrite(path: String, reason: String)

    /// A one-line message for people.
    public var description: String {
        switch self {
        case .empty(let what): return "nothing to plot: \(what)"
        case .invalidData(let what): return "cannot plot: \(what)"
        case .cannotWrite(let path, let reason): return "cannot write \(path): \(reason)"
        }
    }
}
