#include "crypto/certificate_identity.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "crypto/x509_der.h"

namespace citadel::crypto {
namespace {

// Fulcio's certificate extensions (github.com/sigstore/fulcio docs/oid-info.md).
constexpr const char* kOidcIssuerV2 = "1.3.6.1.4.1.57264.1.8";  // DER UTF8String
constexpr const char* kOidcIssuerV1 = "1.3.6.1.4.1.57264.1.1";  // raw bytes, deprecated

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct NamesFree {
  void operator()(GENERAL_NAMES* n) const { GENERAL_NAMES_free(n); }
};
struct ObjectFree {
  void operator()(ASN1_OBJECT* o) const { ASN1_OBJECT_free(o); }
};
struct Utf8Free {
  void operator()(ASN1_UTF8STRING* s) const { ASN1_UTF8STRING_free(s); }
};

std::string NameText(const X509_NAME* name) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "";
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

// The string's bytes; InvalidArgument when it hides a NUL, the classic way
// to make "ceo@bank.example\0.evil.example" read as someone else.
Result<std::string> StringOf(const ASN1_STRING* s, std::string_view what, std::string_view source) {
  std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                   static_cast<size_t>(ASN1_STRING_length(s)));
  if (text.find('\0') != std::string::npos) {
    return InvalidArgumentError(
        fmt::format("{}: the signing certificate's {} contains a NUL byte", source, what));
  }
  return text;
}

Result<std::vector<std::string>> AltNames(X509* cert, std::string_view source) {
  std::vector<std::string> names;
  int critical = -1;
  std::unique_ptr<GENERAL_NAMES, NamesFree> general(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, &critical, nullptr)));
  if (!general) {
    ERR_clear_error();
    if (critical == -1) return names;  // no subjectAltName
    return InvalidArgumentError(fmt::format(
        "{}: the signing certificate's subjectAltName is malformed or repeated", source));
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(general.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(general.get(), i);
    const char* type = nullptr;
    switch (name->type) {
      case GEN_EMAIL:
        type = "email";
        break;
      case GEN_URI:
        type = "URI";
        break;
      case GEN_DNS:
        type = "DNS";
        break;
      default:
        break;  // IP addresses, directory names, other names: not identities we match
    }
    if (type == nullptr) continue;
    ASSIGN_OR_RETURN(std::string value, StringOf(name->d.ia5, "subjectAltName", source));
    names.push_back(fmt::format("{}:{}", type, value));
  }
  return names;
}

Result<std::string> OidcIssuer(X509* cert, std::string_view source) {
  for (const char* oid : {kOidcIssuerV2, kOidcIssuerV1}) {
    std::unique_ptr<ASN1_OBJECT, ObjectFree> object(OBJ_txt2obj(oid, 1));
    const int index = X509_get_ext_by_OBJ(cert, object.get(), -1);
    if (index < 0) continue;
    const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(cert, index));
    if (oid == kOidcIssuerV1) return StringOf(data, "OIDC issuer", source);
    const unsigned char* p = ASN1_STRING_get0_data(data);
    const unsigned char* const end = p + ASN1_STRING_length(data);
    std::unique_ptr<ASN1_UTF8STRING, Utf8Free> text(
        d2i_ASN1_UTF8STRING(nullptr, &p, ASN1_STRING_length(data)));
    if (!text || p != end) {
      ERR_clear_error();
      return InvalidArgumentError(fmt::format(
          "{}: the signing certificate's OIDC issuer extension ({}) is not a UTF8String", source,
          oid));
    }
    return StringOf(text.get(), "OIDC issuer", source);
  }
  return std::string();
}

// Names come from whoever asked the CA: no line breaks or terminal escapes
// reach messages and logs.
std::string Printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string CertificateIdentity::Describe() const {
  std::string who = alt_names.empty() ? (subject.empty() ? "(no name)" : subject)
                                      : fmt::format("{}", fmt::join(alt_names, ", "));
  if (!oidc_issuer.empty()) who += fmt::format(" (OIDC issuer {})", oidc_issuer);
  return Printable(fmt::format("{}, issued by {}", who, issuer));
}

Result<CertificateIdentity> ReadCertificateIdentity(std::string_view der, std::string_view source) {
  internal::X509Ptr cert = internal::ParseDerCertificate(der);
  if (!cert) {
    return InvalidArgumentError(
        fmt::format("{}: the signing certificate is not one DER X.509 certificate", source));
  }
  CertificateIdentity identity;
  identity.subject = NameText(X509_get_subject_name(cert.get()));
  identity.issuer = NameText(X509_get_issuer_name(cert.get()));
  ASSIGN_OR_RETURN(identity.alt_names, AltNames(cert.get(), source));
  ASSIGN_OR_RETURN(identity.oidc_issuer, OidcIssuer(cert.get(), source));
  return identity;
}

}  // namespace citadel::crypto
