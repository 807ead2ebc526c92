#pragma once
// Invariants (programming errors, not user errors): abort with the location.

#include <cstdio>
#include <cstdlib>

#define PARBENCH_ASSERT(cond)                                                                    \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      std::fprintf(stderr, "parbench: internal error: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                              \
    }                                                                                            \
  } while (false)
