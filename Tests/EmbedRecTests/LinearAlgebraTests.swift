import Testing
import EmbedRecKernels
@testable import EmbedRec

/// Checks `actual` against a Double reference with a tolerance relative to `scale` (the sum of
/// absolute terms that went into the value, so cancellation does not make the test flaky).
private func expectClose(
    _ actual: Float, _ expected: Double, scale: Double, _ what: @autoclosure () -> String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let tolerance = 1e-4 * max(1, scale)
    #expect(abs(Double(actual) - expected) <= tolerance, "\(what()): \(actual) vs \(expected)", sourceLocation: sourceLocation)
}

@Suite("BLAS and LAPACK wrappers")
struct LinearAlgebraTests {
    @Test("gemm with every transpose combination, padded leading dimensions, alpha and beta",
          arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemm(_ transposes: (Bool, Bool)) {
        let (transA, transB) = transposes
        let m = 5, n = 7, k = 4
        let alpha: Float = 0.75, beta: Float = -1.25
        var rng = SeededGenerator(seed: transA ? (transB ? 1 : 2) : (transB ? 3 : 4))
        // Stored shapes: A is m×k (or k×m when transposed), B is k×n (or n×k).
        let aRows = transA ? k : m, aCols = transA ? m : k
        let bRows = transB ? n : k, bCols = transB ? k : n
        let lda = aCols + 3, ldb = bCols + 2, ldc = n + 5
        let a = randomFloats(aRows * lda, &rng), b = randomFloats(bRows * ldb, &rng)
        var c = randomFloats(m * ldc, &rng)
        let c0 = c
        func opA(_ i: Int, _ p: Int) -> Double { Double(transA ? a[p * lda + i] : a[i * lda + p]) }
        func opB(_ p: Int, _ j: Int) -> Double { Double(transB ? b[j * ldb + p] : b[p * ldb + j]) }
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    BLAS.gemm(transposeA: transA, transposeB: transB, m: m, n: n, k: k, alpha: alpha,
                              a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                              beta: beta, c: cp.baseAddress!, ldc: ldc)
                }
            }
        }
        for i in 0..<m {
            for j in 0..<ldc {
                if j >= n {
                    #expect(c[i * ldc + j] == c0[i * ldc + j], "padding of C must be untouched")
                    continue
                }
                var sum = 0.0, scale = abs(Double(beta) * Double(c0[i * ldc + j]))
                for p in 0..<k { sum += opA(i, p) * opB(p, j); scale += abs(opA(i, p) * opB(p, j)) }
                let expected = Double(alpha) * sum + Double(beta) * Double(c0[i * ldc + j])
                expectClose(c[i * ldc + j], expected, scale: scale, "C[\(i),\(j)]")
            }
        }
    }

    @Test("gemm of a 0-row or 0-column product leaves C alone")
    func gemmEmpty() {
        var c: [Float] = [1, 2, 3]
        let a: [Float] = [1], b: [Float] = [1]
        c.withUnsafeMutableBufferPointer { cp in
            BLAS.gemm(m: 0, n: 3, k: 1, a: a, lda: 1, b: b, ldb: 3, c: cp.baseAddress!, ldc: 3)
        }
        #expect(c == [1, 2, 3])
    }

    @Test("gemv, plain and transposed", arguments: [false, true])
    func gemv(_ transpose: Bool) {
        var rng = SeededGenerator(seed: transpose ? 10 : 11)
        let m = 6, n = 9, lda = n + 4
        let alpha: Float = 1.5, beta: Float = 0.5
        let a = randomFloats(m * lda, &rng)
        let x = randomFloats(transpose ? m : n, &rng)
        let yCount = transpose ? n : m
        var y = randomFloats(yCount, &rng)
        let y0 = y
        y.withUnsafeMutableBufferPointer { yp in
            BLAS.gemv(transpose: transpose, m: m, n: n, alpha: alpha, a: a, lda: lda, x: x, beta: beta, y: yp.baseAddress!)
        }
        for r in 0..<yCount {
            var sum = 0.0, scale = abs(Double(beta * y0[r]))
            for c in 0..<(transpose ? m : n) {
                let aValue = transpose ? a[c * lda + r] : a[r * lda + c]
                sum += Double(aValue) * Double(x[c]); scale += abs(Double(aValue) * Double(x[c]))
            }
            expectClose(y[r], Double(alpha) * sum + Double(beta) * Double(y0[r]), scale: scale, "y[\(r)]")
        }
    }

    @Test("axpy, dot and nrm2")
    func level1() {
        var rng = SeededGenerator(seed: 12)
        let n = 37
        let x = randomFloats(n, &rng, range: -3...3)
        var y = randomFloats(n, &rng, range: -3...3)
        let y0 = y
        y.withUnsafeMutableBufferPointer { BLAS.axpy(n: n, alpha: -0.6, x: x, y: $0.baseAddress!) }
        for k in 0..<n { expectClose(y[k], Double(y0[k]) - 0.6 * Double(x[k]), scale: abs(Double(y0[k])) + abs(0.6 * Double(x[k]))) }

        var dot = 0.0, dotScale = 0.0, squares = 0.0
        for k in 0..<n { dot += Double(x[k]) * Double(y0[k]); dotScale += abs(Double(x[k]) * Double(y0[k])); squares += Double(x[k]) * Double(x[k]) }
        expectClose(BLAS.dot(n: n, x: x, y: y0), dot, scale: dotScale, "dot")
        expectClose(BLAS.nrm2(n: n, x: x), squares.squareRoot(), scale: squares.squareRoot(), "nrm2")
        // nrm2 does not overflow where the naive sum of squares in Float would.
        let big = [Float](repeating: 1e30, count: 4)
        expectClose(BLAS.nrm2(n: 4, x: big) / 1e30, 2, scale: 2, "nrm2 of large values")
        // Empty vectors.
        #expect(BLAS.dot(n: 0, x: x, y: y0) == 0)
        #expect(BLAS.nrm2(n: 0, x: x) == 0)
        var unchanged = y0
        unchanged.withUnsafeMutableBufferPointer { BLAS.axpy(n: 0, alpha: 2, x: x, y: $0.baseAddress!) }
        #expect(unchanged == y0)
    }

    @Test("solveSymmetricPositiveDefinite solves A·X = B")
    func choleskySolve() throws {
        var rng = SeededGenerator(seed: 13)
        let n = 6, nrhs = 2
        let m = randomFloats(n * n, &rng)
        var a = [Float](repeating: 0, count: n * n)  // A = MᵀM + n·I is SPD
        for i in 0..<n { for j in 0..<n {
            var s: Float = i == j ? Float(n) : 0
            for p in 0..<n { s += m[p * n + i] * m[p * n + j] }
            a[i * n + j] = s
        } }
        let aCopy = a
        let b = randomFloats(n * nrhs, &rng, range: -5...5)
        var x = b
        try a.withUnsafeMutableBufferPointer { ap in
            try x.withUnsafeMutableBufferPointer { xp in
                try LAPACK.solveSymmetricPositiveDefinite(ap.baseAddress!, n: n, xp.baseAddress!, nrhs: nrhs)
            }
        }
        for i in 0..<n {
            for r in 0..<nrhs {
                var s = 0.0, scale = 0.0
                for p in 0..<n { s += Double(aCopy[i * n + p]) * Double(x[p * nrhs + r]); scale += abs(Double(aCopy[i * n + p]) * Double(x[p * nrhs + r])) }
                #expect(abs(s - Double(b[i * nrhs + r])) <= 1e-4 * max(1, scale), "row \(i), rhs \(r)")
            }
        }
    }

    @Test("solveSymmetricPositiveDefinite rejects matrices that are not positive definite")
    func choleskyNotSPD() {
        // Eigenvalues 3 and -1: the second leading minor (1 - 4) is negative.
        var a: [Float] = [1, 2, 2, 1]
        var b: [Float] = [1, 1]
        #expect(throws: LinearAlgebraError.notPositiveDefinite(order: 2)) {
            try a.withUnsafeMutableBufferPointer { ap in
                try b.withUnsafeMutableBufferPointer { bp in
                    try LAPACK.solveSymmetricPositiveDefinite(ap.baseAddress!, n: 2, bp.baseAddress!)
                }
            }
        }
        var negative: [Float] = [-1, 0, 0, 2]
        #expect(throws: LinearAlgebraError.notPositiveDefinite(order: 1)) {
            try negative.withUnsafeMutableBufferPointer { ap in
                try b.withUnsafeMutableBufferPointer { bp in
                    try LAPACK.solveSymmetricPositiveDefinite(ap.baseAddress!, n: 2, bp.baseAddress!)
                }
            }
        }
    }

    @Test("symmetricEigen: A·v = λ·v, ascending eigenvalues, orthonormal vectors in columns")
    func eigen() throws {
        var rng = SeededGenerator(seed: 14)
        let n = 7
        let r = randomFloats(n * n, &rng)
        var a = [Float](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { a[i * n + j] = r[i * n + j] + r[j * n + i] } }
        let (values, vectors) = try LAPACK.symmetricEigen(a, n: n)
        #expect(values.count == n && vectors.count == n * n)
        #expect(values == values.sorted())
        #expect(values.first! < 0 && values.last! > 0)  // a random symmetric matrix is indefinite
        var trace = 0.0
        for i in 0..<n { trace += Double(a[i * n + i]) }
        expectClose(values.reduce(0, +), trace, scale: values.reduce(0) { $0 + abs(Double($1)) }, "trace")
        for j in 0..<n {
            for i in 0..<n {
                var av = 0.0, scale = 0.0
                for p in 0..<n { av += Double(a[i * n + p]) * Double(vectors[p * n + j]); scale += abs(Double(a[i * n + p]) * Double(vectors[p * n + j])) }
                expectClose(Float(av), Double(values[j]) * Double(vectors[i * n + j]), scale: scale, "(A·v\(j))[\(i)]")
            }
            for k in 0..<n {
                var d = 0.0
                for p in 0..<n { d += Double(vectors[p * n + j]) * Double(vectors[p * n + k]) }
                #expect(abs(d - (j == k ? 1 : 0)) <= 1e-4, "v\(j)·v\(k) = \(d)")
            }
        }
        // A diagonal matrix gives its diagonal, sorted.
        let diagonal = try LAPACK.symmetricEigen([3, 0, 0, 0, -2, 0, 0, 0, 1], n: 3)
        #expect(diagonal.values == [-2, 1, 3])
    }

    @Test("symmetricEigen rejects a matrix of the wrong size")
    func eigenShape() {
        #expect(throws: LinearAlgebraError.self) { try LAPACK.symmetricEigen([1, 2, 3], n: 2) }
    }

    @Test("OpenBLAS kernel advice: generic kernels on a vector CPU get a core type, vector kernels are kept")
    func kernelAdvice() {
        #expect(OpenBLASKernels.recommendedCoreType(selected: "Prescott", vectorLevel: 2) == "SkylakeX")
        #expect(OpenBLASKernels.recommendedCoreType(selected: "Prescott", vectorLevel: 1) == "Haswell")
        #expect(OpenBLASKernels.recommendedCoreType(selected: "Sandybridge", vectorLevel: 1) == "Haswell")
        #expect(OpenBLASKernels.recommendedCoreType(selected: "Prescott", vectorLevel: 0) == nil)
        #expect(OpenBLASKernels.recommendedCoreType(selected: "Zen", vectorLevel: 2) == nil)
        #expect(OpenBLASKernels.recommendedCoreType(selected: "Haswell", vectorLevel: 1) == nil)
        #expect(OpenBLASKernels.recommendedCoreType(selected: "SKYLAKEX", vectorLevel: 2) == nil)
        #expect(OpenBLASKernels.recommendedCoreType(selected: "Cooperlake", vectorLevel: 2) == nil)
        // A vector family OpenBLAS chose itself (or one newer than this list) is kept.
        #expect(OpenBLASKernels.recommendedCoreType(selected: "Excavator", vectorLevel: 1) == nil)
        #expect(OpenBLASKernels.recommendedCoreType(selected: "SapphireRapids", vectorLevel: 2) == nil)
        #expect(OpenBLASKernels.recommendedCoreType(selected: "Unknown", vectorLevel: 2) == "SkylakeX")
        // Whatever this machine is, OpenBLAS names its kernels.
        #expect(!OpenBLASKernels.coreName.isEmpty && OpenBLASKernels.coreName.lowercased() != "unknown")
    }
}
