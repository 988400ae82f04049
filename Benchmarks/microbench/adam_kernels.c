// Times the deferred-Adam row update (VectorKernels.adamWithCatchUp) in 4-wide vectors, as the
// portable Swift kernel runs it, against the 256-bit shim kernel, on 50-float rows that stay in
// cache: the compute part of a BiasedMF d=50 training step, without its memory stalls.
//
//   clang -O2 -I Sources/COpenBLAS -o /tmp/adam_kernels Benchmarks/microbench/adam_kernels.c
//   /tmp/adam_kernels
#include <stdio.h>
#include <time.h>
#include "shim.h"

typedef float f4 __attribute__((ext_vector_type(4)));

#pragma clang fp contract(off)
// The portable kernel's arithmetic (VectorKernels.adamWithCatchUpPortable), 4 lanes at a time;
// s is the stored root of the second moment.
static void catch_up_4wide(float *w, const float *g, float *m, float *s, long n, float alpha, float b1d,
                           float b2d, float c1, float c2, float eps, float l2, float drift) {
    const float two_l2 = 2 * l2;
    long k = 0;
    for (; k + 4 <= n; k += 4) {
        f4 w0, gk, m0, s0;
        __builtin_memcpy(&w0, w + k, 16); __builtin_memcpy(&gk, g + k, 16);
        __builtin_memcpy(&m0, m + k, 16); __builtin_memcpy(&s0, s + k, 16);
        w0 = w0 - drift * m0 / (s0 + eps);
        gk = gk + two_l2 * w0;
        f4 mk = b1d * m0 + c1 * gk, sk = __builtin_elementwise_sqrt(b2d * (s0 * s0) + c2 * (gk * gk));
        w0 = w0 - alpha * mk / (sk + eps);
        __builtin_memcpy(m + k, &mk, 16); __builtin_memcpy(s + k, &sk, 16); __builtin_memcpy(w + k, &w0, 16);
    }
    for (; k < n; k++) {
        float m0 = m[k], s0 = s[k];
        float w0 = w[k] - drift * m0 / (s0 + eps);
        float grad = g[k] + two_l2 * w0, mk = b1d * m0 + c1 * grad;
        float sk = __builtin_elementwise_sqrt(b2d * (s0 * s0) + c2 * (grad * grad));
        m[k] = mk; s[k] = sk; w[k] = w0 - alpha * mk / (sk + eps);
    }
}

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(void) {
    enum { rows = 64, stride = 64, d = 50, iterations = 200000 };
    static float w[rows * stride], g[rows * stride], m[rows * stride], v[rows * stride];
    for (int i = 0; i < rows * stride; i++) { w[i] = 0.01f * (i % 7); g[i] = 0.001f * (i % 5); m[i] = 1e-4f; v[i] = 1e-3f; }
    if (!embedrec_cpu_has_avx2()) { printf("no AVX2 on this CPU\n"); return 0; }
    const double updates = (double)rows * iterations;
    for (int repeat = 0; repeat < 3; repeat++) {
        double t = now();
        for (int it = 0; it < iterations; it++)
            for (int r = 0; r < rows; r++)
                catch_up_4wide(w + r * stride, g + r * stride, m + r * stride, v + r * stride, d,
                               1e-3f, 0.89f, 0.998f, 0.1f, 0.001f, 1e-7f, 1e-3f, 1e-4f);
        double narrow = now() - t;
        t = now();
        for (int it = 0; it < iterations; it++)
            for (int r = 0; r < rows; r++)
                embedrec_adam_catch_up_avx2(w + r * stride, g + r * stride, m + r * stride, v + r * stride, d,
                                            1e-3f, 0.89f, 0.998f, 0.1f, 0.001f, 1e-7f, 1e-3f, 1e-4f);
        double wide = now() - t;
        printf("d=%d row update: 4-wide %.1f ns, AVX2 %.1f ns, ratio %.2f\n",
               d, narrow / updates * 1e9, wide / updates * 1e9, narrow / wide);
    }
    return 0;
}
