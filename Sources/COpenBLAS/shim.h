// OpenBLAS's CBLAS interface (with openblas_set_num_threads) and LAPACKE.
// Include paths come from pkg-config `openblas`; lapacke.h lives in /usr/include on Debian.
#include <cblas.h>
#include <lapacke.h>

// A software prefetch hint for the training loop, which touches embedding rows at random:
// issuing the next batch's row loads early overlaps their cache misses with the current work.
static inline void embedrec_prefetch(const void *address) {
    __builtin_prefetch(address, 1, 3);
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
static inline long embedrec_skip_not_above(const float *v, long n, float t) {
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        embedrec_float8 a, b;
        __builtin_memcpy(&a, v + i, sizeof a);
        __builtin_memcpy(&b, v + i + 8, sizeof b);
        embedrec_int8 hit = (a > t) | (b > t);
        if (__builtin_reduce_or(hit)) return i;
    }
    return i;
}

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
