// The SVG plots and the report files of `scorch evaluate`.
#include "data_test_support.h"
#include "evaluation/report/evaluation_report.h"
#include "evaluation/report/svg_plot.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

namespace scorch::evaluation {
namespace {

using json = nlohmann::ordered_json;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

void expect_finite_svg(const std::string& svg) {
  EXPECT_EQ(svg.rfind("<svg", 0), 0u) << svg;
  EXPECT_TRUE(contains(svg, "</svg>")) << svg;
  EXPECT_FALSE(contains(svg, "nan")) << svg;
  EXPECT_FALSE(contains(svg, "inf")) << svg;
}

TEST(SvgPlot, DrawsEverySeriesWithEscapedTextsAndALegend) {
  const double nan = std::nan("");
  const std::string svg = render_line_plot({"FID <lower> & \"better\"", "training step", "distance to data",
                                            {{"run a", {0, 100, 200}, {30, 20, nan}},
                                             {"run b", {50}, {7}},
                                             {"run c", {1, 2}, {5, 5}}}});
  expect_finite_svg(svg);
  EXPECT_TRUE(contains(svg, "FID &lt;lower&gt; &amp; &quot;better&quot;")) << svg;
  EXPECT_FALSE(contains(svg, "<lower>"));
  EXPECT_TRUE(contains(svg, ">training step</text>"));
  EXPECT_TRUE(contains(svg, ">distance to data</text>"));
  EXPECT_EQ(count_of(svg, "<polyline"), 3);
  EXPECT_EQ(count_of(svg, "<circle"), 5);  // the NaN point is skipped
  for (const char* label : {">run a<", ">run b<", ">run c<"}) EXPECT_TRUE(contains(svg, label)) << label;
}

TEST(SvgPlot, DegenerateDataStillGivesAFinitePlot) {
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  const std::string single = render_line_plot({"one", "step", "fid", {{"lonely", {100}, {12.5}}}});
  expect_finite_svg(single);
  EXPECT_EQ(count_of(single, "<circle"), 1);
  EXPECT_FALSE(contains(single, "lonely"));  // no legend for a single series

  const std::string constant = render_line_plot({"flat", "step", "bpd", {{"", {1, 2, 3}, {3.4, 3.4, 3.4}}}});
  expect_finite_svg(constant);
  EXPECT_EQ(count_of(constant, "<circle"), 3);
  // The padded axis still has ticks around the value.
  EXPECT_GE(count_of(constant, "text-anchor=\"end\""), 2) << constant;

  const std::string broken = render_line_plot({"broken", "step", "y", {{"", {1, nan, inf, 4}, {nan, 2, 3, -inf}}}});
  expect_finite_svg(broken);
  EXPECT_EQ(count_of(broken, "<circle"), 0);
  expect_finite_svg(render_line_plot({"empty", "x", "y", {}}));
}

TEST(SvgPlot, TicksFallOnRoundNumbers) {
  const std::string svg = render_line_plot({"t", "step", "bpd", {{"", {0, 500, 1000}, {0.52, 0.4, 0.31}}}});
  expect_finite_svg(svg);
  // x spans 1000: steps of 200; y spans 0.21: steps of 0.05, printed exactly.
  for (const char* label : {">0</text>", ">200</text>", ">600</text>", ">1000</text>", ">0.35</text>", ">0.4</text>",
                            ">0.5</text>"}) {
    EXPECT_TRUE(contains(svg, label)) << label << "\n" << svg;
  }
  EXPECT_FALSE(contains(svg, ">100</text>"));
  EXPECT_FALSE(contains(svg, ">0.3</text>"));  // below the lowest value
  EXPECT_FALSE(contains(svg, "0000000"));      // no accumulated rounding error in labels
}

TEST(EvaluationReport, WritesSortedJsonATableThePlotsAndTheGrids) {
  const std::string directory = scorch::testing::temp_path("report");
  testing::remove_tree(directory);
  const json settings = {{"sampler", "ode"}, {"count", 64}, {"likelihood", {{"data", "test.h5"}, {"repeats", 2}}}};
  std::vector<json> records = {
      {{"checkpoint", "/r/checkpoints/checkpoint_300.h5"}, {"step", 300}, {"grid", "grids/checkpoint_300.png"},
       {"metrics", {{"fid", 10.5}, {"nll_bpd", 3.2}, {"nll_bpd_ci95", 0.01}}}},
      {{"checkpoint", "/r/checkpoints/checkpoint_100.h5"}, {"step", 100}, {"grid", "grids/checkpoint_100.png"},
       {"metrics",
        {{"fid", 30.25}, {"nll_bpd", 3.9}, {"nll_bpd_ci95", 0.02}, {"bound_bpd", 4.1}, {"bound_bpd_ci95", 0.03}}}},
      {{"checkpoint", "/r/checkpoints/checkpoint_200.h5"},
       {"step", 200},
       {"metrics", {{"fid", 20.0}, {"nll_bpd", 3.5}}}}};
  const ReportFiles files = write_evaluation_report(directory, settings, records);
  EXPECT_EQ(files.json, directory + "/report.json");
  EXPECT_EQ(files.markdown, directory + "/report.md");

  std::ifstream in(files.json);
  const json report = json::parse(in);
  EXPECT_EQ(report["settings"], settings);
  ASSERT_EQ(report["checkpoints"].size(), 3u);
  EXPECT_EQ(report["checkpoints"][0]["step"], 100);
  EXPECT_EQ(report["checkpoints"][1]["step"], 200);
  EXPECT_EQ(report["checkpoints"][2]["step"], 300);
  EXPECT_EQ(report["checkpoints"][0]["grid"], "grids/checkpoint_100.png");
  EXPECT_DOUBLE_EQ(report["checkpoints"][0]["metrics"]["bound_bpd"].get<double>(), 4.1);

  const std::string md = read_text(files.markdown);
  EXPECT_EQ(md.rfind("# scorch evaluation report\n", 0), 0u) << md;
  EXPECT_TRUE(contains(md, "- sampler: ode\n")) << md;
  EXPECT_TRUE(contains(md, "- likelihood: {\"data\":\"test.h5\",\"repeats\":2}\n")) << md;
  EXPECT_TRUE(contains(md, "| step | checkpoint | FID | NLL (bits/dim) | bound (bits/dim) |\n")) << md;
  EXPECT_FALSE(contains(md, "| IS")) << md;  // no record has IS, so no column
  const std::size_t row100 = md.find("| 100 | r/checkpoint_100.h5 | 30.25 | 3.900 ± 0.020 | 4.100 ± 0.030 |\n"),
                    row200 = md.find("| 200 | r/checkpoint_200.h5 | 20.00 | 3.500 | – |\n"),
                    row300 = md.find("| 300 | r/checkpoint_300.h5 | 10.50 | 3.200 ± 0.010 | – |\n");
  ASSERT_NE(row100, std::string::npos) << md;
  ASSERT_NE(row200, std::string::npos) << md;
  ASSERT_NE(row300, std::string::npos) << md;
  EXPECT_LT(row100, row200);
  EXPECT_LT(row200, row300);
  EXPECT_TRUE(contains(md, "![fid](plots/fid.svg)")) << md;
  EXPECT_TRUE(contains(md, "![bits_per_dim](plots/bits_per_dim.svg)")) << md;
  const std::size_t grid300 = md.find("![step 300](grids/checkpoint_300.png)");
  const std::size_t grid100 = md.find("![step 100](grids/checkpoint_100.png)");
  ASSERT_NE(grid300, std::string::npos) << md;
  ASSERT_NE(grid100, std::string::npos) << md;
  EXPECT_LT(md.find("## Samples"), grid300);
  EXPECT_LT(grid300, grid100);  // most recent first

  ASSERT_EQ(files.plots.size(), 2u);
  EXPECT_EQ(files.plots[0], directory + "/plots/fid.svg");
  EXPECT_EQ(files.plots[1], directory + "/plots/bits_per_dim.svg");
  for (const std::string& plot : files.plots) EXPECT_EQ(read_text(plot).rfind("<svg", 0), 0u) << plot;
  const std::string bits = read_text(directory + "/plots/bits_per_dim.svg");
  EXPECT_EQ(count_of(bits, "<polyline"), 2);
  EXPECT_TRUE(contains(bits, ">ODE NLL<"));
  EXPECT_TRUE(contains(bits, ">DSM bound<"));
  EXPECT_TRUE(contains(bits, ">training step<"));
  EXPECT_EQ(count_of(read_text(directory + "/plots/fid.svg"), "<circle"), 3);
  EXPECT_FALSE(std::filesystem::exists(directory + "/plots/nll_bpd.svg"));
  EXPECT_FALSE(std::filesystem::exists(directory + "/plots/is.svg"));
}

TEST(EvaluationReport, ASummaryRowGivesTheMeanAndStudentTIntervalOverCheckpoints) {
  const std::string directory = scorch::testing::temp_path("report_summary");
  testing::remove_tree(directory);
  std::vector<json> records;
  for (int seed = 1; seed <= 3; ++seed) {
    records.push_back({{"checkpoint", fmt::format("/x/seed-{}/checkpoints/final.h5", seed)},
                       {"step", 4000},
                       {"metrics", {{"prd_f1", 0.5 + 0.1 * seed}, {"majority_share", seed == 2 ? 0.9 : 0.8}}}});
  }
  const ReportFiles files = write_evaluation_report(directory, json::object(), records, {}, true);
  std::ifstream in(files.json);
  const json summary = json::parse(in)["summary"];
  // prd_f1: 0.6, 0.7, 0.8 → mean 0.7, sd 0.1, half-width t_{0.975, 2} · 0.1/√3 = 4.303 · 0.0577.
  EXPECT_NEAR(summary["prd_f1"]["mean"].get<double>(), 0.7, 1e-12);
  EXPECT_NEAR(summary["prd_f1"]["ci95"].get<double>(), 4.303 * 0.1 / std::sqrt(3.0), 1e-9);
  EXPECT_EQ(summary["prd_f1"]["n"], 3);
  const std::string md = read_text(files.markdown);
  EXPECT_TRUE(contains(md, "| 4000 | seed-2/final.h5 | 0.900 | 0.700 |\n")) << md;
  EXPECT_TRUE(contains(md, "| | **mean ± 95% CI over 3** | 0.833 ± 0.143 | 0.700 ± 0.248 |\n")) << md;
  // Without a summary, neither the row nor the JSON entry.
  const ReportFiles plain = write_evaluation_report(directory, json::object(), records);
  EXPECT_FALSE(contains(read_text(plain.markdown), "mean ± 95% CI"));
}

TEST(EvaluationReport, FormatsInceptionScoreAndNfeAndTreatsNanAsMissing) {
  const std::string directory = scorch::testing::temp_path("report_is") + "/nested";
  testing::remove_tree(directory);
  const double nan = std::nan("");
  std::vector<json> records = {
      {{"checkpoint", "/b/ckpt.h5"}, {"step", 5}, {"metrics", {{"fid", nan}, {"is", 8.1}, {"is_std", 0.1}}}},
      {{"checkpoint", "/a/ckpt.h5"},
       {"step", 5},
       {"metrics", {{"is", 7.456}, {"sample_nfe", 100.0}, {"nll_nfe", 120.54}}}}};
  const ReportFiles files = write_evaluation_report(directory, json::object(), records);

  std::ifstream in(files.json);
  const json report = json::parse(in);
  ASSERT_EQ(report["checkpoints"].size(), 2u);
  EXPECT_EQ(report["checkpoints"][0]["checkpoint"], "/a/ckpt.h5");  // equal steps: ordered by path

  const std::string md = read_text(files.markdown);
  EXPECT_TRUE(contains(md, "| step | checkpoint | IS | sampling NFE | NLL NFE |\n")) << md;
  EXPECT_TRUE(contains(md, "| 5 | ckpt.h5 | 7.46 | 100.0 | 120.5 |\n")) << md;
  EXPECT_TRUE(contains(md, "| 5 | ckpt.h5 | 8.10 ± 0.10 | – | – |\n")) << md;
  EXPECT_FALSE(contains(md, "FID")) << md;  // only a NaN FID: no column, no plot
  EXPECT_FALSE(contains(md, "nan")) << md;
  EXPECT_FALSE(contains(md, "## Samples")) << md;
  ASSERT_EQ(files.plots.size(), 1u);
  EXPECT_EQ(files.plots[0], directory + "/plots/is.svg");
  EXPECT_FALSE(std::filesystem::exists(directory + "/plots/fid.svg"));
}

TEST(EvaluationReport, PlotsTheRunsTrainingLossFromItsMetricsFile) {
  const std::string directory = scorch::testing::temp_path("report_loss");
  testing::remove_tree(directory);
  std::filesystem::create_directories(directory);
  const std::string metrics = directory + "/metrics.jsonl";
  std::ofstream(metrics) << R"({"step":25,"loss":1.5,"grad_norm":2})" "\n"
                         << R"({"step":50,"loss":null})" "\n"  // every step of the interval skipped
                         << "not json\n"
                         << R"({"step":75,"loss":0.75})" "\n";
  const PlotSeries loss = training_loss_of(metrics);
  EXPECT_EQ(loss.x, (std::vector<double>{25, 75}));
  EXPECT_EQ(loss.y, (std::vector<double>{1.5, 0.75}));
  EXPECT_TRUE(training_loss_of(directory + "/missing.jsonl").x.empty());

  const json record = {{"checkpoint", "c.h5"}, {"step", 75}, {"metrics", {{"fid", 3.0}}}};
  const ReportFiles files = write_evaluation_report(directory + "/report", json::object(), {record}, loss);
  ASSERT_EQ(files.plots.size(), 2u);
  EXPECT_TRUE(std::filesystem::exists(directory + "/report/plots/training_loss.svg"));
  std::ifstream markdown(files.markdown);
  const std::string text((std::istreambuf_iterator<char>(markdown)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("](plots/training_loss.svg)"), std::string::npos) << text;
  testing::remove_tree(directory);
}

}  // namespace
}  // namespace scorch::evaluation
