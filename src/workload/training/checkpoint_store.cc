#include "workload/training/checkpoint_store.h"

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "base/logging.h"
#include "base/time.h"
#include "store/artifact_files.h"

namespace citadel::workload {
namespace {

struct CheckpointRef {
  std::string run_id;
  std::string artifact_id;
  int64_t step = 0;
  int64_t epoch = 0;
};

// The checkpoints a run recorded, newest (highest step) first.
Result<std::vector<CheckpointRef>> RunCheckpoints(Workspace& ws, const std::string& run_id) {
  ASSIGN_OR_RETURN(auto outputs, ws.catalog().RunOutputs(run_id));
  std::vector<CheckpointRef> found;
  for (const catalog::RunEdge& edge : outputs) {
    if (edge.role != kCheckpointRole) continue;
    ASSIGN_OR_RETURN(catalog::ArtifactRecord record, ws.catalog().GetArtifact(edge.artifact_id));
    found.push_back({run_id, edge.artifact_id, record.metadata.value("step", int64_t{0}),
                     record.metadata.value("epoch", int64_t{0})});
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const CheckpointRef& a, const CheckpointRef& b) { return a.step > b.step; });
  return found;
}

// Fault injection for the kill-during-write tests: with
// CITADEL_TEST_KILL_IN_CHECKPOINT_WRITE=N the process writes half of its
// N-th checkpoint into the blob store's temp directory and then SIGKILLs
// itself, exactly as if it had been killed in the middle of the write.
void MaybeDieMidWrite(const store::BlobStore& blobs, int ordinal,
                      const ml::CheckpointSnapshot& snapshot) {
  const char* env = std::getenv("CITADEL_TEST_KILL_IN_CHECKPOINT_WRITE");
  if (env == nullptr || std::atoi(env) != ordinal) return;
  Result<std::string> serialized = snapshot.Serialize();
  if (!serialized.ok()) return;
  const std::string& bytes = *serialized;
  std::ofstream partial(blobs.root() / "tmp" / "blob-killed-mid-write", std::ios::binary);
  partial.write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  partial.flush();
  ::raise(SIGKILL);
}

}  // namespace

CheckpointWriter::~CheckpointWriter() {
  if (in_flight_.valid()) in_flight_.wait();
}

Status CheckpointWriter::Submit(std::unique_ptr<ml::CheckpointSnapshot> snapshot, bool final) {
  Stopwatch blocked;
  blocked_seconds_ += snapshot->snapshot_seconds();
  ++count_;
  Status previous = Flush();
  if (!previous.ok()) {
    blocked_seconds_ += blocked.ElapsedSeconds();
    return previous;
  }
  const store::BlobStore& blobs = ctx_.workspace().blobs();
  // The snapshot moves into the task: the training thread goes on at once.
  in_flight_ = std::async(
      std::launch::async,
      [&blobs, ordinal = ++submitted_,
       snap = std::shared_ptr<ml::CheckpointSnapshot>(std::move(snapshot))]() -> Result<Written> {
        Stopwatch clock;
        MaybeDieMidWrite(blobs, ordinal, *snap);
        Written w;
        ASSIGN_OR_RETURN(w.manifest,
                         store::StoreStreamedFile(blobs, kCheckpointFile,
                                                  [&](const store::BlobStore::ByteSink& sink) {
                                                    return snap->WriteTo(sink);
                                                  }));
        w.bytes = w.manifest.files().front().size;
        w.step = snap->step();
        w.epoch = snap->epoch();
        w.seconds = clock.ElapsedSeconds();
        return w;
      });
  blocked_seconds_ += blocked.ElapsedSeconds();
  return final ? Flush() : Status::Ok();
}

Status CheckpointWriter::Poll() {
  if (!in_flight_.valid() ||
      in_flight_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    return Status::Ok();
  }
  return Record(in_flight_.get());
}

Status CheckpointWriter::Flush() {
  if (!in_flight_.valid()) return Status::Ok();
  return Record(in_flight_.get());
}

Status CheckpointWriter::Record(Result<Written> written) {
  if (!written.ok()) return written.status().WithContext("writing a checkpoint");
  Json metadata = {{"step", written->step}, {"epoch", written->epoch}};
  ASSIGN_OR_RETURN(std::string id,
                   ctx_.RecordStoredOutput(std::string(kCheckpointRole), written->manifest,
                                           "checkpoint", kCheckpointMediaType, metadata));
  log::Info("  checkpoint at step {} ({} epochs done) → {} ({:.1f} MB in {:.2f} s)", written->step,
            written->epoch, id, static_cast<double>(written->bytes) / 1e6, written->seconds);
  last_ = Recorded{id, written->step, written->epoch};
  return Prune();
}

Status CheckpointWriter::Prune() {
  Workspace& ws = ctx_.workspace();
  ASSIGN_OR_RETURN(std::vector<CheckpointRef> all, RunCheckpoints(ws, ctx_.run_id()));
  for (size_t i = static_cast<size_t>(keep_); i < all.size(); ++i) {
    ASSIGN_OR_RETURN(auto orphans, ws.catalog().DeleteUnusedArtifact(all[i].artifact_id));
    if (!orphans) continue;                  // a run resumed from it: it stays, as lineage
    orphans->push_back(all[i].artifact_id);  // the manifest blob
    for (const std::string& blob : *orphans) {
      ASSIGN_OR_RETURN(crypto::Sha256Digest digest, crypto::Sha256Digest::FromHex(blob));
      RETURN_IF_ERROR(ws.blobs().Remove(digest));
    }
  }
  return Status::Ok();
}

Result<std::optional<ResumePoint>> FindResumePoint(Workspace& ws, const std::string& cache_key,
                                                   const std::optional<std::string>& only_run) {
  ASSIGN_OR_RETURN(std::vector<catalog::RunRecord> runs, ws.catalog().UnfinishedRuns(cache_key));
  std::vector<CheckpointRef> candidates;
  for (const catalog::RunRecord& run : runs) {
    if (only_run && run.id != *only_run) continue;
    ASSIGN_OR_RETURN(std::vector<CheckpointRef> found, RunCheckpoints(ws, run.id));
    candidates.insert(candidates.end(), found.begin(), found.end());
  }
  // Newest progress first; among equal steps the newer run (runs are
  // listed newest first and the sort is stable).
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const CheckpointRef& a, const CheckpointRef& b) { return a.step > b.step; });
  std::vector<std::string> skipped;
  for (const CheckpointRef& c : candidates) {
    Result<LoadedArtifact> artifact = LoadArtifact(ws, c.artifact_id);
    Result<MappedFile> bytes = artifact.ok() ? MapArtifactFile(ws, *artifact, kCheckpointFile)
                                             : Result<MappedFile>(artifact.status());
    if (!bytes.ok()) {
      log::Warning(
          "checkpoint {} (step {}, {} epochs done) of run {} is unusable: {}; trying an "
          "earlier one",
          c.artifact_id, c.step, c.epoch, c.run_id, bytes.status().ToString());
      skipped.push_back(c.artifact_id);
      continue;
    }
    if (!skipped.empty()) {
      log::Warning("falling back to checkpoint {} (step {}, {} epochs done) of run {}",
                   c.artifact_id, c.step, c.epoch, c.run_id);
    }
    return std::optional<ResumePoint>(
        ResumePoint{c.run_id, c.artifact_id, c.step, c.epoch, std::move(*bytes)});
  }
  if (!skipped.empty()) {
    log::Warning("no usable checkpoint left ({} corrupt); training starts from the beginning",
                 skipped.size());
  }
  return std::optional<ResumePoint>();
}

}  // namespace citadel::workload
