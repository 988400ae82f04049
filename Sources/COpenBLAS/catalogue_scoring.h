// Catalogue scoring for the dot-product family (DotProductFamily.swift), with top-K's first
// filter done while the scores are still in registers.
//
// Items are packed in panels of 16 (embedrec_pack_panels): panel p holds items 16p..16p+15 as
// `width` rows of 16 floats, k-major, the last panel padded with zeros. A block of user rows
// (row-major, `width` floats each) is scored against the panels of one tile of m items, a few
// users by one or more panels at a time, so the products never leave the registers until they
// are stored. Every score is a chain of fused multiply-adds in k order starting from zero,
// whatever the vector width (4, 8 or 16 lanes), the micro-tile shape or the number of users in the block: every
// variant, every block and a single user give the same bits.
//
// With `thresholds`, a user's 16 scores of a panel are stored (at out[r * ldo + 16 g ...]) and
// bit g of the user's hit words set only when one of them is above the user's threshold (the
// K-th best score so far; NaN is never above it): a group that cannot enter the user's top K
// costs neither a store nor a later scan. Without `thresholds` every score is stored.
#include <stdint.h>

#define EMBEDREC_PANEL_ITEMS 16

typedef float embedrec_panel_f4 __attribute__((ext_vector_type(4)));
typedef float embedrec_panel_f8 __attribute__((ext_vector_type(8)));

// Copies `items` rows of `width` floats (row-major, `ld` apart) into panels (zero padded).
static inline void embedrec_pack_panels(float *panels, const float *rows, long items, long width, long ld) {
    long groups = (items + EMBEDREC_PANEL_ITEMS - 1) / EMBEDREC_PANEL_ITEMS;
    for (long g = 0; g < groups; g++) {
        float *panel = panels + g * width * EMBEDREC_PANEL_ITEMS;
        for (long lane = 0; lane < EMBEDREC_PANEL_ITEMS; lane++) {
            long item = g * EMBEDREC_PANEL_ITEMS + lane;
            for (long k = 0; k < width; k++)
                panel[k * EMBEDREC_PANEL_ITEMS + lane] = item < items ? rows[item * ld + k] : 0.0f;
        }
    }
}

// One user's scores of one panel (V vectors of L lanes): stored when unfiltered or when a
// valid lane beats the threshold; `valid` < 16 only for the tile's last panel.
#define EMBEDREC_PANEL_STORE(T, L, V, ACC, OUT, VALID, THRESHOLD, HITS, G)                        \
    do {                                                                                           \
        if ((VALID) == EMBEDREC_PANEL_ITEMS) {                                                     \
            int keep = 1;                                                                          \
            if (THRESHOLD) {                                                                       \
                const float t = *(THRESHOLD);                                                      \
                __typeof__((ACC)[0] > t) above = (ACC)[0] > t;                                     \
                for (int v_ = 1; v_ < V; v_++) above |= (ACC)[v_] > t;                             \
                keep = __builtin_reduce_or(above) != 0;                                            \
            }                                                                                      \
            if (keep) {                                                                            \
                for (int v_ = 0; v_ < V; v_++) __builtin_memcpy((OUT) + v_ * L, &(ACC)[v_], sizeof(T)); \
                if (THRESHOLD) (HITS)[(G) >> 6] |= (uint64_t)1 << ((G) & 63);                     \
            }                                                                                      \
        } else {                                                                                   \
            float lanes_[EMBEDREC_PANEL_ITEMS];                                                    \
            for (int v_ = 0; v_ < V; v_++) __builtin_memcpy(lanes_ + v_ * L, &(ACC)[v_], sizeof(T)); \
            int keep = !(THRESHOLD);                                                               \
            for (long j_ = 0; j_ < (VALID); j_++) keep |= (THRESHOLD) && lanes_[j_] > *(THRESHOLD); \
            if (keep) {                                                                            \
                for (long j_ = 0; j_ < (VALID); j_++) (OUT)[j_] = lanes_[j_];                      \
                if (THRESHOLD) (HITS)[(G) >> 6] |= (uint64_t)1 << ((G) & 63);                     \
            }                                                                                      \
        }                                                                                          \
    } while (0)

