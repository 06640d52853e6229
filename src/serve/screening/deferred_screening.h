// Out-of-distribution verdicts that only count. Where an endpoint does not
// refuse rows unlike the training data (`ood: { reject: false }`, the
// default), the detector's verdict changes nothing a client sees: it feeds
// the flag counters that metrics and the rollout policy read. Such rows are
// screened after their answers are sent, together with the other such
// rows their HTTP thread answered meanwhile.
//
// Why: the detector's cost per row falls with the rows scored in one call
// (it reads its factor once per block: at 784 features about 32 µs for a
// row alone, 11 µs a row for 4, 8 µs for 16; docs/benchmarks.md,
// thirteenth session). Screened before the queue, a row is scored with the
// 1–4 others its thread read in the same pass; screened after, with the
// rest of its thread's share of a batch. Endpoints that refuse keep
// screening before the queue, so a refused request takes no queue space
// and no forward pass.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace citadel::serve {

struct ServedModel;

// One request's rows judged against the detector's threshold.
struct RowVerdict {
  int64_t flagged = 0;  // rows scoring above it
  int64_t first = -1;   // the first of them (-1: none)
  double first_score = 0;
};
RowVerdict JudgeRows(std::span<const double> scores, double threshold);

// Counts a request with `flagged` rows out of distribution on its model:
// the rollout policy judges the rate of flagged requests, /metrics counts
// rows. Nothing is counted for 0.
void CountFlags(ServedModel& model, int64_t flagged);

// Queues one request's rows of `model` (rows × the detector's dims values,
// copied) for their verdict on the calling thread, the one that answered
// the request. The first rows queued after a drain queue the next drain
// through `post`, which must run it on this same thread (the connection's
// event loop) after what is already queued there: by then the answers of
// the batch that brought the rows have been handled, and their rows join
// it. Throws when out of memory, with nothing queued.
using PostTask = std::function<void(std::function<void()>)>;
void ScreenLater(const std::shared_ptr<ServedModel>& model, std::span<const float> values,
                 int64_t rows, const PostTask& post);

}  // namespace citadel::serve
