#include "provenance/signed_statement.h"

#include <fmt/format.h>

#include "base/text/base64.h"
#include "crypto/sha256.h"

namespace citadel::provenance {
namespace {

// DSSE's pre-authentication encoding: what the signature covers.
std::string Pae(std::string_view type, std::string_view body) {
  return fmt::format("DSSEv1 {} {} {} {}", type.size(), type, body.size(), body);
}

Result<std::string> ReadBase64(const Json& object, const char* key, std::string_view what) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_string()) {
    return InvalidArgumentError(fmt::format("bundle: {} has no {}", what, key));
  }
  std::optional<std::string> bytes = Base64Decode(object[key].get<std::string>());
  if (!bytes) return InvalidArgumentError(fmt::format("bundle: {}.{} is not base64", what, key));
  return *bytes;
}

struct Candidate {
  crypto::PublicKey key;
  std::string signer;
};

// The keys the bundle's signature may verify with: the certificate chain's
// leaf once the chain verifies to a trusted CA, or the trusted keys the
// bundle's hint (or embedded key) names.
Result<std::vector<Candidate>> CandidateKeys(const Json& material, const TrustAnchors& anchors) {
  if (!material.is_object()) return InvalidArgumentError("bundle: no verificationMaterial");
  if (material.contains("x509CertificateChain") || material.contains("certificate")) {
    if (anchors.roots.empty()) {
      return InvalidArgumentError(
          "the bundle is signed with a certificate: give the trusted CA certificates "
          "(--cert-chain PEM)");
    }
    std::vector<std::string> chain;
    const Json certs = material.contains("certificate")
                           ? Json::array({material["certificate"]})
                           : material["x509CertificateChain"].value("certificates", Json());
    if (!certs.is_array()) return InvalidArgumentError("bundle: certificates is not a list");
    for (const Json& c : certs) {
      ASSIGN_OR_RETURN(std::string der, ReadBase64(c, "rawBytes", "a certificate"));
      chain.push_back(std::move(der));
    }
    ASSIGN_OR_RETURN(crypto::VerifiedCertificate certificate,
                     crypto::VerifyCertificateChain(chain, anchors.roots, "bundle"));
    RETURN_IF_ERROR(CheckSignerIdentity(certificate.identity, anchors.identities));
    return std::vector<Candidate>{
        {certificate.key, "certificate " + certificate.identity.Describe()}};
  }
  if (!material.contains("publicKey")) {
    return InvalidArgumentError(
        "bundle: verificationMaterial has neither publicKey nor certificates");
  }
  if (anchors.keys.empty()) {
    return InvalidArgumentError("the bundle is signed with a key: give its public key (--key PEM)");
  }
  const Json& pk = material["publicKey"];
  std::string hint;
  if (pk.contains("hint") && pk["hint"].is_string()) hint = pk["hint"].get<std::string>();
  std::optional<std::string> embedded_pem;
  if (pk.contains("rawBytes")) {
    ASSIGN_OR_RETURN(std::string pem, ReadBase64(pk, "rawBytes", "publicKey"));
    ASSIGN_OR_RETURN(crypto::PublicKey embedded,
                     crypto::PublicKey::FromPem(pem, "bundle publicKey"));
    embedded_pem = embedded.ToPem();
  }
  std::vector<Candidate> candidates;
  std::vector<std::string> trusted_hints;
  for (const crypto::PublicKey& key : anchors.keys) {
    const std::string key_hint = KeyHint(key);
    trusted_hints.push_back(key_hint);
    if (!hint.empty() && hint != key_hint) continue;
    if (embedded_pem && *embedded_pem != key.ToPem()) continue;
    candidates.push_back({key, fmt::format("key sha256:{}", key_hint)});
  }
  if (candidates.empty()) {
    return PermissionDeniedError(fmt::format(
        "the bundle was signed by another key than the trusted ones ({}; trusted: {})",
        hint.empty() ? "an embedded key" : "hint " + hint, fmt::join(trusted_hints, ", ")));
  }
  return candidates;
}

