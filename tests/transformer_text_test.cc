// Free text to a transformer through the binary: the text op's sequence mode
// writes token ids, the train step sizes the transformer's vocabulary from
// them, and the model learns a task only word order decides. Seeded data.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "base/system/files.h"
#include "cli_runner.h"

namespace citadel::testing {
namespace {

// Sentences of 3 to 8 words: one "alpha", one "omega", the rest filler, at
// random places; the label says which comes first. Every class holds the
// same words, so a bag of words cannot tell them apart.
void WriteOrderCsv(const std::filesystem::path& path, int rows, uint64_t seed) {
  const char* filler[] = {"red", "green", "blue", "cold", "warm", "slow", "fast", "tall"};
  std::mt19937_64 rng(seed);
  std::ofstream out(path);
  out << "id,text,first\n";
  for (int i = 0; i < rows; ++i) {
    const int length = 3 + static_cast<int>(rng() % 6);
    std::vector<std::string> words;
    for (int p = 0; p < length; ++p) words.push_back(filler[rng() % 8]);
    const int a = static_cast<int>(rng() % length);
    int b = static_cast<int>(rng() % (length - 1));
    if (b >= a) ++b;
    words[a] = "Alpha";
    words[b] = "omega";
    out << i << ",\"";
    for (size_t w = 0; w < words.size(); ++w) out << (w ? " " : "") << words[w];
    out << "\"," << (a < b ? "alpha" : "omega") << "\n";
  }
}

constexpr const char* kPipeline = R"(pipeline: word_order
steps:
  - name: prepare
    kind: process
    input: { csv: order.csv, label: first }
    split: { train: 0.8, test: 0.2, seed: 3 }
    transforms:
      - { op: drop, columns: [id] }
      - { op: text, column: text, mode: sequence, max_length: 10 }
  - name: train
    kind: train
    dataset: prepare.train
    model: { arch: transformer, d_model: 32, heads: 4, layers: 1, dropout: 0 }
    optimizer: { name: adam, lr: 0.003 }
    epochs: 12
    batch_size: 32
    seed: 5
    ood: true
  - name: evaluate
    kind: evaluate
    model: train.model
    dataset: prepare.test
)";

TEST_F(CliTest, TransformerLearnsWordOrderFromFreeText) {
  ASSERT_EQ(Citadel({"init"}).exit_code, 0);
  WriteOrderCsv(tmp_ / "order.csv", 2000, 11);
  const std::filesystem::path spec = tmp_ / "pipeline.yaml";
  std::ofstream(spec) << kPipeline;
  Json run = CitadelJson({"run", spec.string(), "--json"});
  ASSERT_EQ(run["steps"].size(), 3u) << run.dump();
  EXPECT_GE(run["steps"][2]["metrics"]["accuracy"].get<double>(), 0.9) << run.dump();

  // The vocabulary: 8 fillers, alpha and omega (lowercased) → ids 2…11.
  Json model = CitadelJson({"artifacts", "show", run["steps"][1]["outputs"]["model"], "--json"});
  EXPECT_EQ(model["metadata"]["architecture"]["arch"], "transformer");
  EXPECT_EQ(model["metadata"]["architecture"]["vocab_size"], 12) << model.dump();

  // Asked for, its out-of-distribution detector scores the penultimate
  // layer (the pooled 32-wide encoding; the inputs are token ids), and the
  // held-out test split is mostly in distribution.
  EXPECT_EQ(model["metadata"]["ood"]["space"], "penultimate") << model.dump();
  EXPECT_EQ(model["metadata"]["ood"]["dims"], 32) << model.dump();
  const std::filesystem::path report = tmp_ / "report";
  ASSERT_EQ(Citadel({"artifacts", "export", run["steps"][2]["outputs"]["report"], report.string()})
                .exit_code,
            0);
  const Json r = Json::parse(*ReadFile(report / "report.json"));
  EXPECT_EQ(r["out_of_distribution"]["space"], "penultimate") << r.dump();
  EXPECT_LT(r["out_of_distribution"]["flagged_rate"].get<double>(), 0.1) << r.dump();
}

TEST_F(CliTest, TransformerOnFeaturesThatAreNotTokenIdsFailsNamingTheFeature) {
  ASSERT_EQ(Citadel({"init"}).exit_code, 0);
  WriteOrderCsv(tmp_ / "order.csv", 100, 12);
  // Standardized ids are no longer whole numbers.
  std::string pipeline =
      ReplaceOnce(kPipeline, "max_length: 10 }",
                  "max_length: 10 }\n      - { op: standardize, columns: all_numeric }");
  const std::filesystem::path spec = tmp_ / "pipeline.yaml";
  std::ofstream(spec) << pipeline;
  CliResult r = Citadel({"run", spec.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("feature 'text_seq_0' is"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not a token id"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace citadel::testing
