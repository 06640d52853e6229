// `citadel serve` as operators meet it: a real server process on loopback,
// deployments made with the CLI, clients speaking plain OIP v2 (a Python
// urllib client as the peer, and our HTTP client for the rest). Covers the
// issue's must-holds: predictions identical to kind: predict, hot swap under
// load with zero failed requests, tampered models refused while the previous
// version keeps serving, canary rollouts that roll back or promote by
// themselves, malformed and abusive requests answered 4xx with the server
// unharmed, and a graceful drain on SIGTERM.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <string_view>
#include <thread>

#include "base/system/files.h"
#include "cli_runner.h"
#include "http/http_client.h"

namespace citadel::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const char* kClient = "tests/fixtures/serve/oip_client.py";
const char* kDigitsCsv = "examples/digits/data/digits.csv.gz";

// A file's text, or "" when it cannot be read (for failure messages).
std::string ReadOr(const fs::path& path) {
  auto text = ReadFile(path);
  return text.ok() ? *text : std::string();
}

class Serve : public DigitsWorkspaceTest {
 protected:
  void SetUp() override {
    DigitsWorkspaceTest::SetUp();
    spec_text_ = ReadFile(spec_).value();
    // Two epochs: serving does not depend on how well the model learns.
    spec_text_ = ReplaceOnce(spec_text_, "epochs: 30", "epochs: 2");
    ASSERT_TRUE(WriteFileAtomic(spec_, spec_text_).ok());
    Json run = CitadelJson({"run", spec_.string(), "--json"});
    for (const Json& s : run["steps"]) steps_[s["name"].get<std::string>()] = s;
    Json token = CitadelJson({"tokens", "create", "tests", "--json"});
    token_ = token["token"];
  }

  void TearDown() override {
    StopServer();
    DigitsWorkspaceTest::TearDown();
  }

  // A serve.yaml under which no thread waits for another's forward pass:
  // each hands its requests to the batcher and reads on, whatever the
  // model (by default only models with slow passes, the CNN's, are served
  // that way; the digits MLP's passes take microseconds).
  fs::path NeverWaitConfig() {
    const fs::path config = tmp_ / "never_wait.yaml";
    EXPECT_TRUE(WriteFileAtomic(config, "wait_for_passes_below_us: 0\n").ok());
    return config;
  }

  void HotSwapUnderLoad(const std::vector<std::string>& serve_args);

  // Trains another version of the model (registered as digits:N) with a
  // different seed, or with the spec edited by `edit`.
  void TrainAnotherVersion(const std::string& from, const std::string& to) {
    std::string spec = ReplaceOnce(spec_text_, from, to);
    ASSERT_TRUE(WriteFileAtomic(spec_, spec).ok());
    CitadelJson({"run", spec_.string(), "--json"});
  }

