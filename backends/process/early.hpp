#pragma once
// The hook at the very top of parbench's main(), before CLI11 and before any thread pool.

#include <optional>

namespace parbench::process {

/// `parbench __worker ...` (the spawn backend's hidden worker mode) runs the worker and returns
/// its exit status; otherwise marks this process as parbench, starts the forkserver (a failure
/// here is retried, and reported, when the forkserver backend is used) and returns nullopt.
std::optional<int> early_main(int argc, char** argv);

}  // namespace parbench::process
