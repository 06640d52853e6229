#include "serve/prometheus_metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <unordered_map>

namespace citadel::serve {
namespace {

// Registration mistakes are bugs in the caller's code (see the class
// comment): stop loudly where the stack still shows the culprit.
[[noreturn]] void Misuse(const std::string& message) {
  std::fprintf(stderr, "citadel: metrics registry misuse: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

bool IsMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Label names may not contain ':' (metric names may), and "__" is reserved
// for Prometheus' own labels.
bool IsLabelName(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// The shortest text that reads back as the same double, in the spelling
// Prometheus parses (Go's ParseFloat): "+Inf", "-Inf", "NaN" for the
// specials, "1e+06"-style exponents otherwise.
void AppendValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
    out.append(buffer, result.ptr);
  }
}

void AppendUint(std::string& out, uint64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}

// HELP text escapes backslash and newline; label values also the quote.
void AppendEscaped(std::string& out, std::string_view text, bool escape_quote) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// CAS loop: std::atomic<double>::fetch_add is the same loop in libstdc++,
// spelled out so relaxed ordering is explicit.
void AtomicAdd(std::atomic<double>& target, double delta) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + delta, std::memory_order_relaxed)) {
  }
}

}  // namespace

void Counter::Increment(double by) {
  if (!(by >= 0)) return;  // also rejects NaN
  AtomicAdd(value_, by);
}

void Gauge::Add(double delta) { AtomicAdd(value_, delta); }

Histogram::Histogram(std::span<const double> upper_bounds)
    : upper_bounds_(upper_bounds.begin(), upper_bounds.end()) {
  if (!upper_bounds_.empty() && std::isinf(upper_bounds_.back()) && upper_bounds_.back() > 0) {
    upper_bounds_.pop_back();
  }
  counts_ = std::make_unique<std::atomic<uint64_t>[]>(upper_bounds_.size() + 1);
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  // First bound >= value: bucket `le` semantics; past the end is +Inf.
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
}

Histogram::Snapshot Histogram::Take() const {
  Snapshot snapshot;
  snapshot.upper_bounds = upper_bounds_;
  snapshot.counts.resize(upper_bounds_.size() + 1);
  for (size_t i = 0; i < snapshot.counts.size(); ++i) {
    snapshot.counts[i] = counts_[i].load(std::memory_order_relaxed);
    snapshot.count += snapshot.counts[i];
  }
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

double Histogram::Snapshot::Quantile(double q) const {
  if (std::isnan(q)) return std::numeric_limits<double>::quiet_NaN();
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  if (count == 0 || upper_bounds.empty() || counts.size() != upper_bounds.size() + 1) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  const double rank = q * static_cast<double>(count);
  // The first finite bucket whose cumulative count reaches the rank (and
  // holds something, which only matters for rank 0).
  uint64_t below = 0;  // cumulative count of the buckets before `b`
  for (size_t b = 0; b < upper_bounds.size(); ++b) {
    const uint64_t cumulative = below + counts[b];
    if (counts[b] > 0 && static_cast<double>(cumulative) >= rank) {
      if (b == 0 && upper_bounds[0] <= 0) return upper_bounds[0];
      const double start = b == 0 ? 0.0 : upper_bounds[b - 1];
      const double end = upper_bounds[b];
      const double fraction = (rank - static_cast<double>(below)) / static_cast<double>(counts[b]);
      return start + (end - start) * fraction;
    }
    below = cumulative;
  }
  // The rank lies in the +Inf bucket, which has no upper edge to
  // interpolate to: the largest finite bound is the best lower estimate.
  return upper_bounds.back();
}

Histogram::Snapshot Histogram::Snapshot::Minus(const Snapshot& earlier) const {
  if (earlier.upper_bounds != upper_bounds || earlier.counts.size() != counts.size()) {
    return *this;
  }
  Snapshot window;
  window.upper_bounds = upper_bounds;
  window.counts.resize(counts.size());
  for (size_t i = 0; i < counts.size(); ++i) {
    window.counts[i] = counts[i] >= earlier.counts[i] ? counts[i] - earlier.counts[i] : 0;
    window.count += window.counts[i];
  }
  window.sum = sum - earlier.sum;
  return window;
}

std::span<const double> LatencyBucketsSeconds() {
  static constexpr double kBounds[] = {50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3,
                                       5e-3,  10e-3,  20e-3,  50e-3,  0.1,  0.2,
                                       0.5,   1,      2,      5,      10};
  return kBounds;
}

struct MetricsRegistry::Series {
  std::string rendered_labels;  // `a="x",b="y"` (sorted, escaped), empty without labels
  Counter counter;
  Gauge gauge;
  std::unique_ptr<Histogram> histogram;
};

struct MetricsRegistry::Family {
  std::string help;
  Type type = Type::kCounter;
  std::vector<double> upper_bounds;                    // histograms only
  std::vector<std::unique_ptr<Series>> series;         // creation order
  std::unordered_map<std::string, Series*> by_labels;  // key: rendered_labels
};

MetricsRegistry::MetricsRegistry() = default;

std::string_view MetricsRegistry::TypeName(Type type) {
  switch (type) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Series& MetricsRegistry::FindOrCreate(std::string_view name, std::string_view help,
                                                       Type type, const Labels& labels,
                                                       std::span<const double> upper_bounds) {
  if (!IsMetricName(name)) {
    Misuse(fmt::format("metric name '{}' is not [a-zA-Z_:][a-zA-Z0-9_:]*", name));
  }
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < sorted.size(); ++i) {
    const std::string& label = sorted[i].first;
    if (!IsLabelName(label)) {
      Misuse(fmt::format("{}: label name '{}' is not [a-zA-Z_][a-zA-Z0-9_]* (or starts with __)",
                         name, label));
    }
    if (i > 0 && sorted[i - 1].first == label) {
      Misuse(fmt::format("{}: label '{}' given twice", name, label));
    }
    if (type == Type::kHistogram && label == "le") {
      Misuse(fmt::format("{}: 'le' is the histogram's bucket label", name));
    }
  }
  std::string key;
  for (const auto& [label, value] : sorted) {
    if (!key.empty()) key += ',';
    key += label;
    key += "=\"";
    AppendEscaped(key, value, /*escape_quote=*/true);
    key += '"';
  }

  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto family = std::make_unique<Family>();
    family->help = std::string(help);
    family->type = type;
    if (type == Type::kHistogram) {
      family->upper_bounds.assign(upper_bounds.begin(), upper_bounds.end());
      if (!family->upper_bounds.empty() && std::isinf(family->upper_bounds.back()) &&
          family->upper_bounds.back() > 0) {
        family->upper_bounds.pop_back();
      }
      for (size_t i = 0; i < family->upper_bounds.size(); ++i) {
        const double bound = family->upper_bounds[i];
        if (!std::isfinite(bound) || (i > 0 && !(family->upper_bounds[i - 1] < bound))) {
          Misuse(fmt::format("{}: bucket bounds must be finite and strictly increasing", name));
        }
      }
    }
    it = families_.emplace(std::string(name), std::move(family)).first;
  }
  Family& family = *it->second;
  if (family.type != type) {
    Misuse(
        fmt::format("{} is a {}, asked for as a {}", name, TypeName(family.type), TypeName(type)));
  }
  if (family.help != help) {
    Misuse(
        fmt::format("{} registered with help '{}', asked for with '{}'", name, family.help, help));
  }
  if (type == Type::kHistogram) {
    std::vector<double> bounds(upper_bounds.begin(), upper_bounds.end());
    if (!bounds.empty() && std::isinf(bounds.back()) && bounds.back() > 0) bounds.pop_back();
    if (bounds != family.upper_bounds) {
      Misuse(
          fmt::format("{}: a series asked for with other bucket bounds than its family's", name));
    }
  }
  if (auto found = family.by_labels.find(key); found != family.by_labels.end()) {
    return *found->second;
  }
  auto series = std::make_unique<Series>();
  series->rendered_labels = key;
  if (type == Type::kHistogram)
    series->histogram = std::make_unique<Histogram>(family.upper_bounds);
  Series& created = *series;
  family.by_labels.emplace(std::move(key), &created);
  family.series.push_back(std::move(series));
  return created;
}

