// ProcessGroup (training/distributed.h) on torch.distributed: a TCPStore for
// the rendezvous and ProcessGroupGloo for the collectives.
#pragma once

#include <memory>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "ml/torch/pch.h"
#include "ml/training/distributed.h"

namespace citadel::ml::internal {

class GlooGroup final : public ProcessGroup {
 public:
  static Result<std::unique_ptr<GlooGroup>> Connect(const DistributedSpec& spec);

  int rank() const override { return spec_.rank; }
  int world_size() const override { return spec_.world_size; }
  Status Publish(const std::string& key, const std::string& value) override;
  Result<std::string> Fetch(const std::string& key) override;

  // Sums a contiguous CPU tensor across ranks, in place. Throws c10::Error
  // when a peer is gone or the timeout passes (CatchTorch turns it into a
  // Status naming the rank).
  void AllReduceSum(torch::Tensor& tensor);

 private:
  explicit GlooGroup(DistributedSpec spec) : spec_(std::move(spec)) {}

  DistributedSpec spec_;
  c10::intrusive_ptr<c10d::TCPStore> store_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
};

}  // namespace citadel::ml::internal
