#include "serve/routing/canary_policy.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/text/yaml.h"

namespace citadel::serve {
namespace {

using Action = RolloutDecision::Action;

Json J(const char* text) { return Json::parse(text); }

// --- Parsing ----------------------------------------------------------------

TEST(CanaryPolicy, EmptyMappingKeepsDefaults) {
  auto p = ParseCanaryPolicy(Json::object(), "rollout");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, CanaryPolicy{});
}

TEST(CanaryPolicy, ReadsEveryField) {
  auto p = ParseCanaryPolicy(J(R"({"steps": [10, 33.5, 100], "min_requests": 500,
      "max_error_rate": 0.02, "max_p99_latency_ratio": 2, "max_disagreement_rate": 0.1,
      "max_ood_rate": 0.2, "max_step_seconds": 1800, "on_timeout": "rollback",
      "min_requests_for_rollback": 50})"),
                             "rollout");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->steps, (std::vector<double>{10, 33.5, 100}));
  EXPECT_EQ(p->min_requests, 500);
  EXPECT_DOUBLE_EQ(p->max_error_rate, 0.02);
  EXPECT_DOUBLE_EQ(p->max_p99_latency_ratio, 2);
  EXPECT_DOUBLE_EQ(p->max_disagreement_rate, 0.1);
  EXPECT_DOUBLE_EQ(p->max_ood_rate, 0.2);
  EXPECT_DOUBLE_EQ(p->max_step_seconds, 1800);
  EXPECT_EQ(p->on_timeout, CanaryPolicy::OnTimeout::kRollback);
  EXPECT_EQ(p->min_requests_for_rollback, 50);
}

TEST(CanaryPolicy, RoundTripsThroughJsonAndText) {
  CanaryPolicy p;
  p.steps = {1, 2.5, 10, 100};
  p.min_requests = 1000;
  p.max_error_rate = 0.001;
  p.max_p99_latency_ratio = 1.25;
  p.max_disagreement_rate = 0.033;
  p.max_ood_rate = 0;
  p.max_step_seconds = 7200;
  p.on_timeout = CanaryPolicy::OnTimeout::kPromote;
  p.min_requests_for_rollback = 1;
  auto direct = ParseCanaryPolicy(CanaryPolicyToJson(p), "rollout");
  ASSERT_TRUE(direct.ok()) << direct.status();
  EXPECT_EQ(*direct, p);
  auto text = ParseCanaryPolicy(Json::parse(CanaryPolicyToJson(p).dump()), "rollout");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, p);
  auto defaults = ParseCanaryPolicy(CanaryPolicyToJson(CanaryPolicy{}), "rollout");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(*defaults, CanaryPolicy{});
}

TEST(CanaryPolicy, MinRequestsForRollbackDefaultFollowsASmallMinRequests) {
  auto p = ParseCanaryPolicy(J(R"({"min_requests": 10})"), "rollout");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->min_requests_for_rollback, 10);
}

