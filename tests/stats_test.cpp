// Reference values computed once with scipy 1.10.1 (Debian 12):
//   scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method="exact" | "asymptotic")
// and pinned here.

#include "reports/stats.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace parbench::reports {
namespace {

TEST(MannWhitney, ExactMatchesScipy) {
  const std::vector<double> x{1.1, 2.3, 3.5, 4.2, 5.9}, y{2.0, 6.1, 7.3, 8.4, 9.8, 10.2};
  const auto r = mann_whitney_u(x, y);
  EXPECT_EQ(r.method, mwu_method::exact);
  EXPECT_DOUBLE_EQ(r.u, 4.0);
  EXPECT_NEAR(r.p_value, 0.05194805194805195, 1e-14);
  // Symmetric in the sense of a two-sided test.
  EXPECT_NEAR(mann_whitney_u(y, x).p_value, r.p_value, 1e-14);
  EXPECT_DOUBLE_EQ(mann_whitney_u(y, x).u, 26.0);
}

TEST(MannWhitney, CompleteSeparationGivesTheSmallestPossibleP) {
  const std::vector<double> a3{1, 2, 3}, b3{4, 5, 6};
  EXPECT_NEAR(mann_whitney_u(a3, b3).p_value, 0.1, 1e-14);
  EXPECT_NEAR(mann_whitney_min_p(3, 3), 0.1, 1e-14);  // 3 per side can never reach 0.05
  const std::vector<double> a5{1, 2, 3, 4, 5}, b5{6, 7, 8, 9, 10};
  EXPECT_NEAR(mann_whitney_u(a5, b5).p_value, 0.007936507936507936, 1e-15);
  EXPECT_NEAR(mann_whitney_min_p(5, 5), 0.007936507936507936, 1e-15);
  EXPECT_DOUBLE_EQ(mann_whitney_min_p(1, 1), 1.0);
}

TEST(MannWhitney, ExactCdfMatchesScipy) {
  EXPECT_NEAR(mann_whitney_exact_cdf(5, 6, 7), 0.08874458874458874, 1e-14);
  EXPECT_NEAR(mann_whitney_exact_cdf(5, 6, 15), 0.5346320346320346, 1e-14);
  EXPECT_DOUBLE_EQ(mann_whitney_exact_cdf(5, 6, 30), 1.0);
  EXPECT_DOUBLE_EQ(mann_whitney_exact_cdf(5, 6, -1), 0.0);
}

TEST(MannWhitney, TiesUseTheNormalApproximationWithTieCorrection) {
  const std::vector<double> x{3.1, 4.0, 4.0, 5.2, 6.0, 6.0, 7.5}, y{4.0, 5.5, 6.0, 8.1, 9.0, 9.3, 10.0, 11.2};
  const auto r = mann_whitney_u(x, y);
  EXPECT_EQ(r.method, mwu_method::normal);
  EXPECT_DOUBLE_EQ(r.u, 10.0);
  EXPECT_NEAR(r.p_value, 0.041364842820111054, 1e-12);
}

TEST(MannWhitney, LargeSamplesUseTheNormalApproximation) {
  const std::vector<double> x{100.00369,  100.896237, 99.177586,  97.328224,  98.635988,  97.02506,   100.180431,
                              104.020646, 98.52338,   98.138575,  101.469526, 101.070661, 100.316243, 97.208596,
                              99.912245,  102.08591,  95.967356,  98.627153,  94.296332,  96.131387,  94.474795,
                              99.294727,  96.197661,  100.813793, 100.470253};
  const std::vector<double> y{102.439207, 95.449721,  101.383921, 102.854497, 103.339927, 98.409593,
                              101.56674,  100.064443, 100.573488, 106.182696, 100.577396, 102.902435,
                              105.65317,  101.249199, 102.664894, 103.331392, 103.191345, 99.324833,
                              103.228421, 107.07647,  98.358566,  105.578148, 103.358062, 101.075589,
                              109.00125,  105.286779, 99.402133,  103.223549, 104.730069, 102.433654};
  const auto r = mann_whitney_u(x, y);
  EXPECT_EQ(r.method, mwu_method::normal);
  EXPECT_DOUBLE_EQ(r.u, 120.0);
  EXPECT_NEAR(r.p_value, 1.693893136602701e-05, 1e-15);
}

TEST(MannWhitney, AllEqualIsNoEvidence) {
  const std::vector<double> x{2, 2, 2}, y{2, 2, 2, 2};
  EXPECT_DOUBLE_EQ(mann_whitney_u(x, y).p_value, 1.0);
}

TEST(Holm, StepDownAdjustment) {
  // Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 -> max(0.06, 0.04) = 0.06.
  const std::vector<double> p{0.01, 0.04, 0.03, 0.005};
  const auto a = holm_adjust(p);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_NEAR(a[0], 0.03, 1e-15);
  EXPECT_NEAR(a[1], 0.06, 1e-15);
  EXPECT_NEAR(a[2], 0.06, 1e-15);
  EXPECT_NEAR(a[3], 0.02, 1e-15);
}

TEST(Holm, CapsAtOneAndKeepsSingleValues) {
  const std::vector<double> one{0.3};
  EXPECT_DOUBLE_EQ(holm_adjust(one)[0], 0.3);
  const std::vector<double> big{0.5, 0.6};
  const auto a = holm_adjust(big);
  EXPECT_DOUBLE_EQ(a[0], 1.0);
  EXPECT_DOUBLE_EQ(a[1], 1.0);
  EXPECT_TRUE(holm_adjust(std::vector<double>{}).empty());
}

TEST(HodgesLehmann, EstimateAndMosesIntervalMatchABruteForceReference) {
  // Reference: the median and the k-th order statistics of the 30 differences y - x, with k from
  // scipy's exact null distribution of U (scipy.stats._mannwhitneyu._mwu_state.cdf).
  const std::vector<double> x{1.1, 2.3, 3.5, 4.2, 5.9}, y{2.0, 6.1, 7.3, 8.4, 9.8, 10.2};
  const auto e90 = hodges_lehmann(x, y, 0.90);
  EXPECT_NEAR(e90.estimate, 4.25, 1e-12);
  EXPECT_NEAR(e90.low, 0.9, 1e-12);
  EXPECT_NEAR(e90.high, 6.7, 1e-12);
  EXPECT_NEAR(e90.confidence, 0.9177489177489178, 1e-12);
  const auto e95 = hodges_lehmann(x, y, 0.95);
  EXPECT_NEAR(e95.low, -0.3, 1e-12);
  EXPECT_NEAR(e95.high, 7.5, 1e-12);
  EXPECT_NEAR(e95.confidence, 0.9696969696969697, 1e-12);
}

TEST(HodgesLehmann, TooFewValuesGiveTheFullRange) {
  const std::vector<double> x{1, 2}, y{5, 7};
  const auto e = hodges_lehmann(x, y, 0.95);
  EXPECT_DOUBLE_EQ(e.low, 3.0);
  EXPECT_DOUBLE_EQ(e.high, 6.0);
  EXPECT_DOUBLE_EQ(e.estimate, 4.5);
  EXPECT_LT(e.confidence, 0.95);
}

TEST(Median, OddAndEven) {
  EXPECT_DOUBLE_EQ(median(std::vector<double>{3, 1, 2}), 2.0);
  EXPECT_DOUBLE_EQ(median(std::vector<double>{4, 1, 2, 3}), 2.5);
}

}  // namespace
}  // namespace parbench::reports
