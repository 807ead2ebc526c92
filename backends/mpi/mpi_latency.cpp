// parbench_mpi_latency: the cost of one reduction of one uint64, the number the
// efficiency model in docs/cluster.md needs. Run under mpirun; rank 0 prints.
//   mpirun -np 2 build/release/parbench_mpi_latency [iterations]

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

// Median and minimum over `iterations` timed calls, in microseconds, after a warm-up.
template <typename Call>
std::pair<double, double> time_calls(int iterations, Call call) {
  for (int i = 0; i < 100; ++i) call();
  std::vector<double> us(static_cast<std::size_t>(iterations));
  for (auto& t : us) {
    MPI_Barrier(MPI_COMM_WORLD);
    const auto start = std::chrono::steady_clock::now();
    call();
    t = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  }
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us.front()};
}

}  // namespace

int main(int argc, char** argv) {
  const auto init_start = std::chrono::steady_clock::now();
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  const double init_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - init_start).count();
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int iterations = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10000;

  std::uint64_t one = 1, sum = 0;
  const auto first_start = std::chrono::steady_clock::now();
  MPI_Allreduce(&one, &sum, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  const double first_us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - first_start).count();

  const auto reduce =
      time_calls(iterations, [&] { MPI_Reduce(&one, &sum, 1, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD); });
  const auto allreduce =
      time_calls(iterations, [&] { MPI_Allreduce(&one, &sum, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD); });
  if (rank == 0) {
    std::printf("ranks %d, %d iterations (rank 0's clock)\n", size, iterations);
    std::printf("MPI_Init_thread           %10.1f us\n", init_s * 1e6);
    std::printf("first MPI_Allreduce       %10.1f us\n", first_us);
    std::printf("MPI_Reduce    1 x uint64  %10.2f us median, %.2f us min\n", reduce.first, reduce.second);
    std::printf("MPI_Allreduce 1 x uint64  %10.2f us median, %.2f us min\n", allreduce.first, allreduce.second);
  }
  MPI_Finalize();
  return 0;
}