TEST(CanaryPolicy, ErrorsNameTheField) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"({"steps": [5, 50, 40, 100]})", "rollout: steps/2: 40 is not above the previous step 50"},
      {R"({"steps": [5, 50, 50, 100]})", "rollout: steps/2: 50 is not above the previous step 50"},
      {R"({"steps": [5, 50]})",
       "rollout: steps/1: the last step is 50; it must be 100, so that a rollout that passes "
       "every step ends in a promotion"},
      {R"({"steps": []})", "rollout: steps: expected 1 to 100 steps ending at 100, got 0"},
      {R"({"steps": "5,100"})",
       "rollout: steps: expected a list of canary weights in percent, got '5,100'"},
      {R"({"steps": [0, 100]})", "rollout: steps/0: expected a weight in (0, 100], got '0'"},
      {R"({"steps": [-5, 100]})", "rollout: steps/0: expected a weight in (0, 100], got '-5'"},
      {R"({"steps": [5, 101]})", "rollout: steps/1: expected a weight in (0, 100], got '101'"},
      {R"({"steps": [5, "x", 100]})", "rollout: steps/1: expected a weight in (0, 100], got 'x'"},
      {R"({"stepz": [5, 100]})",
       "rollout: stepz: unknown field 'stepz' (known fields: steps, min_requests, "
       "max_error_rate, max_p99_latency_ratio, max_disagreement_rate, max_ood_rate, "
       "max_step_seconds, on_timeout, min_requests_for_rollback)"},
      {R"({"min_requests": 0})",
       "rollout: min_requests: expected an integer in [1, 1000000000], got '0'"},
      {R"({"min_requests": 2.5})",
       "rollout: min_requests: expected an integer in [1, 1000000000], got '2.5'"},
      {R"({"min_requests": "100"})",
       "rollout: min_requests: expected an integer in [1, 1000000000], got '100'"},
      {R"({"max_error_rate": 1.5})",
       "rollout: max_error_rate: expected a number in [0, 1], got '1.5'"},
      {R"({"max_error_rate": true})",
       "rollout: max_error_rate: expected a number in [0, 1], got 'true'"},
      {R"({"max_p99_latency_ratio": 0.9})",
       "rollout: max_p99_latency_ratio: expected a number in [1, 1000], got '0.9'"},
      {R"({"max_disagreement_rate": -0.1})",
       "rollout: max_disagreement_rate: expected a number in [0, 1], got '-0.1'"},
      {R"({"max_ood_rate": 2})", "rollout: max_ood_rate: expected a number in [0, 1], got '2'"},
      {R"({"max_step_seconds": 0})",
       "rollout: max_step_seconds: expected a number in [1, 2592000], got '0'"},
      {R"({"on_timeout": "pause"})",
       "rollout: on_timeout: expected hold, rollback or promote, got 'pause'"},
      {R"({"on_timeout": 1})", "rollout: on_timeout: expected a string, got '1'"},
      {R"({"min_requests": 10, "min_requests_for_rollback": 20})",
       "rollout: min_requests_for_rollback: 20 is above min_requests 10: a breach must be "
       "judged no later than the step"},
      {R"({"min_requests_for_rollback": 0})",
       "rollout: min_requests_for_rollback: expected an integer in [1, 1000000000], got '0'"},
      {R"([5, 25, 100])", "rollout: (top level): expected a mapping, got '[5,25,100]'"},
  };
  for (const Case& c : cases) {
    auto p = ParseCanaryPolicy(J(c.json), "rollout");
    ASSERT_FALSE(p.ok()) << c.json;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_EQ(p.status().message(), c.message) << c.json;
  }
}

TEST(CanaryPolicy, ErrorsFromASpecNameFileAndLine) {
  auto doc = ParseYaml(
      "deployments:\n"
      "  - endpoint: iris\n"
      "    rollout:\n"
      "      min_requests: 50\n"
      "      steps:\n"
      "        - 5\n"
      "        - 50\n"
      "        - 40\n"
      "        - 100\n",
      "serve.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status();
  auto p = ParseCanaryPolicy(SpecReader(*doc, "/deployments/0/rollout"));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(),
            "serve.yaml:8: deployments/0/rollout/steps/2: 40 is not above the previous step 50");
}

TEST(CanaryPolicy, NamesItsTimeoutActions) {
  EXPECT_EQ(OnTimeoutName(CanaryPolicy::OnTimeout::kHold), "hold");
  EXPECT_EQ(OnTimeoutName(CanaryPolicy::OnTimeout::kRollback), "rollback");
  EXPECT_EQ(OnTimeoutName(CanaryPolicy::OnTimeout::kPromote), "promote");
  EXPECT_EQ(ActionName(Action::kHold), "hold");
  EXPECT_EQ(ActionName(Action::kAdvance), "advance");
  EXPECT_EQ(ActionName(Action::kPromote), "promote");
  EXPECT_EQ(ActionName(Action::kRollback), "rollback");
}

// --- Decisions --------------------------------------------------------------