Counter& MetricsRegistry::GetCounter(std::string_view name, std::string_view help,
                                     const Labels& labels) {
  return FindOrCreate(name, help, Type::kCounter, labels, {}).counter;
}

Gauge& MetricsRegistry::GetGauge(std::string_view name, std::string_view help,
                                 const Labels& labels) {
  return FindOrCreate(name, help, Type::kGauge, labels, {}).gauge;
}

Histogram& MetricsRegistry::GetHistogram(std::string_view name, std::string_view help,
                                         const Labels& labels,
                                         std::span<const double> upper_bounds) {
  return *FindOrCreate(name, help, Type::kHistogram, labels, upper_bounds).histogram;
}

std::string MetricsRegistry::Render() const {
  std::string out;
  out.reserve(4096);
  // `name{labels} ` with an optional extra label (the bucket's le).
  auto sample_prefix = [&out](std::string_view name, std::string_view suffix,
                              std::string_view labels, std::string_view le) {
    out += name;
    out += suffix;
    if (!labels.empty() || !le.empty()) {
      out += '{';
      out += labels;
      if (!le.empty()) {
        if (!labels.empty()) out += ',';
        out += "le=\"";
        out += le;
        out += '"';
      }
      out += '}';
    }
    out += ' ';
  };

  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, family] : families_) {
    out += "# HELP ";
    out += name;
    out += ' ';
    AppendEscaped(out, family->help, /*escape_quote=*/false);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += TypeName(family->type);
    out += '\n';
    for (const auto& series : family->series) {
      const std::string& labels = series->rendered_labels;
      switch (family->type) {
        case Type::kCounter:
          sample_prefix(name, "", labels, "");
          AppendValue(out, series->counter.Value());
          out += '\n';
          break;
        case Type::kGauge:
          sample_prefix(name, "", labels, "");
          AppendValue(out, series->gauge.Value());
          out += '\n';
          break;
        case Type::kHistogram: {
          const Histogram::Snapshot snapshot = series->histogram->Take();
          uint64_t cumulative = 0;
          std::string le;
          for (size_t i = 0; i < snapshot.counts.size(); ++i) {
            cumulative += snapshot.counts[i];
            le.clear();
            if (i < snapshot.upper_bounds.size()) {
              AppendValue(le, snapshot.upper_bounds[i]);
            } else {
              le = "+Inf";
            }
            sample_prefix(name, "_bucket", labels, le);
            AppendUint(out, cumulative);
            out += '\n';
          }
          sample_prefix(name, "_sum", labels, "");
          AppendValue(out, snapshot.sum);
          out += '\n';
          sample_prefix(name, "_count", labels, "");
          AppendUint(out, snapshot.count);
          out += '\n';
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace citadel::serve
