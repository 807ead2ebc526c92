#pragma once
// parbench's public API: what a program of its own needs to run its kernels (and backends)
// through every parallel model with parbench's whole command line, as Google Benchmark's
// BENCHMARK_MAIN does for benchmarks. docs/api.md describes it; examples/histogram uses it.
//
//   #include <parbench/parbench.hpp>
//   class my_kernel : public parbench::kernel { ... };          // core/kernel.hpp
//   PARBENCH_REGISTER_KERNEL(my_kernel);
//   PARBENCH_MAIN()
//
// The program's own executable is also the worker that the spawn, forkserver and MPI backends
// start, so its kernels run there too: register them at namespace scope (the macros), never
// only in a code path of main.

#include <memory>
#include <string>
#include <utility>

#include "backends/registry.hpp"  // IWYU pragma: export
#include "core/backend.hpp"       // IWYU pragma: export
#include "core/errors.hpp"        // IWYU pragma: export
#include "core/kernel.hpp"        // IWYU pragma: export
#include "core/version.hpp"       // IWYU pragma: export
#include "kernels/registry.hpp"   // IWYU pragma: export

namespace parbench {

/// parbench's command line (`list`, `pi`, `run`, `overhead`, `plot`, `compare`) over every
/// kernel and backend registered in this program; returns the exit status (docs/cli.md).
/// Call it from main and nothing else before it: it also runs the spawn backend's workers and
/// starts the forkserver, which must happen while the process is still single-threaded.
/// `data_directory` is an installed parbench's <prefix>/share/parbench (the CMake package
/// defines PARBENCH_DATA_DIRECTORY for PARBENCH_MAIN), where `plot` and `run --peer` find their
/// scripts; empty: next to the executable and in the source tree only.
int cli_main(int argc, char** argv, const char* data_directory = "");

namespace detail {
/// Ends the program with exit status 2 and the error: a registration that fails (a name taken)
/// runs before main, where an exception would only call std::terminate.
[[noreturn]] void registration_failed(const error& e) noexcept;

/// A registration at static-initialisation time; the returned value only anchors it.
template <typename Kernel>
bool register_kernel_type() noexcept {
  try {
    ::parbench::register_kernel(std::make_unique<Kernel>());
  } catch (const error& e) {
    registration_failed(e);
  }
  return true;
}
template <typename Backend>
bool register_backend_type() noexcept {
  try {
    const auto probe = std::make_unique<Backend>();
    ::parbench::register_backend(std::string(probe->name()), std::string(probe->description()),
                                 [] { return std::unique_ptr<backend>(std::make_unique<Backend>()); });
  } catch (const error& e) {
    registration_failed(e);
  }
  return true;
}
}  // namespace detail

}  // namespace parbench

#define PARBENCH_DETAIL_CONCAT2(a, b) a##b
#define PARBENCH_DETAIL_CONCAT(a, b) PARBENCH_DETAIL_CONCAT2(a, b)

/// Registers kernel class `Kernel` (default-constructible, derived from parbench::kernel).
#define PARBENCH_REGISTER_KERNEL(Kernel)                                                             \
  [[maybe_unused]] static const bool PARBENCH_DETAIL_CONCAT(parbench_kernel_registered_, __LINE__) = \
      ::parbench::detail::register_kernel_type<Kernel>()

/// Registers backend class `Backend` (default-constructible, derived from parbench::backend).
#define PARBENCH_REGISTER_BACKEND(Backend)                                                            \
  [[maybe_unused]] static const bool PARBENCH_DETAIL_CONCAT(parbench_backend_registered_, __LINE__) = \
      ::parbench::detail::register_backend_type<Backend>()

#ifdef PARBENCH_DATA_DIRECTORY
#define PARBENCH_DETAIL_DATA_DIRECTORY PARBENCH_DATA_DIRECTORY
#else
#define PARBENCH_DETAIL_DATA_DIRECTORY ""
#endif

/// Defines main() as parbench's command line.
#define PARBENCH_MAIN() \
  int main(int argc, char** argv) { return ::parbench::cli_main(argc, argv, PARBENCH_DETAIL_DATA_DIRECTORY); }
