#include "serve/payload_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "base/logging.h"
#include "base/text/base64.h"
#include "base/text/json.h"
#include "base/text/utf8.h"
#include "base/time.h"
#include "store/artifact_files.h"
#include "workload/artifact_access.h"

namespace citadel::serve {
namespace {

// What a record costs in the buffer beyond its bodies (strings, map nodes):
// a rough figure, only so that empty bodies are not free.
constexpr int64_t kRecordOverheadBytes = 512;

void AddBody(Json& line, std::string_view prefix, const PayloadBody& body) {
  const std::string p(prefix);
  if (IsValidUtf8(body.bytes)) {
    line[p + "_body"] = body.bytes;
    line[p + "_encoding"] = "utf8";
  } else {
    line[p + "_body"] = Base64Encode(body.bytes);
    line[p + "_encoding"] = "base64";
  }
  line[p + "_bytes"] = body.size;
  line[p + "_truncated"] = body.truncated();
}

std::string Line(const PayloadRecord& r) {
  Json line = {{"endpoint", r.endpoint},
               {"model", r.model},
               {"version", r.version},
               {"artifact", r.artifact_id},
               {"request_id", r.request_id},
               {"status", r.http_status},
               {"time", r.time},
               {"latency_ms", r.latency_ms}};
  AddBody(line, "request", r.request);
  AddBody(line, "response", r.response);
  // CanonicalJson replaces invalid UTF-8 in the other strings (a client's
  // request id) instead of throwing.
  return CanonicalJson(line);
}

}  // namespace

PayloadBody PayloadBody::Of(std::string_view body, int64_t max_bytes) {
  PayloadBody b;
  b.size = static_cast<int64_t>(body.size());
  size_t cut = std::min(body.size(), static_cast<size_t>(std::max<int64_t>(max_bytes, 0)));
  // A continuation byte just past the cut means a character straddles it.
  for (int back = 0; back < 3 && cut > 0 && cut < body.size() &&
                     (static_cast<unsigned char>(body[cut]) & 0xC0) == 0x80;
       ++back) {
    --cut;
  }
  b.bytes.assign(body.substr(0, cut));
  return b;
}

Result<std::unique_ptr<PayloadLog>> PayloadLog::Open(const std::filesystem::path& workspace_root,
                                                     PayloadLogOptions options) {
  if (options.records_per_artifact < 1 || !(options.flush_seconds > 0) ||
      options.max_buffered_records < 1 || options.max_buffered_bytes < 1) {
    return InvalidArgumentError(
        "payload log: records_per_artifact, flush_seconds, max_buffered_records and "
        "max_buffered_bytes must be positive");
  }
  ASSIGN_OR_RETURN(auto ws, workload::Workspace::Open(workspace_root));
  return std::unique_ptr<PayloadLog>(new PayloadLog(options, std::move(ws)));
}

PayloadLog::PayloadLog(PayloadLogOptions options, std::unique_ptr<workload::Workspace> ws)
    : options_(options), ws_(std::move(ws)) {
  thread_ = std::thread([this] { Loop(); });
}

PayloadLog::~PayloadLog() { Stop(); }

bool PayloadLog::Sample(double rate) {
  if (!(rate > 0)) return false;  // NaN too
  if (rate >= 1) return true;
  thread_local std::mt19937_64 engine = [] {
    std::random_device rd;
    return std::mt19937_64((uint64_t{rd()} << 32) ^ rd());
  }();
  return static_cast<double>(engine() >> 11) * 0x1.0p-53 < rate;  // uniform in [0, 1)
}

void PayloadLog::Record(PayloadRecord record) {
  if (record.time.empty()) record.time = NowIso8601();
  const int64_t bytes =
      static_cast<int64_t>(record.request.bytes.size() + record.response.bytes.size()) +
      kRecordOverheadBytes;
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_ ||
        static_cast<int64_t>(pending_.records.size()) >= options_.max_buffered_records ||
        pending_bytes_ + bytes > options_.max_buffered_bytes) {
      ++records_dropped_;
      if (!stopping_) ++pending_.dropped[record.endpoint];
      return;
    }
    pending_.records.push_back(std::move(record));
    pending_bytes_ += bytes;
    wake = static_cast<int64_t>(pending_.records.size()) == options_.records_per_artifact;
  }
  if (wake) wake_.notify_one();
}

void PayloadLog::Flush() {
  std::unique_lock lock(mu_);
  if (stopping_) return;
  const int64_t generation = ++flush_requested_;
  wake_.notify_one();
  flushed_cv_.wait(lock, [&] { return flush_done_ >= generation || exited_; });
}

