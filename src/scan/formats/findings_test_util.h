// Helpers the format readers' tests share: findings as text for failure
// messages, looking one up, and reading a fixture under tests/fixtures.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/system/files.h"
#include "scan/findings.h"

namespace citadel::scan::testutil {

inline std::string Rules(const std::vector<Finding>& findings) {
  std::string out;
  for (const Finding& f : findings) {
    out += std::string(SeverityName(f.severity)) + " " + f.rule + " [" + f.entry + "] @" +
           std::to_string(f.offset) + " " + f.detail + "\n";
  }
  return out;
}

// A finding of `rule` whose detail contains `detail` (and of `severity`, when given).
inline bool Has(const std::vector<Finding>& findings, std::string_view rule,
                std::string_view detail, std::optional<Severity> severity = std::nullopt) {
  for (const Finding& f : findings) {
    if (f.rule == rule && (!severity || f.severity == *severity) &&
        f.detail.find(detail) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// tests/fixtures/<dir>/<name>, read from the repository root.
inline std::string ReadFixture(const std::string& dir, const std::string& name) {
  auto bytes = ReadFile("tests/fixtures/" + dir + "/" + name);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : std::string();
}

}  // namespace citadel::scan::testutil
