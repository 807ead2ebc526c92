#include "reports/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/assert.hpp"

namespace parbench::reports {
namespace detail {
namespace {

// Both samples at most this large and no ties: exact null distribution (counts stay below 2^53).
constexpr std::size_t exact_limit = 20;

// Number of arrangements giving U = 0..n1*n2: the coefficients of the Gaussian binomial
// [n1+n2 choose n1]_q = prod_{i=1..n1} (1 - q^(n2+i)) / (1 - q^i).
std::vector<double> u_counts(std::size_t n1, std::size_t n2) {
  const std::size_t top = n1 * n2;
  std::vector<double> c(top + 1, 0.0);
  c[0] = 1.0;
  for (std::size_t i = 1; i <= n1; ++i) {
    const std::size_t up = n2 + i;
    for (std::size_t k = top; k >= up; --k) {  // multiply by (1 - q^up)
      c[k] -= c[k - up];
      if (k == up) break;
    }
    for (std::size_t k = i; k <= top; ++k) c[k] += c[k - i];  // divide by (1 - q^i)
  }
  return c;
}

double normal_sf(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

double normal_quantile_upper(double tail) {
  // Inverse of normal_sf by bisection: accurate enough for choosing an interval rank.
  double lo = -10, hi = 10;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (normal_sf(mid) > tail ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

bool has_ties(std::span<const double> x, std::span<const double> y) {
  std::vector<double> all(x.begin(), x.end());
  all.insert(all.end(), y.begin(), y.end());
  std::sort(all.begin(), all.end());
  return std::adjacent_find(all.begin(), all.end()) != all.end();
}

}  // namespace
}  // namespace detail

double median(std::span<const double> v) {
  PARBENCH_ASSERT(!v.empty());
  std::vector<double> s(v.begin(), v.end());
  std::sort(s.begin(), s.end());
  const std::size_t n = s.size();
  return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

double mann_whitney_exact_cdf(std::size_t n1, std::size_t n2, double u) {
  if (u < 0) return 0.0;
  const auto counts = detail::u_counts(n1, n2);
  const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
  const auto last = std::min(counts.size() - 1, static_cast<std::size_t>(std::floor(u)));
  double below = 0;
  for (std::size_t k = 0; k <= last; ++k) below += counts[k];
  return std::min(1.0, below / total);
}

double mann_whitney_min_p(std::size_t n1, std::size_t n2) {
  // 2 / C(n1+n2, n1), computed in floating point to avoid overflow.
  double log_c = std::lgamma(static_cast<double>(n1 + n2 + 1)) - std::lgamma(static_cast<double>(n1 + 1)) -
                 std::lgamma(static_cast<double>(n2 + 1));
  return std::min(1.0, 2.0 * std::exp(-log_c));
}

mwu_result mann_whitney_u(std::span<const double> x, std::span<const double> y) {
  PARBENCH_ASSERT(!x.empty() && !y.empty());
  const std::size_t n1 = x.size(), n2 = y.size();
  double u = 0;
  for (double a : x)
    for (double b : y) u += a > b ? 1.0 : (a == b ? 0.5 : 0.0);
  const double u_other = static_cast<double>(n1 * n2) - u;
  const double u_big = std::max(u, u_other);

  mwu_result r;
  r.u = u;
  if (n1 <= detail::exact_limit && n2 <= detail::exact_limit && !detail::has_ties(x, y)) {
    r.method = mwu_method::exact;
    // P(U >= u_big) = P(U <= n1*n2 - u_big) by symmetry.
    r.p_value = std::min(1.0, 2.0 * mann_whitney_exact_cdf(n1, n2, static_cast<double>(n1 * n2) - u_big));
    return r;
  }
  r.method = mwu_method::normal;
  std::vector<double> all(x.begin(), x.end());
  all.insert(all.end(), y.begin(), y.end());
  std::sort(all.begin(), all.end());
  double tie_term = 0;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    while (j < all.size() && all[j] == all[i]) ++j;
    const auto t = static_cast<double>(j - i);
    tie_term += t * t * t - t;
    i = j;
  }
  const auto n = static_cast<double>(n1 + n2);
  const auto prod = static_cast<double>(n1 * n2);
  const double s = std::sqrt(prod / 12.0 * ((n + 1) - tie_term / (n * (n - 1))));
  if (!(s > 0)) {
    r.p_value = 1.0;
    return r;
  }
  const double z = (u_big - prod / 2.0 - 0.5) / s;
  r.p_value = std::clamp(2.0 * detail::normal_sf(z), 0.0, 1.0);
  return r;
}

std::vector<double> holm_adjust(std::span<const double> p) {
  const std::size_t m = p.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<double> adjusted(m);
  double running = 0;
  for (std::size_t rank = 0; rank < m; ++rank) {
    const std::size_t i = order[rank];
    running = std::max(running, std::min(1.0, static_cast<double>(m - rank) * p[i]));
    adjusted[i] = running;
  }
  return adjusted;
}

shift_estimate hodges_lehmann(std::span<const double> x, std::span<const double> y, double confidence) {
  PARBENCH_ASSERT(!x.empty() && !y.empty());
  // confidence 1 is reached from 1 - alpha for any alpha below 2^-53 (--alpha 1e-17): the
  // widest interval, as for samples too small for the confidence.
  PARBENCH_ASSERT(confidence > 0 && confidence <= 1);
  std::vector<double> d;
  d.reserve(x.size() * y.size());
  for (double a : x)
    for (double b : y) d.push_back(b - a);
  std::sort(d.begin(), d.end());
  const std::size_t total = d.size();

  shift_estimate e;
  e.estimate = median(d);
  const double tail = (1.0 - confidence) / 2.0;
  const std::size_t n1 = x.size(), n2 = y.size();
  // k: the largest rank with P(U <= k - 1) <= tail; the interval is [d_(k), d_(total + 1 - k)].
  std::size_t k = 0;
  double achieved_tail = 0;
  if (n1 <= detail::exact_limit && n2 <= detail::exact_limit) {
    const auto counts = detail::u_counts(n1, n2);
    const double all = std::accumulate(counts.begin(), counts.end(), 0.0);
    double cum = 0;
    for (std::size_t c = 0; c < counts.size(); ++c) {
      if ((cum + counts[c]) / all > tail) break;
      cum += counts[c];
      k = c + 1;
      achieved_tail = cum / all;
    }
  } else if (tail > 0) {
    const auto prod = static_cast<double>(n1 * n2);
    const double sd = std::sqrt(prod * static_cast<double>(n1 + n2 + 1) / 12.0);
    const double kk = std::floor(prod / 2.0 - detail::normal_quantile_upper(tail) * sd);
    if (kk >= 1) {
      k = static_cast<std::size_t>(kk);
      achieved_tail = tail;
    }
  }
  if (k == 0) {  // too few values for this confidence: widest interval the data allow
    e.low = d.front();
    e.high = d.back();
    e.confidence = 1.0 - mann_whitney_min_p(n1, n2);
    return e;
  }
  k = std::min(k, (total + 1) / 2);
  e.low = d[k - 1];
  e.high = d[total - k];
  e.confidence = 1.0 - 2.0 * achieved_tail;
  return e;
}

}  // namespace parbench::reports
