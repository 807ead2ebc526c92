// parbench: compare parallelism models on shared, deterministic workloads.
#include "parbench/parbench.hpp"

PARBENCH_MAIN()
