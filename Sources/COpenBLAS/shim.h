// OpenBLAS's CBLAS interface (with openblas_set_num_threads) and LAPACKE.
// Include paths come from pkg-config `openblas`; lapacke.h lives in /usr/include on Debian.
#include <cblas.h>
#include <lapacke.h>
#include <stdio.h>

/* Makes standard output line-buffered even into a file or a pipe (Swift 6 code cannot touch
   the C `stdout` variable itself). */
static inline void embedrec_line_buffer_stdout(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}

// A software prefetch hint for loops that touch memory at random (the training loop's
// embedding rows, the text-ID table's slots): issuing the loads early overlaps their cache
// misses with the current work.
static inline void embedrec_prefetch(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

// Whether the ascending p[0..<n] holds item: a binary search whose step is a conditional move.
// A branch per step mispredicts about every other time on random lookups; LLVM turns a plain
// select in a loop back into a branch unless the condition is marked unpredictable, which only
// C can say (Swift has no __builtin_unpredictable).
static inline int embedrec_sorted_contains(const int *p, long n, int item) {
    if (n <= 0) return 0;
    long base = 0;
    while (n > 1) {
        long half = n >> 1;
        base = __builtin_unpredictable(p[base + half] <= item) ? base + half : base;
        n -= half;
    }
    return p[base] == item;
}

// Four-lane square root in one instruction (sqrtps / fsqrt.4s). Swift's SIMD4 squareRoot()
// goes lane by lane through the scalar libm path; this vector type imports as SIMD4<Float>.
typedef float embedrec_float4 __attribute__((ext_vector_type(4)));
static inline embedrec_float4 embedrec_sqrt4(embedrec_float4 v) {
    return __builtin_elementwise_sqrt(v);
}

// Top-K selection's fast path: the offset of the first 16-float group at or after v that holds
// a value above t, or the offset of the last partial group. Most scores lose against the
// current K-th best, so whole groups are rejected with a few vector compares (a NaN compares
// false, and is never selected anyway).
typedef float embedrec_float8 __attribute__((ext_vector_type(8)));
typedef int embedrec_int8 __attribute__((ext_vector_type(8)));
#define EMBEDREC_SKIP_NOT_ABOVE_BODY                              \
    long i = 0;                                                   \
    for (; i + 16 <= n; i += 16) {                                \
        embedrec_float8 a, b;                                     \
        __builtin_memcpy(&a, v + i, sizeof a);                    \
        __builtin_memcpy(&b, v + i + 8, sizeof b);                \
        embedrec_int8 hit = (a > t) | (b > t);                    \
        if (__builtin_reduce_or(hit)) return i;                   \
    }                                                             \
    return i;
static inline long embedrec_skip_not_above(const float *v, long n, float t) {
    EMBEDREC_SKIP_NOT_ABOVE_BODY
}

// Bit j set when v[j] > t, for the 16-float group a scan stopped at.
static inline unsigned embedrec_group_mask(const float *v, float t) {
    const embedrec_int8 bits = {1, 2, 4, 8, 16, 32, 64, 128};
    embedrec_float8 a, b;
    __builtin_memcpy(&a, v, sizeof a);
    __builtin_memcpy(&b, v + 8, sizeof b);
    return (unsigned)__builtin_reduce_or((a > t) & bits) | ((unsigned)__builtin_reduce_or((b > t) & bits) << 8);
}

// The same scan in 256-bit registers. Swift code is built for baseline x86-64 (SSE2), where
// the 8-lane compares split in two; selection reads every score, so on AVX2 machines this
// variant is used (checked once with embedrec_cpu_has_avx2). Not inlined into SSE2 callers,
// so it is only called per run of rejected groups.
#if defined(__x86_64__)
#include <cpuid.h>
__attribute__((target("avx2")))
static inline long embedrec_skip_not_above_avx2(const float *v, long n, float t) {
    EMBEDREC_SKIP_NOT_ABOVE_BODY
}

// CPUID leaf 1 ECX, leaf 7 EBX and XCR0 (which register states the OS saves; 0 without XGETBV).
static inline void embedrec_cpu_state(unsigned *ecx1, unsigned *ebx7, unsigned *xcr0) {
    unsigned a, b, c, d;
    *ecx1 = *ebx7 = *xcr0 = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    *ecx1 = c;
    if (c & bit_OSXSAVE) {
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        *xcr0 = lo;
    }
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) *ebx7 = b;
}

