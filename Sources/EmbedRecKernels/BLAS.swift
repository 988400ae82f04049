import COpenBLAS

/// Thin, typed Swift layer over the CBLAS calls EmbedRec needs.
///
/// All matrices are row-major Float32. Callers pass raw pointers because the hot paths
/// (training steps, scoring blocks) work on slices of larger buffers; dimension checks are the
/// caller's job and are asserted in debug builds.
package enum BLAS {
    /// `C = alpha · op(A) · op(B) + beta · C` where op(A) is m×k, op(B) is k×n and C is m×n.
    ///
    /// - Complexity: 2·m·n·k floating-point operations.
    @inline(__always)
    package static func gemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `y = alpha · op(A) · x + beta · y` for a row-major m×n matrix A.
    @inline(__always)
    package static func gemv(
        transpose: Bool = false, m: Int, n: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemv(
            CblasRowMajor, transpose ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// `C = alpha · Aᵀ·A + beta · C` for a row-major k×n `A`, updating the upper triangle of the
    /// n×n `C` (`ssyrk`): a Gram matrix from blocks of rows.
    ///
    /// - Complexity: n²·k floating-point operations.
    @inline(__always)
    package static func syrkUpperTransposed(
        n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, beta: Float = 1,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard n > 0, k > 0 else { return }
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(k), alpha, a, Int32(lda), beta, c, Int32(ldc))
    }

    /// `y += alpha · x` over `n` elements.
    @inline(__always)
    package static func axpy(n: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        guard n > 0 else { return }
        cblas_saxpy(Int32(n), alpha, x, 1, y, 1)
    }

    /// The dot product of two `n`-vectors.
    @inline(__always)
    package static func dot(n: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>) -> Float {
        guard n > 0 else { return 0 }
        return cblas_sdot(Int32(n), x, 1, y, 1)
    }

    /// The Euclidean norm of an `n`-vector (computed without overflow by OpenBLAS).
    @inline(__always)
    package static func nrm2(n: Int, x: UnsafePointer<Float>) -> Float {
        guard n > 0 else { return 0 }
        return cblas_snrm2(Int32(n), x, 1)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
