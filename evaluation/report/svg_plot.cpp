#include "evaluation/report/svg_plot.h"

#include "common/durable_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace scorch::evaluation {
namespace {

constexpr double width = 640, height = 400, margin_left = 70, margin_right = 20, margin_top = 40, margin_bottom = 55;
constexpr double plot_width = width - margin_left - margin_right, plot_height = height - margin_top - margin_bottom;
constexpr const char* palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

std::string escaped(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Beyond ±1e300 the span of an axis could overflow to infinity and turn every
// coordinate into "nan", so such points are dropped like non-finite ones.
bool plottable(double v) { return std::isfinite(v) && std::abs(v) < 1e300; }
bool plottable(const PlotSeries& series, std::size_t i) { return plottable(series.x[i]) && plottable(series.y[i]); }
std::size_t point_count(const PlotSeries& series) { return std::min(series.x.size(), series.y.size()); }

struct Range {
  double low = std::numeric_limits<double>::infinity(), high = -std::numeric_limits<double>::infinity();

  void include(double v) {
    low = std::min(low, v);
    high = std::max(high, v);
  }
  // An empty range or a (near-)constant one would divide by zero when mapping
  // to pixels; widening it keeps a lone point in the middle of the axis.
  void pad() {
    if (low > high) low = 0, high = 1;
    if (high - low <= 1e-12 * std::max(1.0, std::max(std::abs(low), std::abs(high)))) {
      const double margin = 0.1 * std::max(1.0, std::abs(high));
      low -= margin;
      high += margin;
    }
  }
  double fraction(double v) const { return (v - low) / (high - low); }
};

// Spacing of 1, 2 or 5 × 10^k giving at most about five intervals.
double tick_step(const Range& range) {
  const double raw = (range.high - range.low) / 5.0;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double factor : {1.0, 2.0, 5.0}) {
    if (factor * magnitude >= raw) return factor * magnitude;
  }
  return 10.0 * magnitude;
}

// Multiples k·step computed from k rather than by accumulation, so labels are
// exact ("0.3", not "0.30000000000000004") and zero is never "-0" or "1e-17".
std::vector<double> ticks(const Range& range) {
  const double step = tick_step(range);
  std::vector<double> values;
  for (double k = std::ceil(range.low / step); k * step <= range.high + 1e-9 * step; k += 1.0) {
    values.push_back(k == 0.0 ? 0.0 : k * step);
  }
  return values;
}

struct Frame {
  Range xs, ys;
  double x(double v) const { return margin_left + xs.fraction(v) * plot_width; }
  double y(double v) const { return margin_top + (1.0 - ys.fraction(v)) * plot_height; }
};

Frame frame_of(const PlotSpec& spec) {
  Frame frame;
  for (const PlotSeries& series : spec.series) {
    for (std::size_t i = 0; i < point_count(series); ++i) {
      if (!plottable(series, i)) continue;
      frame.xs.include(series.x[i]);
      frame.ys.include(series.y[i]);
    }
  }
  frame.xs.pad();
  frame.ys.pad();
  return frame;
}

std::string axes(const PlotSpec& spec, const Frame& frame) {
  std::string svg = fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n",
                                margin_left, margin_top, plot_width, plot_height);
  for (const double x : ticks(frame.xs)) {
    svg += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#ddd\"/>"
                       "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4:g}</text>\n",
                       frame.x(x), margin_top, margin_top + plot_height, margin_top + plot_height + 16, x);
  }
  for (const double y : ticks(frame.ys)) {
    svg += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>"
                       "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5:g}</text>\n",
                       margin_left, margin_left + plot_width, frame.y(y), margin_left - 6, frame.y(y) + 4, y);
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", margin_left + plot_width / 2,
                     height - 12, escaped(spec.x_label));
  svg += fmt::format("<text x=\"16\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {0})\">{1}</text>\n",
                     margin_top + plot_height / 2, escaped(spec.y_label));
  return svg;
}

std::string line(const PlotSeries& series, const Frame& frame, const char* colour) {
  std::string points, markers;
  for (std::size_t i = 0; i < point_count(series); ++i) {
    if (!plottable(series, i)) continue;
    const double x = frame.x(series.x[i]), y = frame.y(series.y[i]);
    points += fmt::format("{}{:.1f},{:.1f}", points.empty() ? "" : " ", x, y);
    markers += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>", x, y, colour);
  }
  return fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>{}\n", colour, points,
                     markers);
}

// Top right inside the frame, one row per series.
std::string legend_entry(const PlotSeries& series, std::size_t index, const char* colour) {
  const double x = margin_left + plot_width - 150, y = margin_top + 14 + 16 * static_cast<double>(index);
  return fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"2\"/>"
                     "<text x=\"{4}\" y=\"{5}\">{6}</text>\n",
                     x, x + 20, y, colour, x + 25, y + 4, escaped(series.label));
}

}  // namespace

std::string render_line_plot(const PlotSpec& spec) {
  const Frame frame = frame_of(spec);
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      width, height);
  svg += fmt::format("<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{}</text>\n", width / 2,
                     escaped(spec.title));
  svg += axes(spec, frame);
  constexpr std::size_t colours = sizeof palette / sizeof *palette;
  for (std::size_t s = 0; s < spec.series.size(); ++s) {
    svg += line(spec.series[s], frame, palette[s % colours]);
    if (spec.series.size() > 1) svg += legend_entry(spec.series[s], s, palette[s % colours]);
  }
  return svg + "</svg>\n";
}

void write_line_plot(const std::string& path, const PlotSpec& spec) {
  write_text_file_atomically(path, render_line_plot(spec));
}

}  // namespace scorch::evaluation
