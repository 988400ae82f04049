import COpenBLAS
import EmbedRecKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small SIMD kernels for the per-row work of training (dot products, scaled adds, optimizer
/// updates). Rows are short (d = 5…128) and scattered, so BLAS call overhead would dominate;
/// these loops use 4-wide vectors, which every x86-64 and ARM64 CPU has.
enum VectorKernels {
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    }

    @inline(__always)
    static func store(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
    }

    /// Prefetch hints for the cache lines of an `n`-float row (rows are touched at random, so
    /// the trainer asks for them some examples ahead).
    @inline(__always)
    static func prefetchRow(_ row: UnsafePointer<Float>, _ n: Int) {
        var f = 0
        while f < n { embedrec_prefetch(row + f); f &+= 16 }
        embedrec_prefetch(row + (n - 1))
    }

    /// Σ a[k]·b[k] with two vector accumulators (reassociated, so not bit-equal to a serial sum).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var s0 = SIMD4<Float>(), s1 = SIMD4<Float>()
        var k = 0
        while k &+ 8 <= n {
            s0 += load(a + k) * load(b + k)
            s1 += load(a + (k &+ 4)) * load(b + (k &+ 4))
            k &+= 8
        }
        if k &+ 4 <= n { s0 += load(a + k) * load(b + k); k &+= 4 }
        var s = (s0 + s1).sum()
        while k < n { s += a[k] * b[k]; k &+= 1 }
        return s
    }

    /// y[k] += alpha · x[k].
    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let a = SIMD4<Float>(repeating: alpha)
        var k = 0
        while k &+ 4 <= n { store(load(y + k) + a * load(x + k), y + k); k &+= 4 }
        while k < n { y[k] += alpha * x[k]; k &+= 1 }
    }

    /// Lane-wise square root as one vector instruction (see `embedrec_sqrt4` in the C shim).
    @inline(__always)
    static func sqrt(_ v: SIMD4<Float>) -> SIMD4<Float> { embedrec_sqrt4(v) }

    /// Whether the 256-bit C kernels may run (``CPUFeatures/hasAVX2``, kept here too so the
    /// per-row kernels read a module-local constant).
    static let hasAVX2 = CPUFeatures.hasAVX2

    /// One Adam step on `n` values with L2 penalty `l2·‖w‖²` folded into the gradient. The state
    /// is the first moment `m` and the root of the second moment, `s = √v`:
    /// g' = g + 2·l2·w, m = β1·m + (1−β1)·g', s = √(β2·s² + (1−β2)·g'²), w −= α·m/(s + ε).
    @inline(__always)
    static func adam(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
        _ m: UnsafeMutablePointer<Float>, _ s: UnsafeMutablePointer<Float>, _ n: Int,
        alpha: Float, b1: Float, b2: Float, eps: Float, l2: Float
    ) {
        if hasAVX2 {
            embedrec_adam_avx2(w, g, m, s, n, alpha, b1, b2, eps, l2)
        } else {
            adamPortable(w, g, m, s, n, alpha: alpha, b1: b1, b2: b2, eps: eps, l2: l2)
        }
    }

    /// ``adam(_:_:_:_:_:alpha:b1:b2:eps:l2:)`` in 4-wide Swift vectors.
    @inline(__always)
    static func adamPortable(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
        _ m: UnsafeMutablePointer<Float>, _ s: UnsafeMutablePointer<Float>, _ n: Int,
        alpha: Float, b1: Float, b2: Float, eps: Float, l2: Float
    ) {
        let c1 = 1 - b1, c2 = 1 - b2, twoL2 = 2 * l2
        let vb1 = SIMD4<Float>(repeating: b1), vc1 = SIMD4<Float>(repeating: c1)
        let vb2 = SIMD4<Float>(repeating: b2), vc2 = SIMD4<Float>(repeating: c2)
        let vl2 = SIMD4<Float>(repeating: twoL2), va = SIMD4<Float>(repeating: alpha)
        let ve = SIMD4<Float>(repeating: eps)
        var k = 0
        while k &+ 4 <= n {
            let wk = load(w + k), s0 = load(s + k)
            let gk = load(g + k) + vl2 * wk
            let mk = vb1 * load(m + k) + vc1 * gk
            let sk = sqrt(vb2 * (s0 * s0) + vc2 * (gk * gk))
            store(mk, m + k); store(sk, s + k)
            store(wk - va * mk / (sk + ve), w + k)
            k &+= 4
        }
        while k < n {
            let s0 = s[k]
            let grad = g[k] + twoL2 * w[k]
            let mk = b1 * m[k] + c1 * grad
            let sk = (b2 * (s0 * s0) + c2 * (grad * grad)).squareRoot()
            m[k] = mk; s[k] = sk
            w[k] -= alpha * mk / (sk + eps)
            k &+= 1
        }
    }

    /// The zero-gradient Adam steps a row skipped, in closed form (see
    /// ``Optimizer/adam(learningRate:beta1:beta2:epsilon:)``), then this step's update, in one
    /// pass over the row (s = √v, the stored root of the second moment):
    ///
    ///     w  −= drift·m₀/(s₀ + ε)                 skipped steps' momentum
    ///     g'  = g + 2·l2·w
    ///     m   = β1·β1ᵏ·m₀ + (1−β1)·g'             (decay1 = β1ᵏ)
    ///     s   = √(β2·β2ᵏ·s₀² + (1−β2)·g'²)         (decay2 = β2ᵏ)
    ///     w  −= α·m/(s + ε)
    ///
    /// Storing s rather than v saves the square root of the old moment: one root and two
    /// divisions per value, which is what this update costs.
    @inline(__always)
    static func adamWithCatchUp(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
        _ m: UnsafeMutablePointer<Float>, _ s: UnsafeMutablePointer<Float>, _ n: Int,
        alpha: Float, b1: Float, b2: Float, eps: Float, l2: Float,
        drift: Float, decay1: Float, decay2: Float
    ) {
        if hasAVX2 {
            embedrec_adam_catch_up_avx2(w, g, m, s, n, alpha, b1 * decay1, b2 * decay2, 1 - b1, 1 - b2, eps, l2, drift)
        } else {
            adamWithCatchUpPortable(w, g, m, s, n, alpha: alpha, b1: b1, b2: b2, eps: eps, l2: l2,
                                    drift: drift, decay1: decay1, decay2: decay2)
        }
    }

    /// ``adamWithCatchUp(_:_:_:_:_:alpha:b1:b2:eps:l2:drift:decay1:decay2:)`` in 4-wide Swift vectors.
    @inline(__always)
    static func adamWithCatchUpPortable(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
        _ m: UnsafeMutablePointer<Float>, _ s: UnsafeMutablePointer<Float>, _ n: Int,
        alpha: Float, b1: Float, b2: Float, eps: Float, l2: Float,
        drift: Float, decay1: Float, decay2: Float
    ) {
        // Decay and the step's own β folded: m₁ = β1·(β1ᵏ·m₀) + (1−β1)·g'.
        let b1d = b1 * decay1, c1 = 1 - b1, b2d = b2 * decay2, c2 = 1 - b2, twoL2 = 2 * l2
        let vb1 = SIMD4<Float>(repeating: b1d), vc1 = SIMD4<Float>(repeating: c1)
        let vb2 = SIMD4<Float>(repeating: b2d), vc2 = SIMD4<Float>(repeating: c2)
        let vl2 = SIMD4<Float>(repeating: twoL2), va = SIMD4<Float>(repeating: alpha)
        let ve = SIMD4<Float>(repeating: eps), vd = SIMD4<Float>(repeating: drift)
        var k = 0
        while k &+ 4 <= n {
            let m0 = load(m + k), s0 = load(s + k)
            let wk = load(w + k) - vd * m0 / (s0 + ve)
            let gk = load(g + k) + vl2 * wk
            let mk = vb1 * m0 + vc1 * gk
            let sk = sqrt(vb2 * (s0 * s0) + vc2 * (gk * gk))
            store(mk, m + k); store(sk, s + k)
            store(wk - va * mk / (sk + ve), w + k)
            k &+= 4
        }
        while k < n {
            let m0 = m[k], s0 = s[k]
            let wk = w[k] - drift * m0 / (s0 + eps)
            let grad = g[k] + twoL2 * wk
            let mk = b1d * m0 + c1 * grad
            let sk = (b2d * (s0 * s0) + c2 * (grad * grad)).squareRoot()
            m[k] = mk; s[k] = sk
            w[k] = wk - alpha * mk / (sk + eps)
            k &+= 1
        }
    }

    /// One online SGD step on the two rows of an example whose loss gradient with respect to
    /// the score p·q is `g`: both updates read the rows as they were before it,
    /// p -= lr · (g·q + 2·l2·p) and q -= lr · (g·p + 2·l2·q), in one pass over the rows.
    @inline(__always)
    static func sgdPair(_ p: UnsafeMutablePointer<Float>, _ q: UnsafeMutablePointer<Float>, _ n: Int, g: Float, lr: Float, l2: Float) {
        let twoL2 = 2 * l2
        let vg = SIMD4<Float>(repeating: g), vlr = SIMD4<Float>(repeating: lr), vl2 = SIMD4<Float>(repeating: twoL2)
        var k = 0
        while k &+ 4 <= n {
            let pk = load(p + k), qk = load(q + k)
            store(pk - vlr * (vg * qk + vl2 * pk), p + k)
            store(qk - vlr * (vg * pk + vl2 * qk), q + k)
            k &+= 4
        }
        while k < n {
            let pk = p[k], qk = q[k]
            p[k] = pk - lr * (g * qk + twoL2 * pk)
            q[k] = qk - lr * (g * pk + twoL2 * qk)
            k &+= 1
        }
    }

    /// One SGD step of a row whose gradient is `g` times another row `x`: w -= lr · (g·x + 2·l2·w).
    @inline(__always)
    static func sgd(_ w: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, g: Float, lr: Float, l2: Float) {
        let twoL2 = 2 * l2
        let vg = SIMD4<Float>(repeating: g), vlr = SIMD4<Float>(repeating: lr), vl2 = SIMD4<Float>(repeating: twoL2)
        var k = 0
        while k &+ 4 <= n {
            let wk = load(w + k)
            store(wk - vlr * (vg * load(x + k) + vl2 * wk), w + k)
            k &+= 4
        }
        while k < n { w[k] -= lr * (g * x[k] + twoL2 * w[k]); k &+= 1 }
    }

    /// One SGD step: w -= lr · (g + 2·l2·w).
    @inline(__always)
    static func sgd(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ n: Int, lr: Float, l2: Float) {
        let twoL2 = 2 * l2
        let vlr = SIMD4<Float>(repeating: lr), vl2 = SIMD4<Float>(repeating: twoL2)
        var k = 0
        while k &+ 4 <= n {
            let wk = load(w + k)
            store(wk - vlr * (load(g + k) + vl2 * wk), w + k)
            k &+= 4
        }
        while k < n { w[k] -= lr * (g[k] + twoL2 * w[k]); k &+= 1 }
    }
}