VersionWindow Primary(int64_t requests = 1000, double p99 = 0.100) {
  VersionWindow w;
  w.requests = requests;
  w.p99_seconds = p99;
  return w;
}

VersionWindow Canary(int64_t requests, int64_t errors = 0, double p99 = 0.110) {
  VersionWindow w;
  w.requests = requests;
  w.errors = errors;
  w.p99_seconds = p99;
  return w;
}

TEST(CanaryRollout, HoldsWhileWaitingForTraffic) {
  RolloutDecision d = DecideRollout(CanaryPolicy{}, 5, Primary(), Canary(50), 30);
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.from_weight, 5);
  EXPECT_EQ(d.to_weight, 5);
  EXPECT_EQ(d.reason,
            "waiting for traffic: 50 of 100 canary requests needed to judge the 5% step (30 s of "
            "max_step_seconds 600)");
}

TEST(CanaryRollout, AdvancesToTheNextStepOnceThePassedStepHasEnoughRequests) {
  RolloutDecision d = DecideRollout(CanaryPolicy{}, 25, Primary(), Canary(120, 1), 100);
  EXPECT_EQ(d.action, Action::kAdvance);
  EXPECT_EQ(d.from_weight, 25);
  EXPECT_EQ(d.to_weight, 50);
  EXPECT_EQ(d.reason,
            "all checks passed over 120 canary requests at 25%: error rate 0.00833 (1/120) ≤ "
            "0.01, p99 ratio 1.1 ≤ 1.5, disagreement rate skipped (no compared requests), OOD "
            "rate 0 (0/120) ≤ 0.1; advancing from 25% to 50%");
}

TEST(CanaryRollout, ARateExactlyAtItsLimitPasses) {
  RolloutDecision d = DecideRollout(CanaryPolicy{}, 5, Primary(), Canary(100, 1), 10);
  EXPECT_EQ(d.action, Action::kAdvance) << d.reason;
}

TEST(CanaryRollout, PromotesAtTheLastStepWithoutPrimaryTraffic) {
  // At 100% the primary serves nothing: no latency baseline, the absolute
  // checks still gate the promotion.
  RolloutDecision d = DecideRollout(CanaryPolicy{}, 100, Primary(0, 0), Canary(200), 60);
  EXPECT_EQ(d.action, Action::kPromote) << d.reason;
  EXPECT_EQ(d.to_weight, 100);
  EXPECT_NE(d.reason.find("p99 ratio skipped (the primary served no requests this step)"),
            std::string::npos)
      << d.reason;
  EXPECT_NE(d.reason.find("promoting: the canary becomes the primary"), std::string::npos);
  EXPECT_EQ(d.numbers["checks"]["p99_latency_ratio"]["skipped"],
            "the primary served no requests this step");
}

TEST(CanaryRollout, RollsBackOnErrorRateAtJudgement) {
  RolloutDecision d = DecideRollout(CanaryPolicy{}, 25, Primary(), Canary(120, 6), 100);
  EXPECT_EQ(d.action, Action::kRollback);
  EXPECT_EQ(d.to_weight, 0);
  EXPECT_EQ(d.reason,
            "canary error rate 0.05 (6/120) exceeds max_error_rate 0.01 at 25% after 120 canary "
            "requests; rolling back");
}

TEST(CanaryRollout, RollsBackEarlyOnceTheBreachIsDecided) {
  RolloutDecision d = DecideRollout(CanaryPolicy{}, 5, Primary(), Canary(60, 5), 20);
  EXPECT_EQ(d.action, Action::kRollback);
  EXPECT_EQ(d.reason,
            "canary error rate 0.0833 (5/60) exceeds max_error_rate 0.01, and would still exceed "
            "it after 40 more clean requests at 5% after 60 canary requests; rolling back");
  EXPECT_DOUBLE_EQ(d.numbers["checks"]["error_rate"]["decided_value"].get<double>(), 0.05);
}

