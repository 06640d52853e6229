#include "cli_runner.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace citadel::testing {
namespace fs = std::filesystem;

namespace {
std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

void CliTest::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  tmp_ = fs::temp_directory_path() / ("citadel_cli_" + std::to_string(::getpid()) + "_" +
                                      info->test_suite_name() + "_" + info->name());
  fs::remove_all(tmp_);
  fs::create_directories(tmp_);
  home_ = tmp_ / "ws";
}

void CliTest::TearDown() {
  if (!HasFailure()) fs::remove_all(tmp_);  // keep evidence of failures
}

CliResult CliTest::Citadel(const std::vector<std::string>& args, const fs::path& home) {
  std::string cmd = "CITADEL_HOME=" + Quote(home.string()) + " " + Quote(CITADEL_BINARY);
  for (const auto& a : args) cmd += " " + Quote(a);
  fs::path out = tmp_ / "stdout.txt";
  fs::path err = tmp_ / "stderr.txt";
  cmd += " >" + Quote(out.string()) + " 2>" + Quote(err.string()) + " </dev/null";
  auto start = std::chrono::steady_clock::now();
  int status = std::system(cmd.c_str());
  CliResult r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = Slurp(out);
  r.err = Slurp(err);
  return r;
}

Json CliTest::CitadelJson(const std::vector<std::string>& args, const fs::path& home) {
  CliResult r = Citadel(args, home);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "stdout is not JSON:\n" << r.out;
  return j;
}

fs::path CliTest::CopyDigitsExample(const std::string& name) {
  fs::path dir = tmp_ / name;
  fs::create_directories(dir / "data");
  fs::copy_file("examples/digits/pipeline.yaml", dir / "pipeline.yaml");
  fs::copy_file("examples/digits/data/digits.csv.gz", dir / "data" / "digits.csv.gz");
  return dir / "pipeline.yaml";
}

fs::path CliTest::CopyExample(const std::string& example) {
  fs::path dir = tmp_ / example;
  fs::copy(fs::path("examples") / example, dir, fs::copy_options::recursive);
  return dir / "pipeline.yaml";
}

std::string ReplaceOnce(std::string text, const std::string& from, const std::string& to) {
  size_t pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << "'" << from << "' not found";
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

}  // namespace citadel::testing