// Whether the CPU and the OS support AVX2 (CPUID leaf 7, and XCR0 saving the YMM state).
static inline int embedrec_cpu_has_avx2(void) {
    unsigned ecx1, ebx7, xcr0;
    embedrec_cpu_state(&ecx1, &ebx7, &xcr0);
    return (ecx1 & bit_AVX) && (xcr0 & 6) == 6 && (ebx7 & bit_AVX2);
}

// The widest x86 vector level that OpenBLAS's kernels use and that the CPU and the OS support:
// 2 = AVX-512 F/CD/BW/DQ/VL with the ZMM state saved (OpenBLAS's SkylakeX kernels), 1 = AVX2
// and FMA3 (its Haswell kernels), 0 = neither.
static inline int embedrec_cpu_vector_level(void) {
    unsigned ecx1, ebx7, xcr0;
    embedrec_cpu_state(&ecx1, &ebx7, &xcr0);
    if (!embedrec_cpu_has_avx2() || !(ecx1 & bit_FMA)) return 0;
    const unsigned avx512 = bit_AVX512F | bit_AVX512CD | bit_AVX512BW | bit_AVX512DQ | bit_AVX512VL;
    return ((xcr0 & 0xE6) == 0xE6 && (ebx7 & avx512) == avx512) ? 2 : 1;
}
#else
static inline long embedrec_skip_not_above_avx2(const float *v, long n, float t) {
    return embedrec_skip_not_above(v, n, t);
}
static inline int embedrec_cpu_has_avx2(void) { return 0; }
static inline int embedrec_cpu_vector_level(void) { return 0; }
#endif
#undef EMBEDREC_SKIP_NOT_ABOVE_BODY

// Adam row updates in 256-bit registers, for AVX2 machines (see embedrec_cpu_has_avx2). The
// state rows hold the first moment m and the root of the second moment, s = √v: the catch-up
// then needs no square root for the old moment. Each element goes through the same sequence of
// IEEE operations as in the portable Swift kernels (VectorKernels.swift), without fused
// multiply-adds, whatever the vector width, so both paths give bit-identical weights; the wider
// registers halve the square roots and divisions that dominate these updates.
#if defined(__x86_64__)
#pragma clang fp contract(off)

// One Adam step on T-wide lanes at offset k: g' = g + 2λw, m = β1·m + (1−β1)·g',
// s = √(β2·s² + (1−β2)·g'²), w −= α·m/(s + ε).
#define EMBEDREC_ADAM_LANES(T)                                                          \
    {                                                                                   \
        T wk, gk, mk, sk;                                                               \
        __builtin_memcpy(&wk, w + k, sizeof wk); __builtin_memcpy(&gk, g + k, sizeof gk); \
        __builtin_memcpy(&mk, m + k, sizeof mk); __builtin_memcpy(&sk, s + k, sizeof sk); \
        gk = gk + two_l2 * wk;                                                          \
        mk = b1 * mk + c1 * gk;                                                         \
        sk = __builtin_elementwise_sqrt(b2 * (sk * sk) + c2 * (gk * gk));               \
        wk = wk - alpha * mk / (sk + eps);                                              \
        __builtin_memcpy(m + k, &mk, sizeof mk); __builtin_memcpy(s + k, &sk, sizeof sk); \
        __builtin_memcpy(w + k, &wk, sizeof wk);                                        \
    }

