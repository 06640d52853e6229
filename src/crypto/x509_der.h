// Internal to src/crypto: owning X.509 handles and strict DER parsing, for
// the files that read certificates.
#pragma once

#include <openssl/err.h>
#include <openssl/x509.h>

#include <memory>
#include <string_view>

namespace citadel::crypto::internal {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

// The certificate `der` holds, or null when it is not exactly one DER
// certificate: bytes after it would pass unsigned (OpenSSL's d2i stops at
// the end of the first structure and says nothing of what follows).
inline X509Ptr ParseDerCertificate(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const auto* const end = p + der.size();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != end) {
    ERR_clear_error();
    return nullptr;
  }
  return cert;
}

}  // namespace citadel::crypto::internal
