// The whole parbench command line over the built-in kernels and backends and this program's
// own (histogram_kernel.cpp): `histogram list`, `histogram pi --kernel histogram -b all`, ...
#include <parbench/parbench.hpp>

PARBENCH_MAIN()
