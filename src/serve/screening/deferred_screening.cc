#include "serve/screening/deferred_screening.h"

#include <algorithm>
#include <numeric>

#include "base/logging.h"
#include "serve/prometheus_metrics.h"
#include "serve/served_model.h"

namespace citadel::serve {
namespace {

// One thread's rows awaiting their verdict, per model; owned by the drain
// queued for it (destroyed unrun when the event loop is, at shutdown).
struct Backlog {
  struct Rows {
    std::shared_ptr<ServedModel> model;
    std::vector<float> values;
    std::vector<int64_t> requests;  // rows per request, in order
  };
  std::vector<Rows> models;

  void Drain();
};

// The backlog whose drain is queued and has not run: rows join it.
thread_local std::weak_ptr<Backlog> t_open;

void Backlog::Drain() {
  if (t_open.lock().get() == this) t_open.reset();  // rows from here on open the next one
  for (Rows& m : models) {
    try {
      const ml::OodDetector& detector = *m.model->ood();
      const int64_t total = std::accumulate(m.requests.begin(), m.requests.end(), int64_t{0});
      const std::vector<double> scores = detector.ScoreRows(m.values, total);
      m.model->stats.screened_rows->Observe(static_cast<double>(total));
      size_t at = 0;
      for (const int64_t rows : m.requests) {
        CountFlags(*m.model, JudgeRows({scores.data() + at, static_cast<size_t>(rows)},
                                       detector.threshold())
                                 .flagged);
        at += static_cast<size_t>(rows);
      }
    } catch (const std::exception& e) {  // out of memory: these rows go uncounted
      log::Error("serve: screening {} answered requests of {} for rows out of distribution: {}",
                 m.requests.size(), m.model->Label(), e.what());
    }
  }
}

}  // namespace

RowVerdict JudgeRows(std::span<const double> scores, double threshold) {
  RowVerdict v;
  for (size_t r = 0; r < scores.size(); ++r) {
    if (scores[r] <= threshold) continue;
    if (v.first < 0) {
      v.first = static_cast<int64_t>(r);
      v.first_score = scores[r];
    }
    ++v.flagged;
  }
  return v;
}

void CountFlags(ServedModel& model, int64_t flagged) {
  if (flagged == 0) return;
  model.stats.ood_flags.fetch_add(1, std::memory_order_relaxed);
  model.stats.ood_rows->Increment(static_cast<double>(flagged));
}

void ScreenLater(const std::shared_ptr<ServedModel>& model, std::span<const float> values,
                 int64_t rows, const PostTask& post) {
  std::shared_ptr<Backlog> backlog = t_open.lock();
  if (backlog == nullptr) {
    backlog = std::make_shared<Backlog>();
    post([backlog] { backlog->Drain(); });
    t_open = backlog;
  }
  auto it = std::find_if(backlog->models.begin(), backlog->models.end(),
                         [&](const Backlog::Rows& m) { return m.model == model; });
  if (it == backlog->models.end()) {
    backlog->models.push_back({model, {}, {}});
    it = backlog->models.end() - 1;
  }
  // Both grow or neither does: the drain pairs each request with its rows.
  it->requests.push_back(rows);
  try {
    it->values.insert(it->values.end(), values.begin(), values.end());
  } catch (...) {
    it->requests.pop_back();
    throw;
  }
}

}  // namespace citadel::serve
