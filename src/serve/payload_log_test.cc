#include "serve/payload_log.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <thread>

#include "base/testing/scratch_dir.h"
#include "base/text/base64.h"
#include "base/text/json.h"
#include "serve/routing/deployment_spec.h"
#include "workload/artifact_access.h"

namespace citadel::serve {
namespace {

namespace fs = std::filesystem;

// Never flushes by itself: a test decides when, with Flush() or Stop().
PayloadLogOptions Manual() {
  PayloadLogOptions o;
  o.flush_seconds = 3600;
  return o;
}

PayloadRecord Exchange(std::string endpoint, std::string_view request, std::string_view response,
                       int64_t max_bytes = 64 * 1024) {
  PayloadRecord r;
  r.endpoint = std::move(endpoint);
  r.model = "digits";
  r.version = 3;
  r.artifact_id = "sha256:abc";
  r.request_id = "req-1";
  r.http_status = 200;
  r.latency_ms = 1.5;
  r.request = PayloadBody::Of(request, max_bytes);
  r.response = PayloadBody::Of(response, max_bytes);
  return r;
}

class PayloadLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ws = workload::Workspace::Init(root_);
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    ws_ = std::move(*ws);
  }
  std::unique_ptr<PayloadLog> OpenLog(PayloadLogOptions options = Manual()) {
    auto log = PayloadLog::Open(root_, options);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(*log) : nullptr;
  }
  std::vector<catalog::ArtifactRecord> Artifacts() {
    auto all = ws_->catalog().ListArtifacts("file");
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    return all.ok() ? *all : std::vector<catalog::ArtifactRecord>{};
  }
  // The parsed lines of a payloads artifact.
  std::vector<Json> Lines(const std::string& id) {
    std::vector<Json> lines;
    auto artifact = workload::LoadArtifact(*ws_, id);
    EXPECT_TRUE(artifact.ok()) << artifact.status().ToString();
    if (!artifact.ok()) return lines;
    auto text = workload::ReadArtifactFile(*ws_, *artifact, kPayloadsFile);
    EXPECT_TRUE(text.ok()) << text.status().ToString();
    if (!text.ok()) return lines;
    size_t start = 0;
    while (start < text->size()) {
      size_t nl = text->find('\n', start);
      EXPECT_NE(nl, std::string::npos) << "every line ends with a newline";
      if (nl == std::string::npos) break;
      auto line = ParseJson(std::string_view(*text).substr(start, nl - start), id);
      EXPECT_TRUE(line.ok()) << line.status().ToString();
      if (line.ok()) lines.push_back(*line);
      start = nl + 1;
    }
    return lines;
  }
  Json OnlyLine() {
    auto artifacts = Artifacts();
    EXPECT_EQ(artifacts.size(), 1u);
    if (artifacts.size() != 1) return Json();
    auto lines = Lines(artifacts[0].id);
    EXPECT_EQ(lines.size(), 1u);
    return lines.empty() ? Json() : lines[0];
  }

  citadel::testing::ScratchDir scratch_;
  fs::path root_ = scratch_ / "ws";
  std::unique_ptr<workload::Workspace> ws_;
};

TEST_F(PayloadLogTest, RateOneRecordsEveryExchangeIntoOneArtifactPerEndpoint) {
  auto log = OpenLog();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(PayloadLog::Sample(1.0));
    log->Record(Exchange("digits", fmt::format("{{\"i\": {}}}", i), "{\"label\": \"7\"}"));
  }
  log->Record(Exchange("iris", "{}", "{}"));
  log->Flush();
  EXPECT_EQ(log->counters().records_written, 6);
  EXPECT_EQ(log->counters().artifacts_written, 2);

  auto artifacts = Artifacts();
  ASSERT_EQ(artifacts.size(), 2u);
  const auto& digits = artifacts[0].name == "payloads/digits" ? artifacts[0] : artifacts[1];
  EXPECT_EQ(digits.name, "payloads/digits");
  EXPECT_EQ(digits.media_type, kPayloadsMediaType);
  EXPECT_EQ(digits.metadata["endpoint"], "digits");
  EXPECT_EQ(digits.metadata["records"], 5);
  EXPECT_EQ(digits.metadata["dropped"], 0);
  auto lines = Lines(digits.id);
  ASSERT_EQ(lines.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(lines[i]["request_body"], fmt::format("{{\"i\": {}}}", i)) << "arrival order";
    EXPECT_EQ(lines[i]["request_encoding"], "utf8");
    EXPECT_EQ(lines[i]["request_truncated"], false);
    EXPECT_EQ(lines[i]["response_body"], "{\"label\": \"7\"}");
    EXPECT_EQ(lines[i]["status"], 200);
    EXPECT_EQ(lines[i]["version"], 3);
    EXPECT_EQ(lines[i]["artifact"], "sha256:abc");
    EXPECT_FALSE(lines[i]["time"].get<std::string>().empty()) << "filled in when recorded";
  }
  EXPECT_EQ(digits.metadata["first_time"], lines[0]["time"]);
  EXPECT_EQ(digits.metadata["last_time"], lines[4]["time"]);
}

