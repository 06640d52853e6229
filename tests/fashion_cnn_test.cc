// examples/fashion end to end: the IDX files, the CNN, and the promise of its
// README — at least 0.90 accuracy on the 10 000 test images.
#include <gtest/gtest.h>

#include "cli_runner.h"

namespace citadel::testing {
namespace {

TEST_F(CliTest, FashionMnistCnnReachesNinetyPercentTestAccuracy) {
  ASSERT_TRUE(
      std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
      << "run scripts/bootstrap.sh: it installs dataset-fashion-mnist";
  ASSERT_EQ(Citadel({"init"}).exit_code, 0);
  Json run = CitadelJson({"run", CopyExample("fashion").string(), "--json"});
  ASSERT_EQ(run["steps"].size(), 4u);
  const Json& train = run["steps"][2];
  EXPECT_EQ(train["status"], "succeeded");
  const double accuracy = run["steps"][3]["metrics"]["accuracy"].get<double>();
  EXPECT_GE(accuracy, 0.90);
  Json model = CitadelJson({"artifacts", "show", train["outputs"]["model"], "--json"});
  EXPECT_EQ(model["metadata"]["architecture"]["arch"], "cnn");
}

}  // namespace
}  // namespace citadel::testing
