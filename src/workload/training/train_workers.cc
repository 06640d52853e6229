#include "workload/training/train_workers.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "base/logging.h"
#include "base/system/interrupt.h"
#include "ml/training/trainer.h"
#include "workload/artifact_access.h"
#include "workload/training/checkpoint_store.h"

extern char** environ;

namespace citadel::workload {
namespace {

// The first of the variables that is set.
const char* FirstEnv(std::initializer_list<const char*> names, const char** which) {
  for (const char* name : names) {
    if (const char* v = std::getenv(name); v != nullptr && *v != '\0') {
      *which = name;
      return v;
    }
  }
  return nullptr;
}

Result<int> EnvInt(std::initializer_list<const char*> names, int min, int max, int fallback) {
  const char* which = nullptr;
  const char* text = FirstEnv(names, &which);
  if (text == nullptr) return fallback;
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < min || v > max) {
    return InvalidArgumentError(
        fmt::format("environment variable {}='{}' is not an integer in "
                    "[{}, {}]",
                    which, text, min, max));
  }
  return static_cast<int>(v);
}

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with code {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {}", WTERMSIG(status));
  return "ended abnormally";
}

}  // namespace

Result<std::optional<ml::DistributedSpec>> DistributedSpecFromEnvironment() {
  ASSIGN_OR_RETURN(int world, EnvInt({"CITADEL_WORLD_SIZE", "SLURM_NTASKS"}, 1, 65536, 1));
  if (world <= 1) return std::optional<ml::DistributedSpec>();
  ml::DistributedSpec spec;
  spec.world_size = world;
  ASSIGN_OR_RETURN(spec.rank, EnvInt({"CITADEL_RANK", "SLURM_PROCID"}, 0, world - 1, 0));
  const char* which = nullptr;
  const char* addr = FirstEnv({"CITADEL_MASTER_ADDR"}, &which);
  if (addr == nullptr) {
    return InvalidArgumentError(
        "CITADEL_WORLD_SIZE > 1 needs CITADEL_MASTER_ADDR (the host of rank 0) and "
        "CITADEL_MASTER_PORT");
  }
  spec.master_addr = addr;
  ASSIGN_OR_RETURN(spec.master_port, EnvInt({"CITADEL_MASTER_PORT"}, 1, 65535, 29500));
  return std::optional<ml::DistributedSpec>(spec);
}

Result<int> FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket", "127.0.0.1", errno);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoError("binding a port on", "127.0.0.1", err);
  }
  ::close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

Result<std::unique_ptr<LocalWorkers>> LocalWorkers::Spawn(const Workspace& ws,
                                                          const ml::DistributedSpec& spec) {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return InternalError("cannot find the citadel binary (/proc/self/exe): " + ec.message());
  auto workers = std::unique_ptr<LocalWorkers>(new LocalWorkers());
  // The child gets this environment minus any cluster settings (the
  // command line says who it is).
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    if (entry.rfind("CITADEL_WORLD_SIZE=", 0) == 0 || entry.rfind("CITADEL_RANK=", 0) == 0)
      continue;
    env.push_back(entry);
  }
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  for (int rank = 1; rank < spec.world_size; ++rank) {
    std::vector<std::string> args = {
        self.string(),      "--home",
        ws.root().string(), "worker",
        "--rank",           std::to_string(rank),
        "--world",          std::to_string(spec.world_size),
        "--master",         fmt::format("{}:{}", spec.master_addr, spec.master_port),
        "--timeout",        fmt::format("{}", spec.timeout_seconds)};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) return ErrnoError("fork", "citadel worker", errno);
    if (pid == 0) {
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    workers->workers_.push_back({rank, pid, std::nullopt});
  }
  return workers;
}

LocalWorkers::~LocalWorkers() { Stop(); }

void LocalWorkers::Reap(bool block) {
  for (Worker& w : workers_) {
    if (w.status) continue;
    int status = 0;
    if (::waitpid(w.pid, &status, block ? 0 : WNOHANG) == w.pid) w.status = status;
  }
}

std::string LocalWorkers::Failures() {
  Reap(false);
  std::string out;
  for (const Worker& w : workers_) {
    if (!w.status || (WIFEXITED(*w.status) && WEXITSTATUS(*w.status) == 0)) continue;
    out += fmt::format("{}worker rank {} (pid {}) {}", out.empty() ? "" : "; ", w.rank, w.pid,
                       DescribeExit(*w.status));
  }
  return out;
}