TEST(CanaryRollout, OneEarlyErrorDoesNotRollBackButTwoDo) {
  // 1 error in 20 could still end the step at 1/100 = the limit: undecided.
  EXPECT_EQ(DecideRollout(CanaryPolicy{}, 5, Primary(), Canary(20, 1), 5).action, Action::kHold);
  // 2 in 20 ends at ≥ 2/100 whatever follows.
  EXPECT_EQ(DecideRollout(CanaryPolicy{}, 5, Primary(), Canary(20, 2), 5).action,
            Action::kRollback);
}

TEST(CanaryRollout, NoRollbackBeforeMinRequestsForRollback) {
  RolloutDecision d = DecideRollout(CanaryPolicy{}, 5, Primary(), Canary(10, 5), 5);
  EXPECT_EQ(d.action, Action::kHold) << d.reason;
  EXPECT_EQ(d.numbers["checks"]["error_rate"]["judged"], false);
}

TEST(CanaryRollout, RollsBackOnLatencyRatio) {
  RolloutDecision d =
      DecideRollout(CanaryPolicy{}, 50, Primary(1000, 0.1), Canary(100, 0, 0.25), 100);
  EXPECT_EQ(d.action, Action::kRollback);
  EXPECT_EQ(d.reason,
            "canary p99 latency 0.25 s is 2.5× the primary's 0.1 s, above max_p99_latency_ratio "
            "1.5 at 50% after 100 canary requests; rolling back");
  EXPECT_DOUBLE_EQ(d.numbers["checks"]["p99_latency_ratio"]["value"].get<double>(), 2.5);
}

TEST(CanaryRollout, LatencyIsNotJudgedBeforeMinRequests) {
  // The p99 of 50 requests is a slow first request, not a trend.
  RolloutDecision d = DecideRollout(CanaryPolicy{}, 5, Primary(), Canary(50, 0, 5.0), 30);
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.numbers["checks"]["p99_latency_ratio"]["skipped"], "judged from min_requests on");
}

TEST(CanaryRollout, SkipsLatencyWhenThePrimaryP99IsZero) {
  RolloutDecision d = DecideRollout(CanaryPolicy{}, 50, Primary(500, 0), Canary(100, 0, 9), 60);
  EXPECT_EQ(d.action, Action::kAdvance) << d.reason;
  EXPECT_EQ(d.numbers["checks"]["p99_latency_ratio"]["skipped"],
            "the primary's p99 was not measured");
}

TEST(CanaryRollout, RollsBackOnDisagreementWithThePrimary) {
  VersionWindow canary = Canary(200);
  canary.compared = 100;
  canary.disagreements = 10;
  RolloutDecision d = DecideRollout(CanaryPolicy{}, 25, Primary(), canary, 60);
  EXPECT_EQ(d.action, Action::kRollback);
  EXPECT_EQ(d.reason,
            "canary top-1 disagreement with the primary 0.1 (10/100) exceeds "
            "max_disagreement_rate 0.05 at 25% after 200 canary requests; rolling back");
}

TEST(CanaryRollout, SkipsDisagreementWhenNothingWasCompared) {
  RolloutDecision d = DecideRollout(CanaryPolicy{}, 25, Primary(), Canary(200), 60);
  EXPECT_EQ(d.action, Action::kAdvance);
  EXPECT_EQ(d.numbers["checks"]["disagreement_rate"]["skipped"], "no compared requests");
  EXPECT_EQ(d.numbers["checks"]["disagreement_rate"]["breached"], false);
}

TEST(CanaryRollout, RollsBackOnOutOfDistributionRate) {
  VersionWindow canary = Canary(100);
  canary.ood_flags = 30;
  RolloutDecision d = DecideRollout(CanaryPolicy{}, 5, Primary(), canary, 60);
  EXPECT_EQ(d.action, Action::kRollback);
  EXPECT_EQ(d.reason,
            "canary out-of-distribution rate 0.3 (30/100) exceeds max_ood_rate 0.1 at 5% after "
            "100 canary requests; rolling back");
}

