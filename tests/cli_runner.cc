#include "cli_runner.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

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

SpawnedCitadel CliTest::SpawnCitadel(const std::vector<std::string>& args,
                                     const std::vector<std::string>& env) {
  static int counter = 0;
  SpawnedCitadel p;
  p.out = tmp_ / ("spawn" + std::to_string(++counter) + ".out");
  p.err = tmp_ / ("spawn" + std::to_string(counter) + ".err");
  // Everything the child needs is built before fork().
  std::vector<std::string> argv_s = {CITADEL_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string home = "CITADEL_HOME=" + home_.string();
  std::vector<std::string> env_s = env;
  env_s.push_back(home);
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("CITADEL_HOME=", 0) != 0) env_s.push_back(*e);
  }
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string out = p.out.string(), err = p.err.string();
  p.pid = ::fork();
  if (p.pid == 0) {
    int in_fd = ::open("/dev/null", O_RDONLY);
    int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  EXPECT_GT(p.pid, 0) << "fork failed";
  return p;
}

int CliTest::WaitCitadel(const SpawnedCitadel& process) {
  int status = 0;
  if (::waitpid(process.pid, &status, 0) != process.pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool CliTest::WaitForStderr(const SpawnedCitadel& process, const std::string& needle, int count,
                            double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = Slurp(process.err);
    int seen = 0;
    for (size_t pos = text.find(needle); pos != std::string::npos;
         pos = text.find(needle, pos + needle.size())) {
      ++seen;
    }
    if (seen >= count) return true;
    // Ended? Asked without reaping it, so WaitCitadel still gets its status.
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(process.pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == process.pid) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
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

void DigitsWorkspaceTest::SetUp() {
  CliTest::SetUp();
  spec_ = CopyDigitsExample();
  ASSERT_EQ(Citadel({"init"}).exit_code, 0);
}

std::string ReplaceOnce(std::string text, const std::string& from, const std::string& to) {
  size_t pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << "'" << from << "' not found";
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

std::pair<int, std::string> Shell(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof(buf), pipe)) out.append(buf, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace citadel::testing