  void StartServer(std::vector<std::string> extra = {}) {
    const fs::path port_file = tmp_ / "port";
    fs::remove(port_file);
    std::vector<std::string> args = {"serve", "--port", "0", "--port-file", port_file.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = SpawnCitadel(args);
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline) {
      if (auto text = ReadFile(port_file); text.ok() && !text->empty()) {
        port_ = std::stoi(*text);
        break;
      }
      int status = 0;
      ASSERT_EQ(::waitpid(server_.pid, &status, WNOHANG), 0)
          << "citadel serve exited: " << ReadOr(server_.err);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_GT(port_, 0) << ReadOr(server_.err);
    client_ = std::make_unique<http::HttpClient>("127.0.0.1", port_, 30);
  }

  void StopServer(int signal = SIGTERM) {
    if (server_.pid <= 0) return;
    ::kill(server_.pid, signal);
    WaitCitadel(server_);
    server_.pid = -1;
  }

  http::Headers Auth() const { return {{"Authorization", "Bearer " + token_}}; }

  http::ClientResponse Get(const std::string& path) {
    auto r = client_->Get(path, Auth());
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : http::ClientResponse{};
  }
  http::ClientResponse Post(const std::string& path, const std::string& body,
                            http::Headers headers = {}) {
    if (headers.empty()) headers = Auth();
    auto r = client_->Post(path, body, "application/json", headers);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : http::ClientResponse{};
  }

  // One row of 64 equal standardized features per value: all zeros is the
  // training mean; all 8 is eight standard deviations out on every pixel.
  static std::string UniformRowsBody(const std::vector<float>& row_values) {
    Json data = Json::array();
    for (float v : row_values) {
      for (int i = 0; i < 64; ++i) data.push_back(v);
    }
    return Json{{"inputs",
                 {{{"name", "features"},
                   {"shape", {static_cast<int>(row_values.size()), 64}},
                   {"datatype", "FP32"},
                   {"data", data}}}}}
        .dump();
  }

  // `clients` clients at once, each sending `requests` requests to `path`:
  // alternately two near rows (UniformRowsBody {0, 0}) and three rows of
  // which the last is far ({0, 0, 8}), client c starting with near when c
  // is even. Returns how many answers `right` (far?, answer) judged wrong.
  int NearAndFarClients(int clients, int requests, const std::string& path,
                        const std::function<bool(bool, const http::ClientResponse&)>& right) {
    const std::string near = UniformRowsBody({0.0f, 0.0f}),
                      far = UniformRowsBody({0.0f, 0.0f, 8.0f});
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        http::HttpClient client("127.0.0.1", port_, 30);
        for (int i = 0; i < requests; ++i) {
          const bool is_far = (i + c) % 2 == 1;
          auto r = client.Post(path, is_far ? far : near, "application/json", Auth());
          if (!r.ok() || !right(is_far, *r)) ++wrong;
        }
      });
    }
    for (std::thread& t : threads) t.join();
    return wrong.load();
  }

  // digits:1 on two endpoints: "digits" counts rows out of distribution,
  // "strict" refuses them.
  void DeployCountingAndRefusing() {
    const fs::path strict = tmp_ / "strict.yaml";
    ASSERT_TRUE(WriteFileAtomic(strict, "ood: { reject: true }\n").ok());
    ASSERT_EQ(Citadel({"deploy", "digits", "--model", "digits:1"}).exit_code, 0);
    ASSERT_EQ(Citadel({"deploy", "strict", "--model", "digits:1", "--settings", strict.string()})
                  .exit_code,
              0);
  }

  // One line of /metrics: `name` for the digits model's `version` on
  // `endpoint`, and its value.
  static std::string DigitsSample(std::string_view name, std::string_view endpoint, int version,
                                  std::string_view value) {
    return fmt::format("{}{{endpoint=\"{}\",model=\"digits\",version=\"{}\"}} {}\n", name,
                       endpoint, version, value);
  }

  // One preprocessed-features request of `rows` rows (all zeros: the mean
  // of the standardized training data).
  static std::string FeaturesBody(int rows, int features = 64) {
    Json data = Json::array();
    for (int i = 0; i < rows * features; ++i) data.push_back(0.0);
    return Json{{"inputs",
                 {{{"name", "features"},
                   {"shape", {rows, features}},
                   {"datatype", "FP32"},
                   {"data", data}}}}}
        .dump();
  }

  Json Metadata() {
    auto r = Get("/v2/models/digits");
    EXPECT_EQ(r.status, 200) << r.body;
    return Json::parse(r.body, nullptr, false);
  }

  // Polls until `done(metadata)` or the timeout.
  bool WaitForMetadata(const std::function<bool(const Json&)>& done, double seconds = 60) {
    const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
    while (Clock::now() < deadline) {
      auto r = client_->Get("/v2/models/digits", Auth());
      if (r.ok()) {
        Json j = Json::parse(r->body, nullptr, false);
        if (j.is_object() && done(j)) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  Json Events() { return CitadelJson({"deployments", "show", "digits", "--json"})["events"]; }

  std::string spec_text_;
  std::map<std::string, Json> steps_;
  std::string token_;
  SpawnedCitadel server_;
  int port_ = 0;
  std::unique_ptr<http::HttpClient> client_;
};

TEST_F(Serve, AnOipClientGetsPredictionsIdenticalToThePredictStep) {
  ASSERT_EQ(Citadel({"deploy", "digits", "--model", "digits:1"}).exit_code, 0);
  StartServer();
  ASSERT_EQ(client_->Get("/v2/health/live")->status, 200);
  ASSERT_EQ(client_->Get("/v2/health/ready")->status, 200);

  const fs::path predictions = tmp_ / "predictions";
  ASSERT_EQ(Citadel({"artifacts", "export", steps_["predict"]["outputs"]["predictions"],
                     predictions.string()})
                .exit_code,
            0);
  auto [rc, out] =
      Shell(std::string("/usr/bin/python3 ") + kClient + " predict " + std::to_string(port_) + " " +
            token_ + " " + kDigitsCsv + " " + (predictions / "predictions.csv").string());
  ASSERT_EQ(rc, 0) << out;
  Json summary = Json::parse(out.substr(out.find('{')));
  EXPECT_EQ(summary["mismatches"], 0);
  EXPECT_GT(summary["rows"].get<int>(), 300);
  EXPECT_EQ(summary["version"], "1");

  // What runs is visible: the artifact served and how it was verified.
  Json meta = Metadata();
  EXPECT_EQ(meta["parameters"]["artifact"], steps_["train"]["outputs"]["model"]);
  EXPECT_EQ(meta["parameters"]["verification"]["result"], "verified");
  // And what screens its rows: the detector trained with it.
  const Json model_artifact =
      CitadelJson({"artifacts", "show", steps_["train"]["outputs"]["model"], "--json"});
  EXPECT_EQ(meta["parameters"]["out_of_distribution"], model_artifact["metadata"]["ood"])
      << meta.dump();
  EXPECT_EQ(meta["parameters"]["out_of_distribution"]["space"], "input_features");
  EXPECT_EQ(meta["inputs"].size(), 64u);  // the raw columns, label excluded
  EXPECT_EQ(meta["outputs"][0]["name"], "probabilities");

  // The already-preprocessed form answers too, and the access log has it.
  auto r = Post("/v2/models/digits/versions/1/infer", FeaturesBody(3));
  ASSERT_EQ(r.status, 200) << r.body;
  Json answer = Json::parse(r.body);
  EXPECT_EQ(answer["outputs"][0]["shape"], Json({3, 10}));
  StopServer();
  std::string log = ReadOr(home_ / "serve" / "access.log");
  EXPECT_NE(log.find("\"path\":\"/v2/models/digits/versions/1/infer\""), std::string::npos) << log;
}

TEST_F(Serve, HotSwapUnderLoadFailsNoRequest) { HotSwapUnderLoad({}); }

// The same with every thread handing its requests off and reading on.
TEST_F(Serve, HotSwapUnderLoadFailsNoRequestWhenNoThreadWaitsForAPass) {
  HotSwapUnderLoad({"--config", NeverWaitConfig().string()});
}

void Serve::HotSwapUnderLoad(const std::vector<std::string>& serve_args) {
  TrainAnotherVersion("seed: 42", "seed: 43");
  ASSERT_EQ(Citadel({"deploy", "digits", "--model", "digits:1"}).exit_code, 0);
  StartServer(serve_args);
  const std::string load = std::string("/usr/bin/python3 ") + kClient + " load " +
                           std::to_string(port_) + " " + token_ + " 6 4 " + kDigitsCsv;
  std::pair<int, std::string> result;
  std::thread generator([&] { result = Shell(load); });
  // Swap versions back and forth while the load runs.
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(900));
    const std::string version = i % 2 == 0 ? "digits:2" : "digits:1";
    ASSERT_EQ(Citadel({"deploy", "digits", "--model", version}).exit_code, 0);
  }
  generator.join();
  ASSERT_EQ(result.first, 0) << result.second;
  Json stats = Json::parse(result.second.substr(result.second.find('{')));
  EXPECT_EQ(stats["failed"], 0) << stats.dump();
  EXPECT_GT(stats["ok"].get<int>(), 100) << stats.dump();
  // Both versions answered: the swaps happened during the load.
  EXPECT_TRUE(stats["versions"].contains("1")) << stats.dump();
  EXPECT_TRUE(stats["versions"].contains("2")) << stats.dump();
  Json events = Events();
  int loads = 0, unloads = 0;
  for (const Json& e : events) {
    loads += e["kind"] == "load";
    unloads += e["kind"] == "unload";
  }
  EXPECT_GE(loads, 3);
  EXPECT_GE(unloads, 2);
}