__attribute__((target("avx2")))
static inline void embedrec_adam_avx2(float *w, const float *g, float *m, float *s, long n,
                                      float alpha, float b1, float b2, float eps, float l2) {
    const float c1 = 1 - b1, c2 = 1 - b2, two_l2 = 2 * l2;
    long k = 0;
    for (; k + 8 <= n; k += 8) EMBEDREC_ADAM_LANES(embedrec_float8)
    for (; k + 4 <= n; k += 4) EMBEDREC_ADAM_LANES(embedrec_float4)
    for (; k < n; k++) EMBEDREC_ADAM_LANES(float)
}

// Deferred dense Adam on T-wide lanes: the skipped zero-gradient steps in closed form, then
// this step (see VectorKernels.adamWithCatchUp for the algebra). The stored root s₀ spares the
// square root the old second moment would otherwise need.
#define EMBEDREC_ADAM_CATCH_UP_LANES(T)                                                 \
    {                                                                                   \
        T wk, gk, m0, s0;                                                               \
        __builtin_memcpy(&wk, w + k, sizeof wk); __builtin_memcpy(&gk, g + k, sizeof gk); \
        __builtin_memcpy(&m0, m + k, sizeof m0); __builtin_memcpy(&s0, s + k, sizeof s0); \
        wk = wk - drift * m0 / (s0 + eps);                                              \
        gk = gk + two_l2 * wk;                                                          \
        T mk = b1d * m0 + c1 * gk;                                                      \
        T sk = __builtin_elementwise_sqrt(b2d * (s0 * s0) + c2 * (gk * gk));            \
        wk = wk - alpha * mk / (sk + eps);                                              \
        __builtin_memcpy(m + k, &mk, sizeof mk); __builtin_memcpy(s + k, &sk, sizeof sk); \
        __builtin_memcpy(w + k, &wk, sizeof wk);                                        \
    }

// b1d = β1·β1ᵏ, b2d = β2·β2ᵏ for k skipped steps; drift = α·Σₛ(β1/√β2)ˢ.
__attribute__((target("avx2")))
static inline void embedrec_adam_catch_up_avx2(float *w, const float *g, float *m, float *s, long n,
                                               float alpha, float b1d, float b2d, float c1, float c2,
                                               float eps, float l2, float drift) {
    const float two_l2 = 2 * l2;
    long k = 0;
    for (; k + 8 <= n; k += 8) EMBEDREC_ADAM_CATCH_UP_LANES(embedrec_float8)
    for (; k + 4 <= n; k += 4) EMBEDREC_ADAM_CATCH_UP_LANES(embedrec_float4)
    for (; k < n; k++) EMBEDREC_ADAM_CATCH_UP_LANES(float)
}
#undef EMBEDREC_ADAM_LANES
#undef EMBEDREC_ADAM_CATCH_UP_LANES
#pragma clang fp contract(on)
#else
static inline void embedrec_adam_avx2(float *w, const float *g, float *m, float *s, long n,
                                      float alpha, float b1, float b2, float eps, float l2) {}
static inline void embedrec_adam_catch_up_avx2(float *w, const float *g, float *m, float *s, long n,
                                               float alpha, float b1d, float b2d, float c1, float c2,
                                               float eps, float l2, float drift) {}
#endif

