// OpenBLAS's CBLAS interface (with openblas_set_num_threads) and LAPACKE.
// Include paths come from pkg-config `openblas`; lapacke.h lives in /usr/include on Debian.
#include <cblas.h>
#include <lapacke.h>