TEST_F(Serve, ATamperedModelIsRefusedAndThePreviousVersionKeepsServing) {
  TrainAnotherVersion("seed: 42", "seed: 43");
  ASSERT_EQ(Citadel({"deploy", "digits", "--model", "digits:1"}).exit_code, 0);
  StartServer();
  // Flip one byte of version 2's weights in the blob store.
  Json v2 = CitadelJson({"models", "show", "digits", "--json"})[1];
  Json files = CitadelJson({"artifacts", "show", v2["artifact"], "--json"})["files"];
  std::string hex;
  for (const Json& f : files) {
    if (f["path"] == "model.safetensors") hex = f["sha256"];
  }
  ASSERT_EQ(hex.size(), 64u) << files.dump();
  const fs::path path = home_ / "blobs" / "sha256" / hex.substr(0, 2) / hex;
  fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x7f');
  }
  ASSERT_EQ(Citadel({"deploy", "digits", "--model", "digits:2"}).exit_code, 0);
  ASSERT_TRUE(WaitForMetadata([](const Json& m) { return m["parameters"]["refusal"].is_object(); }))
      << Metadata().dump();
  Json meta = Metadata();
  EXPECT_EQ(meta["parameters"]["version"], 1);
  EXPECT_EQ(meta["parameters"]["refusal"]["revision"], 2);
  EXPECT_EQ(meta["parameters"]["refusal"]["code"], "DataLoss") << meta.dump();
  EXPECT_NE(meta["parameters"]["refusal"]["error"].get<std::string>().find("model.safetensors"),
            std::string::npos)
      << meta.dump();
  auto r = Post("/v2/models/digits/infer", FeaturesBody(1));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json::parse(r.body)["model_version"], "1");
  bool refused = false;
  for (const Json& e : Events()) refused |= e["kind"] == "refuse";
  EXPECT_TRUE(refused);
}

