#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The checks a program runs on the paths it was given before it starts long work, with the
/// rules EmbedRec's own readers and writers apply when the work is done (Docs/Reliability.md):
/// a bad `--output` then fails at once, not after an hour of training.
public enum PathChecks {
    /// Throws unless `path` can be written as ``Recommender/save(to:)`` and the exports write:
    /// it is (or a symbolic link leads to) a regular file or nothing, in an existing folder
    /// where a file can be created now.
    /// - Throws: ``FileError/cannotWrite(path:reason:)``.
    public static func checkWritable(_ path: String) throws(FileError) {
        do { try AtomicFileWriter.checkWritable(path) } catch { throw .cannotWrite(path: path, reason: error.reason) }
    }

    /// Throws unless `path` is a regular file this process can open for reading.
    /// - Throws: ``FileError/cannotRead(path:reason:)``.
    public static func checkReadable(_ path: String) throws(FileError) {
        do {
            let (descriptor, _) = try FileChecks.openRegularFile(path)
            close(descriptor)
        } catch { throw .cannotRead(path: path, reason: error.reason) }
    }
}