// MR users × NP panels starting at panel g: MR·NP·(16/L) accumulators.
#define EMBEDREC_SCORE_MICRO(NAME, T, L, MR, NP)                                                   \
    static inline __attribute__((always_inline)) void NAME(                                        \
        float *out, long ldo, const float *rows, long width, const float *panels, long g, long m,  \
        const float *thresholds, uint64_t *hits, long words) {                                     \
        enum { V = EMBEDREC_PANEL_ITEMS / L };                                                     \
        T acc[MR][NP][V];                                                                          \
        _Pragma("unroll") for (int r = 0; r < MR; r++)                                             \
        _Pragma("unroll") for (int p = 0; p < NP; p++)                                             \
        _Pragma("unroll") for (int v = 0; v < V; v++) acc[r][p][v] = 0;                            \
        const float *panel = panels + g * width * EMBEDREC_PANEL_ITEMS;                            \
        for (long k = 0; k < width; k++) {                                                         \
            T b[NP][V];                                                                            \
            _Pragma("unroll") for (int p = 0; p < NP; p++)                                         \
            _Pragma("unroll") for (int v = 0; v < V; v++)                                          \
                __builtin_memcpy(&b[p][v], panel + (p * width + k) * EMBEDREC_PANEL_ITEMS + v * L, sizeof(T)); \
            _Pragma("unroll") for (int r = 0; r < MR; r++) {                                       \
                const T a = (T)(rows[r * width + k]);                                              \
                _Pragma("unroll") for (int p = 0; p < NP; p++)                                     \
                _Pragma("unroll") for (int v = 0; v < V; v++)                                      \
                    acc[r][p][v] = __builtin_elementwise_fma(a, b[p][v], acc[r][p][v]);            \
            }                                                                                      \
        }                                                                                          \
        _Pragma("unroll") for (int r = 0; r < MR; r++)                                             \
        _Pragma("unroll") for (int p = 0; p < NP; p++) {                                           \
            long gp = g + p, first = gp * EMBEDREC_PANEL_ITEMS;                                    \
            long valid = m - first < EMBEDREC_PANEL_ITEMS ? m - first : EMBEDREC_PANEL_ITEMS;      \
            EMBEDREC_PANEL_STORE(T, L, V, acc[r][p], out + r * ldo + first, valid,                 \
                                 thresholds ? thresholds + r : (const float *)0, hits + r * words, gp); \
        }                                                                                          \
    }

// MR users against every panel of the tile, NP panels at a time, then one at a time.
#define EMBEDREC_SCORE_ROWS(MICRO_WIDE, MICRO_ONE, MR, NP)                                         \
    do {                                                                                           \
        long g = 0;                                                                                \
        for (; g + NP <= groups; g += NP)                                                          \
            MICRO_WIDE(out + r * ldo, ldo, rows + r * width, width, panels, g, m,                  \
                       thresholds ? thresholds + r : thresholds, hits + r * words, words);         \
        for (; g < groups; g++)                                                                    \
            MICRO_ONE(out + r * ldo, ldo, rows + r * width, width, panels, g, m,                   \
                      thresholds ? thresholds + r : thresholds, hits + r * words, words);          \
        r += MR;                                                                                   \
    } while (0)