TEST_F(Serve, TheTrustPolicyDecidesWhatLoadsAndTheMetadataShowsHowItWasVerified) {
  std::ofstream(home_ / "policy.yaml") << "trusted_keys: [keys/signing-key.pub.pem]\n"
                                          "require:\n  model: [signature, scan]\n";
  ASSERT_EQ(Citadel({"deploy", "digits", "--model", "digits:1"}).exit_code, 0);
  StartServer();
  // Unsigned: refused, with the check named, and nothing answers.
  auto meta = client_->Get("/v2/models/digits", Auth());
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->status, 503) << meta->body;
  Json refused = Json::parse(meta->body)["parameters"]["refusal"];
  ASSERT_TRUE(refused.is_object()) << meta->body;
  EXPECT_NE(refused["error"].get<std::string>().find("check 'signature' failed"), std::string::npos)
      << refused.dump();
  EXPECT_EQ(Post("/v2/models/digits/infer", FeaturesBody(1)).status, 503);

  // Signed and deployed again: served, and the metadata says by whom.
  ASSERT_EQ(Citadel({"sign", "digits:1"}).exit_code, 0);
  ASSERT_EQ(Citadel({"deploy", "digits", "--model", "digits:1"}).exit_code, 0);
  ASSERT_TRUE(WaitForMetadata([](const Json& m) {
    return m["parameters"]["verification"].is_object() && m["parameters"]["refusal"].is_null();
  })) << Metadata().dump();
  Json verification = Metadata()["parameters"]["verification"];
  EXPECT_EQ(verification["result"], "verified");
  EXPECT_EQ(verification["checks"], Json({"digest", "signature", "scan"})) << verification.dump();
  EXPECT_FALSE(verification["signer"].is_null()) << verification.dump();
  EXPECT_EQ(Post("/v2/models/digits/infer", FeaturesBody(1)).status, 200);
}

class Rollout : public Serve {
 protected:
  // Deploys digits:2 as a canary of digits:1 under `policy` and sends
  // traffic until the endpoint serves a single version again.
  // `rows_per_request` > 1 sends batches: a slow canary's per-row cost then
  // dominates its latency, well above the scheduling noise a loaded machine
  // adds to every request's p99 (several ms under a parallel ctest).
  Json RunRollout(const std::string& policy, int rows_per_request = 1) {
    const fs::path settings = tmp_ / "rollout.yaml";
    EXPECT_TRUE(WriteFileAtomic(settings, policy).ok());
    EXPECT_EQ(Citadel({"deploy", "digits", "--model", "digits:1", "--canary", "digits:2",
                       "--settings", settings.string()})
                  .exit_code,
              0);
    const fs::path config = tmp_ / "serve.yaml";
    EXPECT_TRUE(
        WriteFileAtomic(config, "poll_seconds: 0.05\nrollout_interval_seconds: 0.2\n").ok());
    StartServer({"--config", config.string()});
    // Real rows: both versions must agree on most of them, as on any
    // traffic a good canary meets.
    const fs::path bodies = tmp_ / "bodies.jsonl";
    auto [rc, out] = Shell(std::string("/usr/bin/python3 ") + kClient + " bodies " +
                           std::to_string(port_) + " " + token_ + " " + kDigitsCsv + " 200 " +
                           bodies.string() + " " + std::to_string(rows_per_request));
    EXPECT_EQ(rc, 0) << out;
    std::vector<std::string> requests;
    {
      std::ifstream in(bodies);
      for (std::string line; std::getline(in, line);) requests.push_back(line);
    }
    EXPECT_EQ(requests.size(), 200u);
    if (requests.empty()) return Json();
    const auto deadline = Clock::now() + std::chrono::seconds(90);
    size_t next = 0;
    while (Clock::now() < deadline) {
      for (int i = 0; i < 20; ++i)
        Post("/v2/models/digits/infer", requests[next++ % requests.size()]);
      Json meta = Metadata();
      if (meta["parameters"]["deployment"]["routes"].size() == 1) return meta;
    }
    ADD_FAILURE() << "the rollout did not finish: " << Metadata().dump();
    return Json();
  }
};

