#pragma once
// The readable summary `parbench run` prints: per backend throughput, speedup and
// efficiency at each W, break-even sizes, synchronisation cost per step, start-up cost, and
// trust warnings.
// Consumes records only; never times anything.

#include <string>
#include <vector>

#include "bench/records.hpp"
#include "bench/suite.hpp"
#include "bench/system_info.hpp"

namespace parbench::cli {

/// Warnings about numbers that should not be trusted (cv above 10%, frequency scaling,
/// load at start, debug build), one sentence each.
std::vector<std::string> trust_warnings(const bench::report& report, const bench::machine_info& machine,
                                        const std::string& build_type);

/// The summary tables as text (fmt).
std::string summary_text(const bench::report& report, const bench::suite& suite);

/// The synchronisation cost per step of stepped kernels (aggregates with sync_per_step_s) as
/// a table per (kernel, params, backend, schedule) x W; empty when there is none.
std::string sync_text(const std::vector<bench::result_row>& results);

/// The start-up overhead table as text.
std::string overhead_text(const std::vector<bench::overhead_row>& rows);

}  // namespace parbench::cli