// Weighted-ALS row solves (ImplicitALS.swift): a few conjugate-gradient steps on
// (G + λ_row·I + Σ (c−1) y yᵀ) x = Σ c y per row, c = 1 + α·w, where λ_row =
// λ_per_interaction × the row's interaction count, at least 1 (ALS-WR; 0 leaves only the λ
// inside G, and skips the term). One body, compiled twice: for AVX2 and for
// the baseline; both do the same IEEE operations in the same order (8-float lanes, fixed
// reduction order, no fused multiply-adds), so the factors are identical on either path.
#pragma clang fp contract(off)
#define EMBEDREC_ALS_ROWS_BODY                                                                   \
    float *r = scratch, *p = scratch + d, *ap = scratch + 2 * d;                                 \
    for (long row = first; row < end; row++) {                                                   \
        float *x = rows + row * d;                                                               \
        const long begin = offsets[row], stop = offsets[row + 1];                                \
        EMBEDREC_ALS_MATVEC(gram, x, r);                                                         \
        const float extra = lambda_per_interaction * (float)(stop > begin ? stop - begin : 1);   \
        if (lambda_per_interaction != 0) EMBEDREC_ALS_AXPY(extra, x, r);                         \
        for (long f = 0; f < d; f++) r[f] = -r[f];                                               \
        for (long e = begin; e < stop; e++) {                                                    \
            const float *y = other + (long)items[e] * d;                                         \
            if (e + 6 < stop) EMBEDREC_ALS_PREFETCH(other + (long)items[e + 6] * d);             \
            const float c = 1 + alpha * weights[e];                                              \
            float t; EMBEDREC_ALS_DOT(y, x, t);                                                  \
            EMBEDREC_ALS_AXPY(c - (c - 1) * t, y, r);                                            \
        }                                                                                        \
        for (long f = 0; f < d; f++) p[f] = r[f];                                                \
        float rs_old; EMBEDREC_ALS_DOT(r, r, rs_old);                                            \
        if (!(rs_old > 1e-20f)) continue;                                                        \
        for (long step = 0; step < steps; step++) {                                              \
            EMBEDREC_ALS_MATVEC(gram, p, ap);                                                    \
            if (lambda_per_interaction != 0) EMBEDREC_ALS_AXPY(extra, p, ap);                    \
            for (long e = begin; e < stop; e++) {                                                \
                const float c = 1 + alpha * weights[e];                                          \
                if (c == 1) continue;                                                            \
                const float *y = other + (long)items[e] * d;                                     \
                if (e + 6 < stop) EMBEDREC_ALS_PREFETCH(other + (long)items[e + 6] * d);         \
                float t; EMBEDREC_ALS_DOT(y, p, t);                                              \
                EMBEDREC_ALS_AXPY((c - 1) * t, y, ap);                                           \
            }                                                                                    \
            float pap; EMBEDREC_ALS_DOT(p, ap, pap);                                             \
            if (!(pap > 0)) break;                                                               \
            const float a = rs_old / pap;                                                        \
            EMBEDREC_ALS_AXPY(a, p, x);                                                          \
            EMBEDREC_ALS_AXPY(-a, ap, r);                                                        \
            float rs_new; EMBEDREC_ALS_DOT(r, r, rs_new);                                        \
            if (rs_new < 1e-20f) break;                                                          \
            const float beta = rs_new / rs_old;                                                  \
            for (long f = 0; f < d; f++) p[f] = r[f] + beta * p[f];                              \
            rs_old = rs_new;                                                                     \
        }                                                                                        \
    }

// The rows a list visits are scattered over the other table: fetch a few ahead (one row is
// d floats, usually a few cache lines).
#define EMBEDREC_ALS_PREFETCH(ROW)                                                               \
    { for (long f = 0; f < d; f += 16) __builtin_prefetch((ROW) + f, 0, 3); }

// out = a·b over d floats: 8-lane partial sums, then a fixed pairwise reduction, then the tail.
#define EMBEDREC_ALS_DOT(A, B, OUT)                                                              \
    {                                                                                            \
        embedrec_float8 acc = 0; long f = 0;                                                     \
        for (; f + 8 <= d; f += 8) {                                                             \
            embedrec_float8 va, vb;                                                              \
            __builtin_memcpy(&va, (A) + f, sizeof va); __builtin_memcpy(&vb, (B) + f, sizeof vb); \
            acc = acc + va * vb;                                                                 \
        }                                                                                        \
        float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])); \
        for (; f < d; f++) sum = sum + (A)[f] * (B)[f];                                          \
        OUT = sum;                                                                               \
    }
// Y += alpha·X over d floats.
#define EMBEDREC_ALS_AXPY(ALPHA, X, Y)                                                           \
    {                                                                                            \
        const float al = (ALPHA); long f = 0;                                                    \
        for (; f + 8 <= d; f += 8) {                                                             \
            embedrec_float8 vx, vy;                                                              \
            __builtin_memcpy(&vx, (X) + f, sizeof vx); __builtin_memcpy(&vy, (Y) + f, sizeof vy); \
            vy = vy + al * vx;                                                                   \
            __builtin_memcpy((Y) + f, &vy, sizeof vy);                                           \
        }                                                                                        \
        for (; f < d; f++) (Y)[f] = (Y)[f] + al * (X)[f];                                        \
    }
