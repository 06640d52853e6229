#include "workload/run_recorder.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/ids.h"
#include "base/system/files.h"
#include "base/system/host_info.h"
#include "base/testing/scratch_dir.h"
#include "workload/pipeline/pipeline_runner.h"

namespace citadel::workload {
namespace {

class RunRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ws = Workspace::Init(scratch_ / "ws");
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    ws_ = std::move(*ws);
  }
  catalog::RunRecord Template() {
    catalog::RunRecord r;
    r.pipeline = "p";
    r.step = "s";
    r.kind = "train";
    r.cache_key = "k";
    return r;
  }
  citadel::testing::ScratchDir scratch_;
  std::unique_ptr<Workspace> ws_;
};

TEST_F(RunRecorderTest, SucceededRunHasMetricsAndLog) {
  std::string id;
  {
    auto rec = RunRecorder::Start(*ws_, Template());
    ASSERT_TRUE(rec.ok()) << rec.status().ToString();
    id = (*rec)->run_id();
    EXPECT_EQ(ws_->catalog().GetRun(id)->status, catalog::RunStatus::kRunning);
    log::Info("hello from the run");
    for (int i = 0; i < 600; ++i) ASSERT_TRUE((*rec)->AddMetric("loss", i, 1.0 / (i + 1)).ok());
    ASSERT_TRUE((*rec)->Finish(catalog::RunStatus::kSucceeded, "").ok());
  }
  auto run = ws_->catalog().GetRun(id);
  EXPECT_EQ(run->status, catalog::RunStatus::kSucceeded);
  EXPECT_TRUE(run->finished_at.has_value());
  EXPECT_EQ(ws_->catalog().Metrics(id)->size(), 600u);
  auto log_text = ReadFile(ws_->RunDir(id) / "log.txt");
  ASSERT_TRUE(log_text.ok());
  EXPECT_NE(log_text->find("hello from the run"), std::string::npos);
  log::Info("after the run");
  EXPECT_EQ(ReadFile(ws_->RunDir(id) / "log.txt")->find("after the run"), std::string::npos);
}

TEST_F(RunRecorderTest, RecorderDroppedWithoutFinishMarksRunFailed) {
  std::string id;
  {
    auto rec = RunRecorder::Start(*ws_, Template());
    ASSERT_TRUE(rec.ok());
    id = (*rec)->run_id();
  }
  auto run = ws_->catalog().GetRun(id);
  EXPECT_EQ(run->status, catalog::RunStatus::kFailed);
  EXPECT_NE(run->message.find("interrupted"), std::string::npos);
}

TEST_F(RunRecorderTest, RunsOfDeadProcessesAreReapedAndLiveOnesKept) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);  // child is gone: its pid names no process

  catalog::RunRecord dead = Template();
  dead.id = NewUuidV7();
  dead.status = catalog::RunStatus::kRunning;
  dead.env = {{"hostname", Hostname()}, {"pid", static_cast<int64_t>(child)}};
  ASSERT_TRUE(ws_->catalog().CreateRun(dead).ok());
  catalog::RunRecord alive = dead;
  alive.id = NewUuidV7();
  alive.env["pid"] = static_cast<int64_t>(::getpid());
  ASSERT_TRUE(ws_->catalog().CreateRun(alive).ok());
  catalog::RunRecord elsewhere = dead;
  elsewhere.id = NewUuidV7();
  elsewhere.env["hostname"] = "another-host";
  ASSERT_TRUE(ws_->catalog().CreateRun(elsewhere).ok());

  auto reaped = ReapAbandonedRuns(*ws_);
  ASSERT_TRUE(reaped.ok());
  EXPECT_EQ(*reaped, 1);
  EXPECT_EQ(ws_->catalog().GetRun(dead.id)->status, catalog::RunStatus::kFailed);
  EXPECT_NE(ws_->catalog().GetRun(dead.id)->message.find("died"), std::string::npos);
  EXPECT_EQ(ws_->catalog().GetRun(alive.id)->status, catalog::RunStatus::kRunning);
  EXPECT_EQ(ws_->catalog().GetRun(elsewhere.id)->status, catalog::RunStatus::kRunning)
      << "a run on another host cannot be judged from here";
}

}  // namespace
}  // namespace citadel::workload