TEST(CanaryRollout, ReportsEveryBreachAtOnce) {
  VersionWindow canary = Canary(100, 10, 1.0);
  canary.ood_flags = 50;
  RolloutDecision d = DecideRollout(CanaryPolicy{}, 5, Primary(), canary, 60);
  EXPECT_EQ(d.action, Action::kRollback);
  EXPECT_NE(d.reason.find("canary error rate 0.1 (10/100)"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("; canary p99 latency 1 s is 10×"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("; canary out-of-distribution rate 0.5 (50/100)"), std::string::npos)
      << d.reason;
}

TEST(CanaryRollout, TimeoutHoldsByDefault) {
  RolloutDecision d = DecideRollout(CanaryPolicy{}, 5, Primary(), Canary(40), 600);
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.reason,
            "not enough traffic to judge: 40 of 100 canary requests needed to judge the 5% step "
            "after 600 s; holding (on_timeout: hold)");
  EXPECT_EQ(d.numbers["timed_out"], true);
}

TEST(CanaryRollout, TimeoutRollsBackWhenConfigured) {
  CanaryPolicy p;
  p.on_timeout = CanaryPolicy::OnTimeout::kRollback;
  RolloutDecision d = DecideRollout(p, 25, Primary(), Canary(40), 900);
  EXPECT_EQ(d.action, Action::kRollback);
  EXPECT_EQ(d.to_weight, 0);
  EXPECT_NE(d.reason.find("rolling back (on_timeout: rollback)"), std::string::npos);
}

TEST(CanaryRollout, TimeoutPromoteMovesOnWhenThePartialNumbersAreClean) {
  CanaryPolicy p;
  p.on_timeout = CanaryPolicy::OnTimeout::kPromote;
  RolloutDecision advance = DecideRollout(p, 50, Primary(), Canary(40), 600);
  EXPECT_EQ(advance.action, Action::kAdvance) << advance.reason;
  EXPECT_EQ(advance.to_weight, 100);
  EXPECT_NE(advance.reason.find("judged on the requests seen (on_timeout: promote)"),
            std::string::npos);
  RolloutDecision promote = DecideRollout(p, 100, Primary(0, 0), Canary(40), 600);
  EXPECT_EQ(promote.action, Action::kPromote) << promote.reason;
}

TEST(CanaryRollout, TimeoutPromoteHoldsWhenThePartialNumbersBreach) {
  CanaryPolicy p;
  p.on_timeout = CanaryPolicy::OnTimeout::kPromote;
  // 1 error in 10: too few requests to roll back, too many errors to move on.
  RolloutDecision d = DecideRollout(p, 5, Primary(), Canary(10, 1), 700);
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_NE(d.reason.find("because canary error rate 0.1 (1/10) exceeds max_error_rate 0.01"),
            std::string::npos)
      << d.reason;
  EXPECT_EQ(d.numbers["partial_checks"]["error_rate"]["breached"], true);
}

TEST(CanaryRollout, ZeroWeightHoldsRatherThanRestartingARolledBackCanary) {
  RolloutDecision d = DecideRollout(CanaryPolicy{}, 0, Primary(), Canary(500), 60);
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.to_weight, 0);
}

TEST(CanaryRollout, WeightOffTheStepsAdvancesToTheNextStepAboveIt) {
  RolloutDecision d = DecideRollout(CanaryPolicy{}, 30, Primary(), Canary(100), 60);
  EXPECT_EQ(d.action, Action::kAdvance);
  EXPECT_EQ(d.to_weight, 50);
}