void PayloadLog::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

PayloadLogCounters PayloadLog::counters() const {
  return {records_written_.load(), records_dropped_.load(), artifacts_written_.load(),
          write_errors_.load()};
}

void PayloadLog::Loop() {
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(options_.flush_seconds));
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait_until(lock, std::chrono::steady_clock::now() + period, [&] {
      return stopping_ || flush_requested_ > flush_done_ ||
             static_cast<int64_t>(pending_.records.size()) >= options_.records_per_artifact;
    });
    const bool stop = stopping_;
    const int64_t generation = flush_requested_;
    Pending batch = std::move(pending_);
    pending_ = Pending{};
    pending_bytes_ = 0;
    // Written without the lock: requests keep appending meanwhile.
    lock.unlock();
    Write(std::move(batch));
    lock.lock();
    flush_done_ = generation;
    flushed_cv_.notify_all();
    // Record refuses everything once stopping_ is set, so this batch was
    // the last one.
    if (stop) break;
  }
  exited_ = true;
  flushed_cv_.notify_all();
}

void PayloadLog::Write(Pending pending) {
  auto& records = pending.records;
  // Stable: each endpoint's lines stay in arrival order.
  std::stable_sort(
      records.begin(), records.end(),
      [](const PayloadRecord& a, const PayloadRecord& b) { return a.endpoint < b.endpoint; });
  auto it = records.begin();
  while (it != records.end()) {
    auto end = std::find_if(it, records.end(),
                            [&](const PayloadRecord& r) { return r.endpoint != it->endpoint; });
    const std::string endpoint = it->endpoint;
    int64_t dropped = 0;
    if (auto d = pending.dropped.find(endpoint); d != pending.dropped.end()) {
      dropped = d->second;
      pending.dropped.erase(d);
    }
    // More than a batch piles up while a slow write runs: keep each
    // artifact to records_per_artifact lines all the same.
    while (it != end) {
      auto chunk_end = it + std::min<int64_t>(end - it, options_.records_per_artifact);
      WriteEndpoint(endpoint, it, chunk_end, dropped);
      dropped = 0;
      it = chunk_end;
    }
  }
  // Endpoints whose every record was dropped: the event still says so.
  for (const auto& [endpoint, dropped] : pending.dropped) {
    WriteEndpoint(endpoint, records.end(), records.end(), dropped);
  }
}

void PayloadLog::WriteEndpoint(const std::string& endpoint,
                               std::vector<PayloadRecord>::const_iterator begin,
                               std::vector<PayloadRecord>::const_iterator end, int64_t dropped) {
  const int64_t count = end - begin;
  bool stored = false;
  auto fail = [&](const Status& s) {
    ++write_errors_;
    if (!stored) records_dropped_ += count;
    log::Warning("serve: payload log of {}{}: {}", endpoint,
                 stored ? "" : fmt::format(" ({} records lost)", count), s.ToString());
  };
  Json detail = {{"records", count}, {"dropped", dropped}};
  try {
    if (count > 0) {
      std::string text;
      for (auto r = begin; r != end; ++r) {
        text += Line(*r);
        text += '\n';
      }
      auto manifest = store::StoreFiles(ws_->blobs(), {{std::string(kPayloadsFile), text}});
      if (!manifest.ok()) return fail(manifest.status());
      workload::NewArtifact info;
      // `report` promises docs/formats/report.md's JSON; `file` is the
      // kind for bytes of any other shape.
      info.kind = "file";
      info.name = "payloads/" + endpoint;
      info.media_type = kPayloadsMediaType;
      info.metadata = {{"endpoint", endpoint},
                       {"records", count},
                       {"first_time", begin->time},
                       {"last_time", (end - 1)->time},
                       {"dropped", dropped}};
      auto id = workload::RecordArtifact(*ws_, *manifest, info);
      if (!id.ok()) return fail(id.status());
      stored = true;
      records_written_ += count;
      ++artifacts_written_;
      detail["artifact"] = *id;
      detail["first_time"] = begin->time;
      detail["last_time"] = (end - 1)->time;
    }
    catalog::DeploymentEvent event;
    event.endpoint = endpoint;
    event.kind = "payloads";
    event.detail = std::move(detail);
    // The artifact is stored by now; a lost event only hides it from
    // `deploy events`, so it is counted but its records are not.
    if (Status s = ws_->catalog().AddDeploymentEvent(event); !s.ok()) fail(s);
  } catch (const std::exception& e) {
    // bad_alloc building a large batch: the server keeps serving.
    fail(InternalError(fmt::format("writing payloads: {}", e.what())));
  }
}

}  // namespace citadel::serve
