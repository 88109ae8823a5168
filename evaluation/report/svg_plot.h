#pragma once
// Dependency-free SVG line plots for evaluation reports: metric against
// training step, readable in any browser and in Markdown viewers.
#include <string>
#include <vector>

namespace scorch::evaluation {

struct PlotSeries {
  std::string label;
  std::vector<double> x, y;  // points (x[i], y[i]); extra entries of the longer one are ignored
};

struct PlotSpec {
  std::string title, x_label, y_label;
  std::vector<PlotSeries> series;
};

// A 640×400 plot: lines with markers, about five ticks per axis at 1/2/5·10^k
// spacing, a title, axis labels and, for several series, a legend. Non-finite
// points are skipped; a single point, a constant series or no points at all get
// a padded range, so the result never contains "nan" or "inf". Texts are
// XML-escaped. Returns the SVG document.
std::string render_line_plot(const PlotSpec& spec);
// render_line_plot written atomically to `path`, whose directory must exist.
void write_line_plot(const std::string& path, const PlotSpec& spec);

}  // namespace scorch::evaluation
