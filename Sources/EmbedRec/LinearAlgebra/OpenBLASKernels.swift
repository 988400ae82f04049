import COpenBLAS
import EmbedRecKernels

/// Which compute kernels OpenBLAS chose for this CPU, and the remedy when it chose generic ones.
///
/// An OpenBLAS built with `DYNAMIC_ARCH` (Debian's, for one) picks its kernels once, when the
/// library loads, from the CPU's family and model number. A CPU newer than the OpenBLAS release
/// is not in its table and gets the generic SSE3 kernels ("Prescott"), several times slower than
/// its AVX2 or AVX-512 ones (the README gives a measured case). Every sgemm in EmbedRec —
/// catalogue scoring above all — slows down by the same factor.
///
/// The choice can only be changed before OpenBLAS loads, through the environment variable
/// `OPENBLAS_CORETYPE`. A library cannot do that for its host process; an application can:
/// EmbedRec's own executables restart themselves with ``recommendedCoreType`` (the package's
/// `OpenBLASRelaunch` target, about forty lines to copy into an application's `main`).
///
/// ```swift
/// if let core = OpenBLASKernels.recommendedCoreType {
///     print("OpenBLAS runs generic kernels here; start with OPENBLAS_CORETYPE=\(core)")
/// }
/// ```
public enum OpenBLASKernels {
    /// The kernel family OpenBLAS chose at load time, e.g. `"Haswell"`, `"SkylakeX"`, `"Zen"`
    /// or, for a CPU it did not recognise, `"Prescott"`.
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The `OPENBLAS_CORETYPE` value that would give this CPU vector kernels, or `nil` when
    /// OpenBLAS did not fall back to generic kernels, cannot switch kernels (a build without
    /// `DYNAMIC_ARCH`), or the CPU has neither AVX2 + FMA nor AVX-512.
    public static var recommendedCoreType: String? {
        guard BLASThreading.openBLASConfiguration.contains("DYNAMIC_ARCH") else { return nil }
        return recommendedCoreType(selected: coreName, vectorLevel: Int(embedrec_cpu_vector_level()))
    }

    /// The kernel families OpenBLAS falls back to for a CPU it does not recognise (and older
    /// ones without AVX2); a choice outside this list is OpenBLAS's own and is kept.
    static let fallbackCoreNames: Set<String> = [
        "prescott", "nehalem", "core2", "penryn", "dunnington", "sandybridge", "atom",
        "katmai", "coppermine", "northwood", "banias", "unknown",
    ]

    /// The rule behind ``recommendedCoreType``: `vectorLevel` 2 = AVX-512 (F, CD, BW, DQ, VL),
    /// 1 = AVX2 + FMA, 0 = neither.
    static func recommendedCoreType(selected: String, vectorLevel: Int) -> String? {
        guard vectorLevel > 0, fallbackCoreNames.contains(selected.lowercased()) else { return nil }
        return vectorLevel >= 2 ? "SkylakeX" : "Haswell"
    }
}
