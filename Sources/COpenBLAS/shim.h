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
