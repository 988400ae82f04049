// OpenBLAS's CBLAS interface (with openblas_set_num_threads) and LAPACKE.
// Include paths come from pkg-config `openblas`; lapacke.h lives in /usr/include on Debian.
#include <cblas.h>
#include <lapacke.h>

// A software prefetch hint for the training loop, which touches embedding rows at random:
// issuing the next batch's row loads early overlaps their cache misses with the current work.
static inline void embedrec_prefetch(const void *address) {
    __builtin_prefetch(address, 1, 3);
}