Result<OpenedStatement> OpenUnchecked(std::string_view bundle_text, const TrustAnchors& anchors) {
  Json bundle;
  try {
    bundle = Json::parse(bundle_text);
  } catch (const Json::exception& e) {
    return InvalidArgumentError(fmt::format("the signature file is not JSON: {}", e.what()));
  }
  if (!bundle.is_object() || bundle.value("mediaType", "") != kBundleMediaType) {
    return InvalidArgumentError(
        fmt::format("bundle: mediaType is not {} (a Sigstore bundle v0.3)", kBundleMediaType));
  }
  if (!bundle.contains("dsseEnvelope")) return InvalidArgumentError("bundle: no dsseEnvelope");
  const Json& envelope = bundle["dsseEnvelope"];
  ASSIGN_OR_RETURN(std::string payload, ReadBase64(envelope, "payload", "dsseEnvelope"));
  if (envelope.value("payloadType", "") != kInTotoPayloadType) {
    return InvalidArgumentError(fmt::format("bundle: payloadType is not {}", kInTotoPayloadType));
  }
  if (!envelope.contains("signatures") || !envelope["signatures"].is_array() ||
      envelope["signatures"].empty()) {
    return InvalidArgumentError("bundle: the envelope holds no signature");
  }
  ASSIGN_OR_RETURN(std::string sig, ReadBase64(envelope["signatures"][0], "sig", "signature"));
  ASSIGN_OR_RETURN(std::vector<Candidate> candidates,
                   CandidateKeys(bundle.value("verificationMaterial", Json()), anchors));
  const std::string signed_bytes = Pae(kInTotoPayloadType, payload);
  std::string signer, failure;
  for (const Candidate& c : candidates) {
    Status verified = c.key.Verify(signed_bytes, sig);
    if (verified.ok()) {
      signer = c.signer;
      break;
    }
    if (failure.empty()) failure = verified.message();
  }
  if (signer.empty()) {
    return PermissionDeniedError(fmt::format(
        "the signature does not verify ({}): the envelope or its signature was altered, or "
        "another key signed it",
        failure));
  }

  Json statement;
  try {
    statement = Json::parse(payload);
  } catch (const Json::exception&) {
    return InvalidArgumentError("bundle: the signed payload is not JSON");
  }
  if (!statement.is_object() || statement.value("_type", "") != kStatementType) {
    return InvalidArgumentError(
        fmt::format("bundle: the signed payload is not an in-toto Statement v1 (_type {})",
                    statement.is_object() ? statement.value("_type", "missing") : "missing"));
  }
  return OpenedStatement{std::move(signer), std::move(statement)};
}

}  // namespace

std::string KeyHint(const crypto::PublicKey& key) { return crypto::Sha256::Of(key.ToPem()).Hex(); }

BundleSigner::BundleSigner(crypto::PrivateKey key)
    : key_(std::move(key)), description_("key sha256:" + KeyHint(key_.Public())) {}

Result<BundleSigner> BundleSigner::WithCertificates(crypto::PrivateKey key,
                                                    std::vector<std::string> chain_der,
                                                    std::string_view source) {
  if (chain_der.empty()) {
    return InvalidArgumentError(fmt::format("{}: the certificate chain is empty", source));
  }
  ASSIGN_OR_RETURN(crypto::PublicKey certified,
                   crypto::SigningCertificateKey(chain_der[0], source));
  if (certified.ToPem() != key.Public().ToPem()) {
    return InvalidArgumentError(fmt::format(
        "{}: the signing certificate was issued for another key than the signing key; give "
        "the certificate of this key (first in the file, intermediates after it)",
        source));
  }
  ASSIGN_OR_RETURN(crypto::CertificateIdentity identity,
                   crypto::ReadCertificateIdentity(chain_der[0], source));
  BundleSigner signer(std::move(key));
  signer.chain_ = std::move(chain_der);
  signer.description_ = "certificate " + identity.Describe();
  return signer;
}

Result<Json> SignStatement(const Json& statement, const BundleSigner& signer) {
  const std::string payload = statement.dump(2);
  ASSIGN_OR_RETURN(std::string sig, signer.key().Sign(Pae(kInTotoPayloadType, payload)));
  Json material = {{"tlogEntries", Json::array()}};
  if (signer.certificate_chain().empty()) {
    material["publicKey"] = {{"hint", KeyHint(signer.key().Public())}};
  } else {
    Json certificates = Json::array();
    for (const std::string& der : signer.certificate_chain()) {
      certificates.push_back({{"rawBytes", Base64Encode(der)}});
    }
    material["x509CertificateChain"] = {{"certificates", std::move(certificates)}};
  }
  return Json{{"mediaType", kBundleMediaType},
              {"verificationMaterial", std::move(material)},
              {"dsseEnvelope",
               {{"payload", Base64Encode(payload)},
                {"payloadType", kInTotoPayloadType},
                {"signatures", Json::array({{{"sig", Base64Encode(sig)}, {"keyid", ""}}})}}}};
}

Result<OpenedStatement> OpenSignedStatement(std::string_view bundle_text,
                                            const TrustAnchors& anchors) {
  // The bundle comes from outside: a field of an unexpected JSON type
  // anywhere in it is a malformed bundle, never an escaped exception.
  try {
    return OpenUnchecked(bundle_text, anchors);
  } catch (const Json::exception& e) {
    return InvalidArgumentError(
        fmt::format("bundle: a field has the wrong JSON type ({})", e.what()));
  }
}

}  // namespace citadel::provenance