TEST(CanaryRollout, NumbersRecordMeasurementsAndThresholds) {
  VersionWindow canary = Canary(150, 1, 0.12);
  canary.compared = 80;
  canary.disagreements = 2;
  canary.ood_flags = 3;
  RolloutDecision d = DecideRollout(CanaryPolicy{}, 25, Primary(900, 0.1), canary, 45);
  const Json& n = d.numbers;
  EXPECT_EQ(n["action"], "advance");
  EXPECT_EQ(n["weight"], 25);
  EXPECT_EQ(n["to_weight"], 50);
  EXPECT_EQ(n["step_seconds"], 45);
  EXPECT_EQ(n["primary"]["requests"], 900);
  EXPECT_EQ(n["canary"]["compared"], 80);
  EXPECT_EQ(n["canary"]["ood_flags"], 3);
  EXPECT_EQ(n["policy"], CanaryPolicyToJson(CanaryPolicy{}));
  EXPECT_DOUBLE_EQ(n["checks"]["error_rate"]["value"].get<double>(), 1.0 / 150);
  EXPECT_DOUBLE_EQ(n["checks"]["error_rate"]["limit"].get<double>(), 0.01);
  EXPECT_DOUBLE_EQ(n["checks"]["p99_latency_ratio"]["value"].get<double>(), 1.2);
  EXPECT_DOUBLE_EQ(n["checks"]["disagreement_rate"]["value"].get<double>(), 0.025);
  EXPECT_DOUBLE_EQ(n["checks"]["ood_rate"]["value"].get<double>(), 0.02);
  for (const char* check : {"error_rate", "p99_latency_ratio", "disagreement_rate", "ood_rate"}) {
    EXPECT_EQ(n["checks"][check]["breached"], false) << check;
  }
}

// A controller loop: traffic arrives in batches of 10 canary requests; a step
// ends with the decision that leaves it.
std::vector<RolloutDecision> Simulate(const CanaryPolicy& policy, double error_rate) {
  std::vector<RolloutDecision> decisions;
  double weight = policy.steps.front();
  VersionWindow canary;
  double seconds = 0;
  while (decisions.size() < 100) {
    canary.requests += 10;
    canary.p99_seconds = 0.105;
    canary.errors = static_cast<int64_t>(static_cast<double>(canary.requests) * error_rate);
    seconds += 10;
    RolloutDecision d = DecideRollout(policy, weight, Primary(), canary, seconds);
    decisions.push_back(d);
    if (d.action == Action::kPromote || d.action == Action::kRollback) break;
    if (d.action == Action::kAdvance) {
      weight = d.to_weight;
      canary = VersionWindow{};
      seconds = 0;
    }
  }
  return decisions;
}

std::vector<std::string> Moves(const std::vector<RolloutDecision>& decisions) {
  std::vector<std::string> out;
  for (const RolloutDecision& d : decisions) {
    if (d.action != Action::kHold) {
      out.push_back(fmt::format("{} {}->{}", ActionName(d.action), d.from_weight, d.to_weight));
    }
  }
  return out;
}

TEST(CanaryRollout, AGoodCanaryWalksEveryStepAndIsPromoted) {
  std::vector<RolloutDecision> decisions = Simulate(CanaryPolicy{}, 0.005);
  EXPECT_EQ(Moves(decisions), (std::vector<std::string>{"advance 5->25", "advance 25->50",
                                                        "advance 50->100", "promote 100->100"}));
  // Each step waits for min_requests: 9 holds and a move per step.
  EXPECT_EQ(decisions.size(), 4u * 10u);
}

TEST(CanaryRollout, ABadCanaryIsRolledBackAtItsFirstJudgement) {
  std::vector<RolloutDecision> decisions = Simulate(CanaryPolicy{}, 0.10);
  ASSERT_EQ(decisions.size(), 2u);  // 10 requests: not judged; 20: judged
  EXPECT_EQ(decisions[0].action, Action::kHold);
  EXPECT_EQ(decisions[1].action, Action::kRollback);
  EXPECT_EQ(decisions[1].from_weight, 5);
  EXPECT_EQ(decisions[1].to_weight, 0);
  EXPECT_NE(decisions[1].reason.find("canary error rate 0.1 (2/20)"), std::string::npos)
      << decisions[1].reason;
}

}  // namespace
}  // namespace citadel::serve