TEST_F(PayloadLogTest, RateZeroNeverSamplesAndWritesNothing) {
  auto log = OpenLog();
  int sampled = 0, half = 0;
  for (int i = 0; i < 10000; ++i) {
    if (PayloadLog::Sample(0)) ++sampled;
    if (PayloadLog::Sample(0.5)) ++half;
  }
  EXPECT_EQ(sampled, 0);
  EXPECT_NEAR(half, 5000, 300);  // 6 standard deviations
  log->Flush();
  EXPECT_TRUE(Artifacts().empty());
  EXPECT_EQ(log->counters().artifacts_written, 0);
}

TEST_F(PayloadLogTest, LargeBodyIsTruncatedAndFlagged) {
  auto log = OpenLog();
  log->Record(Exchange("digits", std::string(100000, 'x'), "ok", 1024));
  log->Flush();
  Json line = OnlyLine();
  EXPECT_EQ(line["request_body"].get<std::string>(), std::string(1024, 'x'));
  EXPECT_EQ(line["request_bytes"], 100000);
  EXPECT_EQ(line["request_truncated"], true);
  EXPECT_EQ(line["response_truncated"], false);
}

TEST_F(PayloadLogTest, TruncationNeverSplitsAUtf8Character) {
  // "é" is two bytes: a cut at an odd length would leave half of one.
  PayloadBody b = PayloadBody::Of("éééé", 5);
  EXPECT_EQ(b.bytes, "éé");
  EXPECT_EQ(b.size, 8);
  EXPECT_TRUE(b.truncated());
  EXPECT_EQ(PayloadBody::Of("abc", 0).bytes, "");
  EXPECT_FALSE(PayloadBody::Of("abc", 3).truncated());
}

TEST_F(PayloadLogTest, BinaryBodyIsStoredAsBase64AndLinesStayValidJson) {
  auto log = OpenLog();
  const std::string binary("{\"inputs\":[]}\x00\xff\xfe\x80\x01", 18);
  PayloadRecord r = Exchange("digits", binary, "ok");
  r.request_id = "\xc3\x28";  // a client-sent id that is not UTF-8 either
  log->Record(std::move(r));
  log->Flush();
  Json line = OnlyLine();
  EXPECT_EQ(line["request_encoding"], "base64");
  EXPECT_EQ(Base64Decode(line["request_body"].get<std::string>()), binary);
  EXPECT_EQ(line["response_encoding"], "utf8");
}

TEST_F(PayloadLogTest, FullBufferDropsAndCounts) {
  PayloadLogOptions o = Manual();
  o.max_buffered_records = 3;
  auto log = OpenLog(o);
  for (int i = 0; i < 5; ++i) log->Record(Exchange("digits", "{}", "{}"));
  EXPECT_EQ(log->counters().records_dropped, 2);
  log->Flush();
  EXPECT_EQ(log->counters().records_written, 3);
  auto artifacts = Artifacts();
  ASSERT_EQ(artifacts.size(), 1u);
  EXPECT_EQ(artifacts[0].metadata["dropped"], 2);
}

TEST_F(PayloadLogTest, BufferIsBoundedInBytesToo) {
  PayloadLogOptions o = Manual();
  o.max_buffered_bytes = 10000;
  auto log = OpenLog(o);
  for (int i = 0; i < 4; ++i) log->Record(Exchange("digits", std::string(4000, 'x'), ""));
  EXPECT_EQ(log->counters().records_dropped, 2);
}

TEST_F(PayloadLogTest, StopWritesWhatIsBufferedAndDropsLaterRecords) {
  auto log = OpenLog();
  log->Record(Exchange("digits", "a", "b"));
  log->Record(Exchange("digits", "c", "d"));
  log->Stop();
  EXPECT_EQ(log->counters().records_written, 2);
  EXPECT_EQ(Artifacts().size(), 1u);
  log->Record(Exchange("digits", "e", "f"));
  log->Flush();  // returns at once: nothing writes any more
  EXPECT_EQ(log->counters().records_dropped, 1);
  log.reset();  // a second Stop is harmless
}

TEST_F(PayloadLogTest, DestructorFlushes) {
  OpenLog()->Record(Exchange("digits", "a", "b"));
  EXPECT_EQ(Artifacts().size(), 1u);
}

TEST_F(PayloadLogTest, EachArtifactGetsAPayloadsEvent) {
  auto log = OpenLog();
  log->Record(Exchange("digits", "a", "b"));
  log->Flush();
  auto events = ws_->catalog().DeploymentEvents("digits");
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].kind, "payloads");
  EXPECT_EQ((*events)[0].detail["artifact"], Artifacts().at(0).id);
  EXPECT_EQ((*events)[0].detail["records"], 1);
  EXPECT_EQ((*events)[0].detail["dropped"], 0);
}

