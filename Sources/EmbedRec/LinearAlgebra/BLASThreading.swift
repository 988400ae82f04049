import COpenBLAS

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How OpenBLAS's own threads and EmbedRec's worker threads share the cores.
///
/// EmbedRec parallelises at its own level: training shards mini-batches across workers and
/// scoring hands each worker its own block of users. Each worker then calls BLAS on a small
/// problem, and an OpenBLAS that also spawned one thread per core for each call would run
/// `cores × cores` threads and thrash. So the library asks OpenBLAS for one thread per call
/// the first time it needs BLAS from parallel code (``BLASThreading/useSingleThreadedBLAS()``),
/// unless the process set `OPENBLAS_NUM_THREADS` itself, which is then respected.
public enum BLASThreading {
    /// OpenBLAS's build description, e.g. `"OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64"`.
    public static var openBLASConfiguration: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config)
    }

    /// The number of threads OpenBLAS currently uses for one call.
    public static var openBLASThreads: Int { Int(openblas_get_num_threads()) }

    /// Sets the number of threads OpenBLAS uses for one call. This is process-wide state of
    /// OpenBLAS; EmbedRec itself only calls it through ``useSingleThreadedBLAS()``.
    public static func setOpenBLASThreads(_ count: Int) {
        openblas_set_num_threads(Int32(clamping: max(1, count)))
    }

    /// Puts OpenBLAS in single-threaded mode once per process, unless `OPENBLAS_NUM_THREADS`
    /// is set in the environment.
    public static func useSingleThreadedBLAS() {
        _ = configured
    }

    /// Runs `body` with OpenBLAS using `threads` threads per call (unless `OPENBLAS_NUM_THREADS`
    /// is set), then restores the previous count: for the library's few large single calls
    /// (EASE's Gram matrix and inverse), where OpenBLAS's own threads are the parallelism.
    /// Process-wide while it runs: scoring elsewhere meanwhile stays correct but may
    /// oversubscribe the cores.
    static func withThreads<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        guard getenv("OPENBLAS_NUM_THREADS") == nil else { return try body() }
        _ = configured
        let previous = openblas_get_num_threads()
        openblas_set_num_threads(Int32(max(1, threads)))
        defer { openblas_set_num_threads(previous) }
        return try body()
    }

    private static let configured: Bool = {
        if getenv("OPENBLAS_NUM_THREADS") == nil { openblas_set_num_threads(1) }
        return true
    }()
}
