// A `cnn` trained by `citadel run` answers as PyTorch does: its exported
// weights, rebuilt as torch.nn modules by a Python peer that knows only the
// artifact formats, give kind: predict's probabilities. The network pools
// with windows of 3 (sizes rounded down) and of 2, so both of Citadel's own
// max-pooling paths (ml/kernels/max_pool.h) are compared with torch's.
#include <gtest/gtest.h>

#include <fstream>

#include "base/system/files.h"
#include "cli_runner.h"

namespace citadel::testing {
namespace {

TEST_F(DigitsWorkspaceTest, CnnPredictionsMatchPyTorchsForwardPass) {
  auto text = ReadFile(spec_);
  ASSERT_TRUE(text.ok());
  // 8×8 digits: conv → pool 3 → 2×2, conv → pool 2 → 1×1.
  std::string spec = ReplaceOnce(
      *text, "model: { arch: mlp, hidden: [128, 64] }",
      "model: { arch: cnn, input_shape: [1, 8, 8], conv: [{ channels: 6, kernel: 3, pool: 3, "
      "batch_norm: true }, { channels: 8, kernel: 3, pool: 2, batch_norm: true }], hidden: [16] "
      "}");
  spec = ReplaceOnce(spec, "epochs: 30", "epochs: 3");
  std::ofstream(spec_) << spec;
  Json run = CitadelJson({"run", spec_.string(), "--json"});
  ASSERT_EQ(run["steps"].size(), 5u) << run.dump();
  for (const Json& step : run["steps"]) ASSERT_EQ(step["status"], "succeeded") << run.dump();
  const Json& prepare = run["steps"][0];
  const Json& train = run["steps"][1];
  const Json& predict = run["steps"][3];
  ASSERT_EQ(predict["kind"], "predict");

  const auto exported = tmp_ / "exported";
  auto export_artifact = [&](const Json& id, const std::string& dir) {
    CliResult r =
        Citadel({"artifacts", "export", id.get<std::string>(), (exported / dir).string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  };
  export_artifact(train["outputs"]["model"], "model");
  export_artifact(prepare["outputs"]["test"], "test");
  export_artifact(predict["outputs"]["predictions"], "predictions");

  auto [rc, out] = Shell("/usr/bin/python3 tests/fixtures/cnn/pytorch_cnn_forward.py " +
                         (exported / "model").string() + " " + (exported / "test").string() + " " +
                         (exported / "predictions" / "predictions.csv").string());
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("largest difference"), std::string::npos) << out;
}

}  // namespace
}  // namespace citadel::testing
