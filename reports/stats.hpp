#pragma once
// Distribution-free statistics for the regression gate: the Mann-Whitney U test, Holm's
// step-down correction and the Hodges-Lehmann shift with its Moses confidence interval.

#include <cstddef>
#include <span>
#include <vector>

namespace parbench::reports {

/// How a Mann-Whitney p-value was computed.
enum class mwu_method { exact, normal };

/// Result of a two-sided Mann-Whitney U test of sample x against sample y.
struct mwu_result {
  double u = 0;        ///< U statistic of x: pairs (x_i, y_j) with x_i > y_j, ties counting 1/2
  double p_value = 1;  ///< two-sided p-value, in (0, 1]
  mwu_method method = mwu_method::exact;
};

/// Two-sided Mann-Whitney U test. Exact null distribution when there are no ties and both samples
/// have at most 20 values; otherwise the normal approximation with tie correction and continuity
/// correction (the same values as scipy.stats.mannwhitneyu with method "exact" / "asymptotic").
/// Both samples must be non-empty.
[[nodiscard]] mwu_result mann_whitney_u(std::span<const double> x, std::span<const double> y);

/// P(U <= u) under the null hypothesis for sample sizes n1, n2 with no ties (exact).
[[nodiscard]] double mann_whitney_exact_cdf(std::size_t n1, std::size_t n2, double u);

/// The smallest two-sided p-value any data can give with sizes n1 and n2 (exact test, no ties):
/// 2 / C(n1 + n2, n1), at most 1. With 3 per side it is 0.1, so p < 0.05 is impossible.
[[nodiscard]] double mann_whitney_min_p(std::size_t n1, std::size_t n2);

/// Holm's step-down adjusted p-values, in the order of `p` (controls the family-wise error rate).
[[nodiscard]] std::vector<double> holm_adjust(std::span<const double> p);

/// A location shift y - x with a confidence interval.
struct shift_estimate {
  double estimate = 0;    ///< Hodges-Lehmann: the median of all differences y_j - x_i
  double low = 0;         ///< lower confidence bound
  double high = 0;        ///< upper confidence bound
  double confidence = 0;  ///< achieved coverage, >= the requested one (or the largest possible)
};

/// Hodges-Lehmann estimate of the shift y - x and the distribution-free (Moses) confidence
/// interval: the k-th smallest and k-th largest of the n1*n2 pairwise differences, with k from
/// the exact null distribution of U, so the interval is the set of shifts the two-sided
/// Mann-Whitney test at level 1 - confidence would not reject. When the samples are too small
/// for the requested confidence (or it is 1), the interval is the full range of differences.
[[nodiscard]] shift_estimate hodges_lehmann(std::span<const double> x, std::span<const double> y, double confidence);

/// Median of a non-empty sample.
[[nodiscard]] double median(std::span<const double> v);

}  // namespace parbench::reports
