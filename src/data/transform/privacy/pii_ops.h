// The privacy transforms (redact, hash, drop; see pii_ops.cc) as seen from
// the rest of src/data: which ops count as protecting a column, and the id
// under which a PII key is recorded.
#pragma once

#include <string>
#include <string_view>

namespace citadel::data {

// True for the ops that remove or pseudonymise PII: "redact", "hash" and
// "drop". The `pii: deny` policy treats an input column processed by one of
// them as protected.
bool IsPrivacyOp(std::string_view op);

// The public id of a PII HMAC key: the first 8 hex characters of
// SHA-256("citadel-pii-key-id" + key). Safe to store and print; it names the
// key without revealing it.
std::string PiiKeyId(std::string_view key);

}  // namespace citadel::data