TEST_F(Rollout, AMuchSlowerCanaryIsRolledBack) {
  // A canary ~100× the primary's compute per row.
  TrainAnotherVersion("hidden: [128, 64]", "hidden: [2048, 2048]");
  Json meta = RunRollout(
      "rollout: { steps: [20, 50, 100], min_requests: 40, min_requests_for_rollback: 20,\n"
      "           max_p99_latency_ratio: 2.0, max_error_rate: 0.5,\n"
      "           max_disagreement_rate: 1.0, max_ood_rate: 1.0 }\n",
      /*rows_per_request=*/32);
  EXPECT_EQ(meta["parameters"]["version"], 1) << meta.dump();
  Json rollout;
  for (const Json& e : Events()) {
    if (e["kind"] == "rollout") rollout = e["detail"];
  }
  ASSERT_TRUE(rollout.is_object());
  EXPECT_EQ(rollout["action"], "rollback") << Events().dump();
  EXPECT_NE(rollout["reason"].get<std::string>().find("latency"), std::string::npos)
      << rollout.dump();
  Json history = CitadelJson({"deployments", "show", "digits", "--json"})["revisions"];
  EXPECT_EQ(history.back()["created_by"], "rollout");
}

TEST_F(Rollout, AGoodCanaryIsPromotedStepByStepTo100Percent) {
  TrainAnotherVersion("seed: 42", "seed: 43");
  Json meta = RunRollout(
      "rollout: { steps: [20, 50, 100], min_requests: 30, max_p99_latency_ratio: 20.0,\n"
      "           max_error_rate: 0.0, max_disagreement_rate: 0.5, max_ood_rate: 1.0 }\n");
  EXPECT_EQ(meta["parameters"]["version"], 2) << meta.dump();
  std::vector<std::string> actions;
  for (const Json& e : Events()) {
    if (e["kind"] == "rollout") actions.push_back(e["detail"]["action"]);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"advance", "advance", "promote"}))
      << Events().dump();
}

TEST_F(Serve, MalformedAndAbusiveRequestsGetClear4xxAndTheServerStaysUp) {
  ASSERT_EQ(Citadel({"deploy", "digits", "--model", "digits:1"}).exit_code, 0);
  StartServer();
  struct Case {
    std::string name, path, body;
    int status;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"bad json", "/v2/models/digits/infer", "{\"inputs\": [", 400, "not JSON"},
      {"wrong shape", "/v2/models/digits/infer", FeaturesBody(2, 63), 400, "[N,64]"},
      {"wrong dtype", "/v2/models/digits/infer",
       R"({"inputs":[{"name":"col_0","shape":[1],"datatype":"BYTES","data":["x"]}]})", 400,
       "col_0"},
      {"unknown model", "/v2/models/nope/infer", FeaturesBody(1), 404, "not deployed"},
      {"unknown input", "/v2/models/digits/infer",
       R"({"inputs":[{"name":"colour","shape":[1],"datatype":"FP32","data":[1]}]})", 400, ""},
  };
  for (const Case& c : cases) {
    auto r = Post(c.path, c.body);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    Json j = Json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error")) << c.name << ": " << r.body;
    EXPECT_NE(j["error"].get<std::string>().find(c.message), std::string::npos)
        << c.name << ": " << r.body;
  }
  // No token, a wrong token.
  EXPECT_EQ(
      client_->Post("/v2/models/digits/infer", FeaturesBody(1), "application/json", {})->status,
      401);
  EXPECT_EQ(
      Post("/v2/models/digits/infer", FeaturesBody(1), {{"Authorization", "Bearer cit_x"}}).status,
      401);
  // A body over the server's limit is refused without being read.
  auto huge = Post("/v2/models/digits/infer", std::string(9 << 20, ' '));
  EXPECT_EQ(huge.status, 413);

  // Slow clients dribbling a request byte by byte hold a connection each,
  // not the server: a normal client is answered promptly meanwhile.
  std::vector<int> dribblers;
  for (int i = 0; i < 4; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::send(fd, "POST /v2/models/digits/infer HTTP/1.1\r\nHost: x\r\n", 47, 0), 47);
    dribblers.push_back(fd);
  }
  http::HttpClient fresh("127.0.0.1", port_, 5);
  const auto start = Clock::now();
  auto ok = fresh.Post("/v2/models/digits/infer", FeaturesBody(1), "application/json", Auth());
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->status, 200);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 2.0);
  for (int fd : dribblers) ::close(fd);

  // Still up, and the rejections are counted.
  EXPECT_EQ(client_->Get("/v2/health/live")->status, 200);
  std::string metrics = Get("/metrics").body;
  EXPECT_NE(metrics.find("citadel_rejections_total{reason=\"invalid\"}"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("citadel_rejections_total{reason=\"auth\"} 2"), std::string::npos)
      << metrics;

  // The access log keeps each refusal with its message.
  StopServer();
  bool logged = false;
  std::ifstream log(home_ / "serve" / "access.log");
  for (std::string line; std::getline(log, line);) {
    Json entry = Json::parse(line);
    if (entry["status"] == 400 && entry.value("error", "").find("not JSON") != std::string::npos) {
      logged = true;
    }
  }
  EXPECT_TRUE(logged);
}

