#include "backends/process/early.hpp"

#include <cstring>

#include "backends/process/forkserver.hpp"
#include "backends/process/spawn.hpp"
#include "core/errors.hpp"

namespace parbench::process {

std::optional<int> early_main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], worker_mode_argument) == 0) return worker_main(argc, argv);
  mark_worker_capable();
  try {
    start_forkserver();
  } catch (const run_error&) {
    // Not fatal here: most commands never use the forkserver; its backend retries and reports.
  }
  return std::nullopt;
}

}  // namespace parbench::process