TEST_F(PayloadLogTest, FlushesAloneOnceABatchIsBufferedOrTheTimerFires) {
  PayloadLogOptions o = Manual();
  o.records_per_artifact = 2;
  auto by_count = OpenLog(o);
  by_count->Record(Exchange("digits", "a", "b"));
  by_count->Record(Exchange("digits", "c", "d"));
  o = PayloadLogOptions{};
  o.flush_seconds = 0.05;
  auto by_time = OpenLog(o);
  by_time->Record(Exchange("iris", "a", "b"));
  for (int i = 0; i < 500; ++i) {
    if (by_count->counters().records_written == 2 && by_time->counters().records_written == 1) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(by_count->counters().records_written, 2);
  EXPECT_EQ(by_time->counters().records_written, 1);
}

TEST_F(PayloadLogTest, ConcurrentRecordsAreAllWrittenInBoundedArtifacts) {
  PayloadLogOptions o = Manual();
  o.records_per_artifact = 100;
  auto log = OpenLog(o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 0; i < 250; ++i) log->Record(Exchange("digits", fmt::format("{}-{}", t, i), ""));
    });
  }
  for (auto& t : threads) t.join();
  log->Flush();
  EXPECT_EQ(log->counters().records_written, 1000);
  EXPECT_EQ(log->counters().records_dropped, 0);
  for (const auto& a : Artifacts()) EXPECT_LE(a.metadata["records"].get<int64_t>(), 100);
}

TEST_F(PayloadLogTest, FailedWriteIsCountedAndLoggingGoesOn) {
  auto log = OpenLog();
  // Blob writes go through blobs/tmp: a file in its place makes them fail.
  fs::remove_all(root_ / "blobs" / "tmp");
  scratch_.Write("ws/blobs/tmp", "in the way");
  log->Record(Exchange("digits", "a", "b"));
  log->Flush();
  EXPECT_EQ(log->counters().write_errors, 1);
  EXPECT_EQ(log->counters().records_dropped, 1);
  EXPECT_EQ(log->counters().records_written, 0);

  fs::remove(root_ / "blobs" / "tmp");
  fs::create_directory(root_ / "blobs" / "tmp");
  log->Record(Exchange("digits", "c", "d"));
  log->Flush();
  EXPECT_EQ(log->counters().records_written, 1);
}

TEST_F(PayloadLogTest, RefusesOptionsThatAreNotPositive) {
  PayloadLogOptions o;
  o.flush_seconds = 0;
  auto log = PayloadLog::Open(root_, o);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(PayloadLog::Open(scratch_ / "nowhere").ok()) << "not a workspace";
}

// ---- the deployment spec's `logging` settings

Json SpecWith(Json logging) {
  Json spec = {
      {"routes",
       {{{"model", "digits"}, {"version", 3}, {"artifact", "sha256:abc"}, {"role", "primary"}}}}};
  if (!logging.is_null()) spec["logging"] = std::move(logging);
  return spec;
}

TEST(DeploymentSpecLogging, IsOffByDefault) {
  auto spec = ParseDeploymentSpec(SpecWith(nullptr), "test");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->logging.sample_rate, 0);
  EXPECT_EQ(spec->logging.max_payload_bytes, 64 * 1024);
}

TEST(DeploymentSpecLogging, ParsesAndRoundTrips) {
  auto spec =
      ParseDeploymentSpec(SpecWith({{"sample_rate", 0.05}, {"max_payload_bytes", 4096}}), "test");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_DOUBLE_EQ(spec->logging.sample_rate, 0.05);
  EXPECT_EQ(spec->logging.max_payload_bytes, 4096);
  auto again = ParseDeploymentSpec(DeploymentSpecToJson(*spec), "stored");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_DOUBLE_EQ(again->logging.sample_rate, 0.05);
  EXPECT_EQ(again->logging.max_payload_bytes, 4096);
}

TEST(DeploymentSpecLogging, RejectsBadValuesNamingTheField) {
  struct Case {
    Json logging;
    std::string field;
  };
  const std::vector<Case> cases = {
      {{{"sample_rate", 1.5}}, "logging/sample_rate"},
      {{{"sample_rate", -0.1}}, "logging/sample_rate"},
      {{{"sample_rate", "often"}}, "logging/sample_rate"},
      {{{"max_payload_bytes", -1}}, "logging/max_payload_bytes"},
      {{{"max_payload_bytes", 1.5}}, "logging/max_payload_bytes"},
      {{{"sample_rte", 0.1}}, "sample_rte"},
      {"yes", "logging"},
  };
  for (const Case& c : cases) {
    auto spec = ParseDeploymentSpec(SpecWith(c.logging), "test");
    ASSERT_FALSE(spec.ok()) << c.logging.dump();
    EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(spec.status().message().find(c.field), std::string::npos)
        << c.logging.dump() << " → " << spec.status().ToString();
  }
}

}  // namespace
}  // namespace citadel::serve