TEST_F(Serve, SampledPayloadsOfADeploymentReachTheStore) {
  const fs::path settings = tmp_ / "logging.yaml";
  ASSERT_TRUE(
      WriteFileAtomic(settings, "logging: { sample_rate: 1.0, max_payload_bytes: 100000 }\n").ok());
  ASSERT_EQ(Citadel({"deploy", "digits", "--model", "digits:1", "--settings", settings.string()})
                .exit_code,
            0);
  StartServer();
  for (int i = 1; i <= 3; ++i) {
    Json body = Json::parse(FeaturesBody(i));
    body["id"] = "req-" + std::to_string(i);
    ASSERT_EQ(Post("/v2/models/digits/infer", body.dump()).status, 200);
  }
  StopServer();  // a graceful stop writes what was sampled

  Json payloads;
  for (const Json& e : Events()) {
    if (e["kind"] == "payloads") payloads = e["detail"];
  }
  ASSERT_TRUE(payloads.is_object()) << Events().dump();
  EXPECT_EQ(payloads["records"], 3);
  const fs::path out = tmp_ / "payloads";
  ASSERT_EQ(Citadel({"artifacts", "export", payloads["artifact"], out.string()}).exit_code, 0);
  std::ifstream in(out / "payloads.jsonl");
  std::vector<Json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(Json::parse(line));
  ASSERT_EQ(lines.size(), 3u);
  for (int i = 1; i <= 3; ++i) {
    const Json& l = lines[static_cast<size_t>(i - 1)];
    EXPECT_EQ(l["request_id"], "req-" + std::to_string(i));
    EXPECT_EQ(l["status"], 200);
    EXPECT_EQ(l["version"], 1);
    // The stored bodies are the exchange itself.
    Json request = Json::parse(l["request_body"].get<std::string>());
    EXPECT_EQ(request["inputs"][0]["shape"], Json({i, 64}));
    Json response = Json::parse(l["response_body"].get<std::string>());
    EXPECT_EQ(response["id"], "req-" + std::to_string(i));
    EXPECT_EQ(response["outputs"][0]["shape"], Json({i, 10}));
  }
}

TEST_F(Serve, TokenBudgetsAndRateLimitsAnswer429) {
  ASSERT_EQ(Citadel({"deploy", "digits", "--model", "digits:1"}).exit_code, 0);
  Json limited = CitadelJson(
      {"tokens", "create", "scraper", "--budget-rows", "10", "--budget-window", "3600", "--json"});
  StartServer();
  const http::Headers scraper = {
      {"Authorization", "Bearer " + limited["token"].get<std::string>()}};
  EXPECT_EQ(Post("/v2/models/digits/infer", FeaturesBody(6), scraper).status, 200);
  auto over = Post("/v2/models/digits/infer", FeaturesBody(6), scraper);
  EXPECT_EQ(over.status, 429) << over.body;
  EXPECT_NE(over.body.find("scraper"), std::string::npos) << over.body;
  // Other tokens are unaffected; a revoked token is refused from the next poll.
  EXPECT_EQ(Post("/v2/models/digits/infer", FeaturesBody(6)).status, 200);
  ASSERT_EQ(Citadel({"tokens", "revoke", "scraper"}).exit_code, 0);
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    refused = Post("/v2/models/digits/infer", FeaturesBody(1), scraper).status == 401;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(refused);
}