// Shapes chosen so that each has at least 8 independent accumulators where it can (two FMA
// pipes of four cycles' latency): MR users by NP panels, NP = WIDE for 4–6 users, MID for 2–3
// and ONE_USER for a single user (a served request), then one panel at a time for the tile's
// last panels. A four- or eight-lane vector takes 6 users × 1 panel (its panel is 2–4
// registers); a sixteen-lane one, whose panel is one register, 6 users × 2 panels.
#define EMBEDREC_SCORE_VARIANT(SUFFIX, T, L, ATTRIBUTE, WIDE, MID, ONE_USER)                      \
    EMBEDREC_SCORE_MICRO(embedrec_score_6w_##SUFFIX, T, L, 6, WIDE)                                \
    EMBEDREC_SCORE_MICRO(embedrec_score_6x1_##SUFFIX, T, L, 6, 1)                                  \
    EMBEDREC_SCORE_MICRO(embedrec_score_5w_##SUFFIX, T, L, 5, WIDE)                                \
    EMBEDREC_SCORE_MICRO(embedrec_score_5x1_##SUFFIX, T, L, 5, 1)                                  \
    EMBEDREC_SCORE_MICRO(embedrec_score_4w_##SUFFIX, T, L, 4, WIDE)                                \
    EMBEDREC_SCORE_MICRO(embedrec_score_4x1_##SUFFIX, T, L, 4, 1)                                  \
    EMBEDREC_SCORE_MICRO(embedrec_score_3w_##SUFFIX, T, L, 3, MID)                                 \
    EMBEDREC_SCORE_MICRO(embedrec_score_3x1_##SUFFIX, T, L, 3, 1)                                  \
    EMBEDREC_SCORE_MICRO(embedrec_score_2w_##SUFFIX, T, L, 2, MID)                                 \
    EMBEDREC_SCORE_MICRO(embedrec_score_2x1_##SUFFIX, T, L, 2, 1)                                  \
    EMBEDREC_SCORE_MICRO(embedrec_score_1w_##SUFFIX, T, L, 1, ONE_USER)                            \
    EMBEDREC_SCORE_MICRO(embedrec_score_1x1_##SUFFIX, T, L, 1, 1)                                  \
    ATTRIBUTE static inline void embedrec_score_panels_##SUFFIX(                                   \
        float *out, long ldo, const float *rows, long count, long width, const float *panels,     \
        long m, const float *thresholds, uint64_t *hits) {                                         \
        const long groups = (m + EMBEDREC_PANEL_ITEMS - 1) / EMBEDREC_PANEL_ITEMS;                 \
        const long words = (groups + 63) / 64;                                                     \
        if (thresholds)                                                                            \
            for (long i = 0; i < count * words; i++) hits[i] = 0;                                  \
        long r = 0;                                                                                \
        while (count - r >= 6) EMBEDREC_SCORE_ROWS(embedrec_score_6w_##SUFFIX, embedrec_score_6x1_##SUFFIX, 6, WIDE); \
        switch (count - r) {                                                                       \
        case 5: EMBEDREC_SCORE_ROWS(embedrec_score_5w_##SUFFIX, embedrec_score_5x1_##SUFFIX, 5, WIDE); break; \
        case 4: EMBEDREC_SCORE_ROWS(embedrec_score_4w_##SUFFIX, embedrec_score_4x1_##SUFFIX, 4, WIDE); break; \
        case 3: EMBEDREC_SCORE_ROWS(embedrec_score_3w_##SUFFIX, embedrec_score_3x1_##SUFFIX, 3, MID); break; \
        case 2: EMBEDREC_SCORE_ROWS(embedrec_score_2w_##SUFFIX, embedrec_score_2x1_##SUFFIX, 2, MID); break; \
        case 1: EMBEDREC_SCORE_ROWS(embedrec_score_1w_##SUFFIX, embedrec_score_1x1_##SUFFIX, 1, ONE_USER); break; \
        default: break;                                                                            \
        }                                                                                          \
    }

// Portable: four-lane vectors (NEON on arm64 has the fused multiply-add; an x86-64 CPU without
// FMA3 computes the same bits through libm's fmaf, slowly, and is only used to check them).
EMBEDREC_SCORE_VARIANT(portable, embedrec_panel_f4, 4, , 1, 2, 4)
#if defined(__x86_64__)
EMBEDREC_SCORE_VARIANT(avx2, embedrec_panel_f8, 8, __attribute__((target("avx2,fma"))), 1, 2, 4)
// AVX-512: 32 registers hold 6 users × 2 panels (12 accumulators) easily.
typedef float embedrec_panel_f16 __attribute__((ext_vector_type(16)));
EMBEDREC_SCORE_VARIANT(avx512, embedrec_panel_f16, 16, __attribute__((target("avx512f,fma"))), 2, 4, 8)
#else
static inline void embedrec_score_panels_avx2(float *out, long ldo, const float *rows, long count, long width,
                                              const float *panels, long m, const float *thresholds, uint64_t *hits) {
    embedrec_score_panels_portable(out, ldo, rows, count, width, panels, m, thresholds, hits);
}
static inline void embedrec_score_panels_avx512(float *out, long ldo, const float *rows, long count, long width,
                                                const float *panels, long m, const float *thresholds, uint64_t *hits) {
    embedrec_score_panels_portable(out, ldo, rows, count, width, panels, m, thresholds, hits);
}
#endif
#undef EMBEDREC_SCORE_VARIANT
#undef EMBEDREC_SCORE_ROWS
#undef EMBEDREC_SCORE_MICRO
#undef EMBEDREC_PANEL_STORE
