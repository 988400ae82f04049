/// A file that could not be read or written, with the path and the reason in words a person can
/// act on ("is a FIFO, not a regular file", "No space left on device"). Every reader and writer
/// in EmbedRec throws it, whatever the file's format; a file that was read but holds the wrong
/// content throws its format's error instead (``RatingsFileError``, ``SafeTensorsError``,
/// ``RecommenderFileError``). A failed write leaves an existing file as it was.
public enum FileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path cannot be read: missing, not a regular file, unreadable, or larger than memory.
    case cannotRead(path: String, reason: String)
    /// The path cannot be written: not a regular file or nothing, no folder, no permission or
    /// no space.
    case cannotWrite(path: String, reason: String)

    /// The path the error is about.
    public var path: String {
        switch self { case .cannotRead(let path, _), .cannotWrite(let path, _): return path }
    }

    /// Why, without the path.
    public var reason: String {
        switch self { case .cannotRead(_, let reason), .cannotWrite(_, let reason): return reason }
    }

    /// A one-line message naming the path and the reason.
    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "cannot read \(path): \(reason)"
        case let .cannotWrite(path, reason): return "cannot write \(path): \(reason)"
        }
    }
}