// The detector fitted at training time scores every row served: a far-off
// row is counted on every endpoint, and refused with 422 where the
// deployment says so. The rows of all the requests one HTTP thread reads in
// a pass are scored together; with one thread and many clients at once,
// passes hold several requests of different sizes, and each must still get
// its own verdict.
TEST_F(Serve, RowsOutOfDistributionAreCountedAndRefusedWhereTheEndpointSaysSo) {
  ASSERT_NO_FATAL_FAILURE(DeployCountingAndRefusing());
  StartServer({"--threads", "1"});
  const std::string mixed = UniformRowsBody({0.0f, 8.0f, 0.0f});
  auto counted = Post("/v2/models/digits/infer", mixed);
  EXPECT_EQ(counted.status, 200) << counted.body;
  auto refused = Post("/v2/models/strict/infer", mixed);
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_NE(refused.body.find("1 of 3 rows are out of distribution for model digits:1 (row 1"),
            std::string::npos)
      << refused.body;
  EXPECT_EQ(Post("/v2/models/strict/infer", UniformRowsBody({0.0f, 0.0f})).status, 200);

  // Eight clients, each alternating two near rows and three rows of which
  // the last is far.
  EXPECT_EQ(NearAndFarClients(8, 20, "/v2/models/strict/infer",
                              [](bool far, const http::ClientResponse& r) {
                                return far ? r.status == 422 &&
                                                 r.body.find("1 of 3 rows") != std::string::npos &&
                                                 r.body.find("(row 2 scores") != std::string::npos
                                           : r.status == 200;
                              }),
            0);

  const std::string metrics = Get("/metrics").body;
  // Rows: 1 on digits; 1 + 80 on strict. Refusals: 1 + 80.
  EXPECT_NE(metrics.find(DigitsSample("citadel_ood_flags_total", "digits", 1, "1")),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(DigitsSample("citadel_ood_flags_total", "strict", 1, "81")),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("citadel_rejections_total{reason=\"ood\"} 81\n"), std::string::npos)
      << metrics;
  // 81 requests reached strict's batcher; fewer forward passes mean some
  // pass held several requests, so scoring them together was exercised.
  const std::string passes =
      "citadel_batch_rows_count{endpoint=\"strict\",model=\"digits\",version=\"1\"} ";
  const size_t at = metrics.find(passes);
  ASSERT_NE(at, std::string::npos) << metrics;
  EXPECT_LT(std::stoi(metrics.substr(at + passes.size())), 81) << metrics;
}

// With two HTTP threads and every model's requests submitted to its batcher
// (never waited for), each row is still scored exactly once, before the
// queue, and each verdict counted by the time its answer arrives; a refused
// request never reaches the batcher.
TEST_F(Serve, SubmittedRowsAreEachScoredOnceBeforeTheQueue) {
  ASSERT_NO_FATAL_FAILURE(DeployCountingAndRefusing());
  StartServer({"--threads", "2", "--config", NeverWaitConfig().string()});
  auto refused = Post("/v2/models/strict/infer", UniformRowsBody({0.0f, 8.0f, 0.0f}));
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_NE(refused.body.find("1 of 3 rows are out of distribution"), std::string::npos)
      << refused.body;
  EXPECT_EQ(NearAndFarClients(8, 20, "/v2/models/digits/infer",
                              [](bool, const http::ClientResponse& r) {
                                return r.status == 200 &&
                                       r.body.find("\"shape\":[") != std::string::npos;
                              }),
            0);
  const std::string metrics = Get("/metrics").body;
  // 80 near requests of 2 rows and 80 far ones of 3, one far row each.
  for (const std::string& sample :
       {DigitsSample("citadel_ood_flags_total", "digits", 1, "80"),
        DigitsSample("citadel_ood_screened_rows_sum", "digits", 1, "400"),
        DigitsSample("citadel_batch_rows_count", "strict", 1, "0")}) {
    EXPECT_NE(metrics.find(sample), std::string::npos) << sample << metrics;
  }
  EXPECT_NE(metrics.find("citadel_rejections_total{reason=\"ood\"} 1\n"), std::string::npos)
      << metrics;
}

