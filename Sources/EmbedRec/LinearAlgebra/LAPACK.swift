import COpenBLAS
import EmbedRecKernels

/// Errors from the LAPACKE wrappers.
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible {
    /// The matrix was not positive definite (the leading minor of this order is not positive).
    case notPositiveDefinite(order: Int)
    /// The eigen-solver failed to converge.
    case noConvergence(info: Int)
    /// An argument was rejected by LAPACK (its position, as LAPACK counts).
    case invalidArgument(position: Int)
    /// Shapes did not match.
    case shapeMismatch(String)

    /// A one-line message that says what went wrong.
    public var description: String {
        switch self {
        case .notPositiveDefinite(let order):
            return "matrix is not positive definite (leading minor of order \(order))"
        case .noConvergence(let info):
            return "eigen-decomposition did not converge (info \(info))"
        case .invalidArgument(let position):
            return "LAPACK rejected argument \(position)"
        case .shapeMismatch(let text):
            return "shape mismatch: \(text)"
        }
    }
}

/// Typed wrappers over the LAPACKE routines EmbedRec uses (row-major, Float32).
enum LAPACK {
    /// Solves `A · X = B` for a symmetric positive-definite n×n `A` (Cholesky, `sposv`).
    ///
    /// `a` is overwritten by its Cholesky factor and `b` (n×nrhs, row-major) by the solution.
    /// - Throws: ``LinearAlgebraError/notPositiveDefinite(order:)`` when A is not SPD.
    /// - Complexity: n³/3 + 2·n²·nrhs flops.
    static func solveSymmetricPositiveDefinite(
        _ a: UnsafeMutablePointer<Float>, n: Int, _ b: UnsafeMutablePointer<Float>, nrhs: Int = 1
    ) throws {
        let info = LAPACKE_sposv(
            LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "U")), Int32(n), Int32(nrhs),
            a, Int32(n), b, Int32(nrhs))
        if info > 0 { throw LinearAlgebraError.notPositiveDefinite(order: Int(info)) }
        if info < 0 { throw LinearAlgebraError.invalidArgument(position: Int(-info)) }
    }

    /// Replaces a symmetric positive-definite n×n matrix (its upper triangle is read) by its
    /// full inverse: Cholesky factorisation (`spotrf`), inverse from the factor (`spotri`), then
    /// the lower triangle mirrored from the upper.
    /// - Throws: ``LinearAlgebraError/notPositiveDefinite(order:)``.
    /// - Complexity: n³ flops.
    static func invertSymmetricPositiveDefinite(_ a: UnsafeMutablePointer<Float>, n: Int) throws {
        var info = LAPACKE_spotrf(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "U")), Int32(n), a, Int32(n))
        if info > 0 { throw LinearAlgebraError.notPositiveDefinite(order: Int(info)) }
        if info < 0 { throw LinearAlgebraError.invalidArgument(position: Int(-info)) }
        info = LAPACKE_spotri(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "U")), Int32(n), a, Int32(n))
        if info > 0 { throw LinearAlgebraError.notPositiveDefinite(order: Int(info)) }
        if info < 0 { throw LinearAlgebraError.invalidArgument(position: Int(-info)) }
        for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { a[j * n + i] = a[i * n + j] } }
    }

    /// Eigen-decomposition of a symmetric n×n matrix (`ssyevd`).
    ///
    /// - Returns: eigenvalues in ascending order and the eigenvectors as the *columns* of a
    ///   row-major n×n matrix.
    /// - Complexity: O(n³).
    static func symmetricEigen(_ matrix: [Float], n: Int) throws -> (values: [Float], vectors: [Float]) {
        guard matrix.count == n * n else {
            throw LinearAlgebraError.shapeMismatch("expected \(n)×\(n) = \(n * n) values, got \(matrix.count)")
        }
        var a = matrix
        var w = [Float](repeating: 0, count: n)
        let info = a.withUnsafeMutableBufferPointer { ap in
            w.withUnsafeMutableBufferPointer { wp in
                LAPACKE_ssyevd(
                    LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "U")),
                    Int32(n), ap.baseAddress, Int32(n), wp.baseAddress)
            }
        }
        if info > 0 { throw LinearAlgebraError.noConvergence(info: Int(info)) }
        if info < 0 { throw LinearAlgebraError.invalidArgument(position: Int(-info)) }
        return (w, a)
    }
}