// OUT = G·V for the symmetric d×d G, as Σ_f V[f]·G[f, :].
#define EMBEDREC_ALS_MATVEC(G, V, OUT)                                                           \
    {                                                                                            \
        for (long f = 0; f < d; f++) (OUT)[f] = 0;                                               \
        for (long g = 0; g < d; g++) EMBEDREC_ALS_AXPY((V)[g], (G) + g * d, (OUT));              \
    }

static inline void embedrec_als_rows(float *rows, long first, long end, const long *offsets,
                                     const int *items, const float *weights, const float *other,
                                     const float *gram, long d, float alpha, float lambda_per_interaction,
                                     long steps, float *scratch) {
    EMBEDREC_ALS_ROWS_BODY
}
#if defined(__x86_64__)
__attribute__((target("avx2")))
static inline void embedrec_als_rows_avx2(float *rows, long first, long end, const long *offsets,
                                          const int *items, const float *weights, const float *other,
                                          const float *gram, long d, float alpha, float lambda_per_interaction,
                                          long steps, float *scratch) {
    EMBEDREC_ALS_ROWS_BODY
}
#else
static inline void embedrec_als_rows_avx2(float *rows, long first, long end, const long *offsets,
                                          const int *items, const float *weights, const float *other,
                                          const float *gram, long d, float alpha, float lambda_per_interaction,
                                          long steps, float *scratch) {
    embedrec_als_rows(rows, first, end, offsets, items, weights, other, gram, d, alpha, lambda_per_interaction, steps, scratch);
}
#endif
#undef EMBEDREC_ALS_ROWS_BODY
#undef EMBEDREC_ALS_DOT
#undef EMBEDREC_ALS_AXPY
#undef EMBEDREC_ALS_MATVEC
#undef EMBEDREC_ALS_PREFETCH
#pragma clang fp contract(on)

// EASE's catalogue scoring (EASEScoring.swift): out[0..m) = Σₖ weights[k] · b[items[k]·ldb + 0..m),
// overwriting out; item indices are exact floats. Eight accumulators of T (L floats each) stay
// in registers over a reader's whole history, so each history item costs one load and a
// multiply-add per lane, not an axpy's load and store of out; the rows of later items are
// prefetched. One body, compiled for AVX2 and
// for the baseline, with the same IEEE operations in the same order per element (no fused
// multiply-adds), so both paths give identical scores.
#pragma clang fp contract(off)
// History items whose rows are asked for ahead of use: they are scattered over B, so the
// hardware prefetcher cannot guess them.
#define EMBEDREC_SUM_ROWS_AHEAD 6
#define EMBEDREC_SUM_ROWS_BODY(T, L)                                                                \
    long j = 0;                                                                                     \
    for (; j + 8 * L <= m; j += 8 * L) {                                                            \
        T a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;                           \
        for (long k = 0; k < count; k++) {                                                          \
            const float *row = b + (long)items[k] * ldb + j;                                        \
            if (k + EMBEDREC_SUM_ROWS_AHEAD < count) {                                              \
                const float *next = b + (long)items[k + EMBEDREC_SUM_ROWS_AHEAD] * ldb + j;         \
                for (long line = 0; line < 8 * L; line += 16) __builtin_prefetch(next + line, 0, 3); \
            }                                                                                       \
            const T w = weights[k];                                                                 \
            T x0, x1, x2, x3, x4, x5, x6, x7;                                                       \
            __builtin_memcpy(&x0, row, sizeof x0); __builtin_memcpy(&x1, row + L, sizeof x1);       \
            __builtin_memcpy(&x2, row + 2 * L, sizeof x2); __builtin_memcpy(&x3, row + 3 * L, sizeof x3); \
            __builtin_memcpy(&x4, row + 4 * L, sizeof x4); __builtin_memcpy(&x5, row + 5 * L, sizeof x5); \
            __builtin_memcpy(&x6, row + 6 * L, sizeof x6); __builtin_memcpy(&x7, row + 7 * L, sizeof x7); \
            a0 = a0 + w * x0; a1 = a1 + w * x1; a2 = a2 + w * x2; a3 = a3 + w * x3;                 \
            a4 = a4 + w * x4; a5 = a5 + w * x5; a6 = a6 + w * x6; a7 = a7 + w * x7;                 \
        }                                                                                           \
        __builtin_memcpy(out + j, &a0, sizeof a0); __builtin_memcpy(out + j + L, &a1, sizeof a1);   \
        __builtin_memcpy(out + j + 2 * L, &a2, sizeof a2); __builtin_memcpy(out + j + 3 * L, &a3, sizeof a3); \
        __builtin_memcpy(out + j + 4 * L, &a4, sizeof a4); __builtin_memcpy(out + j + 5 * L, &a5, sizeof a5); \
        __builtin_memcpy(out + j + 6 * L, &a6, sizeof a6); __builtin_memcpy(out + j + 7 * L, &a7, sizeof a7); \
    }                                                                                               \
    for (; j < m; j++) {                                                                            \
        float a = 0;                                                                                \
        for (long k = 0; k < count; k++) a = a + weights[k] * b[(long)items[k] * ldb + j];         \
        out[j] = a;                                                                                 \
    }