// A detector fitted in the penultimate layer scores the activations of the
// forward pass that answers each row (they travel back from the batcher with
// the probabilities), and judges served rows as the one fitted on inputs does.
TEST_F(Serve, APenultimateLayerDetectorScreensTheRowsItsForwardPassAnswers) {
  TrainAnotherVersion("epochs: 2", "epochs: 2\n    ood: { space: penultimate }");
  const Json shown = CitadelJson({"artifacts", "show", "digits:2", "--json"});
  EXPECT_EQ(shown["metadata"]["ood"]["space"], "penultimate") << shown.dump();
  const fs::path strict = tmp_ / "strict.yaml";
  ASSERT_TRUE(WriteFileAtomic(strict, "ood: { reject: true }\n").ok());
  ASSERT_EQ(
      Citadel({"deploy", "strict", "--model", "digits:2", "--settings", strict.string()}).exit_code,
      0);
  ASSERT_EQ(Citadel({"deploy", "plain", "--model", "digits:2"}).exit_code, 0);
  // The answers come back from the batcher to the thread that read the
  // requests, which screens their activations there.
  StartServer({"--threads", "1", "--config", NeverWaitConfig().string()});
  const std::string mixed = UniformRowsBody({0.0f, 8.0f, 0.0f, 0.0f});
  auto refused = Post("/v2/models/strict/infer", mixed);
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_NE(refused.body.find("1 of 4 rows are out of distribution for model digits:2 (row 1"),
            std::string::npos)
      << refused.body;
  EXPECT_EQ(Post("/v2/models/strict/infer", UniformRowsBody({0.0f, 0.0f})).status, 200);
  // Counted, not refused, elsewhere; the answer still has 4 rows of 10
  // probabilities (the activations do not leak into it).
  auto counted = Post("/v2/models/plain/infer", mixed);
  ASSERT_EQ(counted.status, 200) << counted.body;
  const Json answer = Json::parse(counted.body);
  EXPECT_EQ(answer["outputs"][0]["shape"], Json::array({4, 10})) << counted.body;
  // Six clients at once on one HTTP thread: passes hold several requests,
  // whose activations come back from one forward pass and are split per
  // request; each still gets its own verdict.
  EXPECT_EQ(NearAndFarClients(6, 12, "/v2/models/strict/infer",
                              [](bool far, const http::ClientResponse& r) {
                                return far ? r.status == 422 &&
                                                 r.body.find("(row 2 scores") != std::string::npos
                                           : r.status == 200 && r.body.find("\"shape\":[2,10]") !=
                                                                    std::string::npos;
                              }),
            0);
  const std::string metrics = Get("/metrics").body;
  // strict: the mixed request's row and one row in each of 36 far requests.
  for (const auto& [endpoint, rows] : {std::pair{"strict", 37}, std::pair{"plain", 1}}) {
    EXPECT_NE(metrics.find(DigitsSample("citadel_ood_flags_total", endpoint, 2,
                                        std::to_string(rows))),
              std::string::npos)
        << endpoint << "\n" << metrics;
  }
}

// A bad serve.yaml stops the server before it listens, naming the file,
// line and field.
TEST_F(Serve, ABadServeConfigIsRefusedNamingTheField) {
  const fs::path config = tmp_ / "bad_serve.yaml";
  ASSERT_TRUE(WriteFileAtomic(config, "poll_seconds: 1\nwait_for_passes_below_us: -1\n").ok());
  CliResult r = Citadel({"serve", "--port", "0", "--config", config.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad_serve.yaml:2: wait_for_passes_below_us: expected a number in [0, "
                       "1000000], got '-1'"),
            std::string::npos)
      << r.err;
  ASSERT_TRUE(WriteFileAtomic(config, "wait_for_passes_below: 3\n").ok());
  r = Citadel({"serve", "--port", "0", "--config", config.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown field 'wait_for_passes_below'"), std::string::npos) << r.err;
}

TEST_F(Serve, SigtermDrainsRequestsInFlight) {
  // A batch that waits 1.5 s to fill keeps the request in flight.
  const fs::path settings = tmp_ / "slow.yaml";
  ASSERT_TRUE(
      WriteFileAtomic(settings, "batching: { max_batch_size: 1000, max_queue_delay_ms: 1500 }\n")
          .ok());
  ASSERT_EQ(Citadel({"deploy", "digits", "--model", "digits:1", "--settings", settings.string()})
                .exit_code,
            0);
  // The request waits in the batcher as a deferred answer, which the drain
  // must send.
  StartServer({"--config", NeverWaitConfig().string()});
  Result<http::ClientResponse> in_flight = UnavailableError("not sent");
  std::thread request([&] {
    http::HttpClient c("127.0.0.1", port_, 30);
    in_flight = c.Post("/v2/models/digits/infer", FeaturesBody(1), "application/json", Auth());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  ::kill(server_.pid, SIGTERM);
  request.join();
  ASSERT_TRUE(in_flight.ok()) << in_flight.status();
  EXPECT_EQ(in_flight->status, 200) << in_flight->body;
  EXPECT_EQ(WaitCitadel(server_), 0) << ReadOr(server_.err);
  server_.pid = -1;
  EXPECT_NE(ReadOr(server_.out).find("draining"), std::string::npos);
}

}  // namespace
}  // namespace citadel::testing