std::string LocalWorkers::FailuresWithin(double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    Reap(false);
    bool ended = false;
    for (const Worker& w : workers_) ended |= w.status.has_value();
    if (ended || std::chrono::steady_clock::now() > deadline) return Failures();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Status LocalWorkers::Wait(double timeout_seconds) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  for (;;) {
    Reap(false);
    bool alive = false;
    for (const Worker& w : workers_) alive |= !w.status.has_value();
    if (!alive) break;
    if (std::chrono::steady_clock::now() > deadline) {
      Stop();
      return UnavailableError(fmt::format(
          "training workers did not exit within {:.0f} s of the end of training; stopped them",
          timeout_seconds));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string failures = Failures();
  if (!failures.empty()) return UnavailableError(failures);
  return Status::Ok();
}

void LocalWorkers::Stop() {
  Reap(false);
  for (const Worker& w : workers_) {
    if (!w.status) ::kill(w.pid, SIGTERM);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    Reap(false);
    bool alive = false;
    for (const Worker& w : workers_) alive |= !w.status.has_value();
    if (!alive) return;
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (const Worker& w : workers_) {
    if (!w.status) ::kill(w.pid, SIGKILL);
  }
  Reap(true);
}

Status RunTrainWorker(Workspace& ws, const ml::DistributedSpec& spec) {
  ASSIGN_OR_RETURN(std::unique_ptr<ml::ProcessGroup> group, ml::ConnectProcessGroup(spec));
  ASSIGN_OR_RETURN(std::string run_id, group->Fetch(std::string(kGroupRunKey)));
  ASSIGN_OR_RETURN(std::string resume_id, group->Fetch(std::string(kGroupResumeKey)));
  ASSIGN_OR_RETURN(catalog::RunRecord run, ws.catalog().GetRun(run_id));
  log::Info("worker rank {} of {}: training run {} ({}/{})", spec.rank, spec.world_size, run_id,
            run.pipeline, run.step);
  YamlDocument doc{fmt::format("run {} spec", run_id), run.spec, {}};
  SpecReader reader(doc, "");
  ASSIGN_OR_RETURN(ml::TrainSpec train_spec, ml::ParseTrainSpec(reader, {"dataset", "checkpoint"}));

  std::optional<ml::DatasetView> train, validation;
  ASSIGN_OR_RETURN(auto inputs, ws.catalog().RunInputs(run_id));
  for (const catalog::RunEdge& edge : inputs) {
    if (edge.role == kModuleRole && train_spec.model.arch == "torchscript") {
      ASSIGN_OR_RETURN(LoadedArtifact artifact, LoadArtifact(ws, edge.artifact_id));
      ASSIGN_OR_RETURN(train_spec.model.module.bytes, ReadSingleFile(ws, artifact));
      continue;
    }
    if (edge.role != "train" && edge.role != "validation") continue;
    ASSIGN_OR_RETURN(LoadedArtifact artifact, LoadArtifact(ws, edge.artifact_id));
    ASSIGN_OR_RETURN(ml::DatasetView view, LoadDatasetView(ws, artifact));
    (edge.role == "train" ? train : validation) = std::move(view);
  }
  if (!train) return NotFoundError(fmt::format("run {} has no train input", run_id));

  MappedFile resume_file;
  if (!resume_id.empty()) {
    ASSIGN_OR_RETURN(LoadedArtifact checkpoint, LoadArtifact(ws, resume_id));
    ASSIGN_OR_RETURN(resume_file, MapArtifactFile(ws, checkpoint, kCheckpointFile));
  }
  InterruptScope interrupt_scope;
  ml::TrainHooks hooks;
  hooks.group = group.get();
  hooks.interrupt = &InterruptScope::signal();
  hooks.resume_from = resume_file.bytes();
  Result<ml::ModelFiles> model =
      ml::Train(train_spec, *train, validation ? &*validation : nullptr, hooks);
  if (!model.ok() && model.status().code() != StatusCode::kCancelled) {
    return model.status().WithContext(fmt::format("worker rank {}", spec.rank));
  }
  return Status::Ok();
}

}  // namespace citadel::workload
