// A backend of one's own, registered from outside parbench: std::async tasks, one per worker,
// each computing a static block of chunks; the calling thread combines their partial results.
// A backend decides only who runs which chunk: the kernel and its exactness are untouched.

#include <parbench/parbench.hpp>

#include <future>
#include <memory>
#include <vector>

namespace histogram {

class async_backend final : public parbench::backend {
 public:
  std::string_view name() const noexcept override { return "async"; }
  std::string_view description() const noexcept override {
    return "std::async tasks, a static block each (an example backend from outside the tree)";
  }
  std::string_view mechanism() const noexcept override { return "std::async + future::get"; }
  parbench::backend_abilities abilities() const override {
    parbench::backend_abilities a;
    a.schedules = {{"static", "one std::async task per worker, a contiguous block of chunks each", false, true}};
    return a;
  }
  parbench::run_result run(const parbench::run_request& request) override {
    (void)parbench::resolve_schedule(name(), abilities(), request.schedule);
    const parbench::kernel_job& job = *request.job;
    const parbench::chunk_range range = parbench::requested_chunks(request);
    const unsigned workers = request.workers;
    unsigned used = 0;
    parbench::result_words result = parbench::run_steps(
        job,
        [&](std::uint64_t key) {
          std::vector<std::future<parbench::result_words>> tasks;
          used = 0;
          for (unsigned w = 0; w < workers; ++w) {
            const parbench::chunk_range block = parbench::partition(range.last - range.first, workers, w);
            if (!block.empty()) ++used;
            tasks.push_back(std::async(std::launch::async, [&job, key, block, first = range.first] {
              parbench::result_words acc = parbench::identity(job.layout());
              if (!block.empty()) job.accumulate_step(key, {first + block.first, first + block.last}, acc);
              return acc;
            }));
          }
          parbench::result_words acc = parbench::identity(job.layout());
          for (auto& t : tasks) parbench::combine(job.layout(), acc, t.get());  // rethrows a task's error
          return acc;
        },
        request.combine_step);
    return {std::move(result), workers, used, 0.0};
  }
  void start_empty(unsigned workers) override {
    std::vector<std::future<void>> tasks;
    for (unsigned w = 0; w < workers; ++w) tasks.push_back(std::async(std::launch::async, [] {}));
    for (auto& t : tasks) t.get();
  }
};

}  // namespace histogram

PARBENCH_REGISTER_BACKEND(histogram::async_backend);
