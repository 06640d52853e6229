#include "ml/torch/training/gloo_group.h"

#include <fmt/format.h>

#include "ml/torch/tensors.h"
#include "ml/torch/torch_runtime.h"

namespace citadel::ml::internal {
namespace {

bool IsLoopback(const std::string& addr) {
  return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

}  // namespace

Result<std::unique_ptr<GlooGroup>> GlooGroup::Connect(const DistributedSpec& spec) {
  if (spec.world_size < 1 || spec.rank < 0 || spec.rank >= spec.world_size) {
    return InvalidArgumentError(
        fmt::format("rank {} is not in a group of {} processes", spec.rank, spec.world_size));
  }
  if (spec.master_port <= 0 || spec.master_port > 65535) {
    return InvalidArgumentError(fmt::format("master port {} is not a TCP port", spec.master_port));
  }
  std::unique_ptr<GlooGroup> group(new GlooGroup(spec));
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(spec.timeout_seconds * 1000));
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<uint16_t>(spec.master_port);
    options.isServer = spec.rank == 0;
    options.numWorkers = static_cast<size_t>(spec.world_size);
    options.waitWorkers = true;
    options.timeout = timeout;
    group->store_ = c10::make_intrusive<c10d::TCPStore>(spec.master_addr, options);
    auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout);
    // On one machine the group talks over loopback; across machines over the
    // interface this host's name resolves to.
    gloo_options->devices.push_back(
        IsLoopback(spec.master_addr) ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                     : c10d::ProcessGroupGloo::createDefaultDevice());
    gloo_options->threads = 1;
    group->group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(group->store_, spec.rank,
                                                                spec.world_size, gloo_options);
  } catch (const std::exception& e) {
    return UnavailableError(fmt::format(
        "rank {} of {} could not join the training group at {}:{} within {:.0f} s: {}", spec.rank,
        spec.world_size, spec.master_addr, spec.master_port, spec.timeout_seconds, e.what()));
  }
  return group;
}

Status GlooGroup::Publish(const std::string& key, const std::string& value) {
  return CatchTorch("publishing to the training group", [&]() -> Status {
    store_->set(key, std::vector<uint8_t>(value.begin(), value.end()));
    return Status::Ok();
  });
}

Result<std::string> GlooGroup::Fetch(const std::string& key) {
  std::string out;
  Status s = CatchTorch(fmt::format("reading '{}' from the training group", key), [&]() -> Status {
    std::vector<uint8_t> bytes = store_->get(key);
    out.assign(bytes.begin(), bytes.end());
    return Status::Ok();
  });
  RETURN_IF_ERROR(s);
  return out;
}

void GlooGroup::AllReduceSum(torch::Tensor& tensor) {
  std::vector<torch::Tensor> tensors = {tensor};
  group_->allreduce(tensors)->wait();
}

Result<std::unique_ptr<ProcessGroup>> ConnectGlooGroup(const DistributedSpec& spec) {
  ASSIGN_OR_RETURN(std::unique_ptr<GlooGroup> group, GlooGroup::Connect(spec));
  return std::unique_ptr<ProcessGroup>(std::move(group));
}

}  // namespace citadel::ml::internal
