import COpenBLAS

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the CPU offers the C kernels, checked once per process.
package enum CPUFeatures {
    /// Whether the 256-bit C kernels may run (CPUID and XGETBV say AVX2 and the OS saves the
    /// YMM state). They perform the same IEEE operations as the portable loops, so results do
    /// not depend on it. Setting `EMBEDREC_DISABLE_AVX2` in the environment forces the portable
    /// loops (to test or time them on an AVX2 machine).
    package static let hasAVX2 = embedrec_cpu_has_avx2() != 0 && getenv("EMBEDREC_DISABLE_AVX2") == nil
    /// Whether the 512-bit C kernels may run (AVX-512 with the ZMM state saved; never when
    /// `EMBEDREC_DISABLE_AVX2` asks for the portable loops). Same IEEE operations again.
    package static let hasAVX512 = hasAVX2 && embedrec_cpu_vector_level() == 2
    /// Whether kernels built on fused multiply-adds may take the 256-bit path (AVX2 and FMA3;
    /// never when `EMBEDREC_DISABLE_AVX2` asks for the portable loops). Their portable loops
    /// use the same fused operations in the same order, so the bits do not depend on it.
    package static let hasAVX2AndFMA = hasAVX2 && embedrec_cpu_vector_level() >= 1
}
