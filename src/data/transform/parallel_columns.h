// Per-column work of a transform, spread over the cores: in every fit and
// apply that handles its columns one by one, the columns are independent.
#pragma once

#include <functional>
#include <vector>

#include "base/status.h"
#include "base/system/thread_pool.h"

namespace citadel::data {

// Runs fn(i) for i in [0, n) on the shared pool and returns the error of the
// lowest i that failed — the one a sequential loop would have reported.
// `fn` must only touch state of column i (and read shared state).
inline Status ForEachColumn(size_t n, const std::function<Status(size_t)>& fn) {
  std::vector<Status> statuses(n);
  SharedPool().ParallelFor(n, [&](size_t i) { statuses[i] = fn(i); });
  for (Status& s : statuses) RETURN_IF_ERROR(std::move(s));
  return Status::Ok();
}

}  // namespace citadel::data
