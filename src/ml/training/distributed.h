// Data-parallel training across processes (and machines): torch.distributed's
// Gloo process group over a TCPStore rendezvous, the settings a cluster
// scheduler hands each task (rank, world size, master address and port).
//
// Every rank holds the whole dataset and the same initial weights (same
// seed). Each optimizer step's global batch — batch_size rows in the same
// seeded order as a single process would take them — is split into
// world_size contiguous shards; each rank runs forward and backward on its
// shard with the loss scaled by the global batch, and one all-reduce sums
// the gradients (plus the step's loss, accuracy and stop-request counts), so
// every rank takes the same optimizer step and the weights stay identical
// without being broadcast. Batch-norm statistics are averaged across ranks
// after each epoch. Dropout draws from a generator seeded per (seed, rank,
// step), so a resumed group continues exactly. Rank 0 checkpoints and writes
// the model; a stop request (SIGINT/SIGTERM on any rank) stops every rank at
// the same step. A rank that dies breaks the others' next collective (its
// connections close) or times out after `timeout_seconds`: the step fails
// instead of hanging.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"

namespace citadel::ml {

struct DistributedSpec {
  int rank = 0;
  int world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;           // rank 0 listens here; the others connect
  double timeout_seconds = 120;  // rendezvous and every collective
};

// A connected group. Publish/Fetch pass small strings through the store
// (rank 0 tells the others which run and checkpoint they work on).
class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual Status Publish(const std::string& key, const std::string& value) = 0;
  // Waits (up to the timeout) until some rank has published `key`.
  virtual Result<std::string> Fetch(const std::string& key) = 0;
};

// Rendezvous: rank 0 serves the store at master_addr:master_port; the call
// returns once all world_size ranks have joined. Unavailable (naming the
// address) when they do not within the timeout.
Result<std::unique_ptr<ProcessGroup>> ConnectProcessGroup(const DistributedSpec& spec);

}  // namespace citadel::ml