static inline void embedrec_sum_rows(float *out, long m, const float *b, long ldb,
                                     const float *items, const float *weights, long count) {
    EMBEDREC_SUM_ROWS_BODY(embedrec_float4, 4)
}
#if defined(__x86_64__)
__attribute__((target("avx2")))
static inline void embedrec_sum_rows_avx2(float *out, long m, const float *b, long ldb,
                                          const float *items, const float *weights, long count) {
    EMBEDREC_SUM_ROWS_BODY(embedrec_float8, 8)
}
// The same in 512-bit registers (embedrec_cpu_vector_level() == 2): 128 floats per pass over
// the history, half the passes of the AVX2 variant.
typedef float embedrec_float16 __attribute__((ext_vector_type(16)));
__attribute__((target("avx512f")))
static inline void embedrec_sum_rows_avx512(float *out, long m, const float *b, long ldb,
                                            const float *items, const float *weights, long count) {
    EMBEDREC_SUM_ROWS_BODY(embedrec_float16, 16)
}
#else
static inline void embedrec_sum_rows_avx2(float *out, long m, const float *b, long ldb,
                                          const float *items, const float *weights, long count) {
    embedrec_sum_rows(out, m, b, ldb, items, weights, count);
}
static inline void embedrec_sum_rows_avx512(float *out, long m, const float *b, long ldb,
                                            const float *items, const float *weights, long count) {
    embedrec_sum_rows(out, m, b, ldb, items, weights, count);
}
#endif
#undef EMBEDREC_SUM_ROWS_BODY
#undef EMBEDREC_SUM_ROWS_AHEAD
#pragma clang fp contract(on)

// Flush-to-zero / denormals-are-zero for the calling thread during training: subnormal floats
// (tiny decayed moments, vanishing gradients) cost ~100 cycles per operation on x86. Returns the
// previous state for embedrec_restore_float_mode, so pooled threads are handed back unchanged.
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
static inline unsigned int embedrec_enable_flush_to_zero(void) {
    unsigned int previous = _mm_getcsr();
    _mm_setcsr(previous | 0x8040);  // FTZ (bit 15) | DAZ (bit 6)
    return previous;
}
static inline void embedrec_restore_float_mode(unsigned int previous) { _mm_setcsr(previous); }
#else
static inline unsigned int embedrec_enable_flush_to_zero(void) { return 0; }
static inline void embedrec_restore_float_mode(unsigned int previous) { (void)previous; }
#endif
