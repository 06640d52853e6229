// citadel keys generate, citadel sign REF|DIR, citadel verify REF|DIR:
// OpenSSF model signing (OMS v1.0 Sigstore bundles) of model directories or
// files (src/provenance), or of stored artifacts, whose bundles are kept in
// the catalog (workload/artifact_signing.h). An argument that is an
// existing path is a path; anything else is an artifact REF. The workspace
// key (keys/signing-key.pem, made by `citadel init`; Workspace::SigningKey)
// is the default signing key. `verify --chain REF` walks the artifact's
// provenance chain (cmd_provenance.cc).
#include <fmt/format.h>

#include <filesystem>

#include "base/system/files.h"
#include "cli.h"
#include "crypto/signing_key.h"
#include "provenance/model_signature.h"
#include "workload/artifact_signing.h"
#include "workload/ref_resolver.h"

namespace citadel::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPrivateKeyFile = workload::Workspace::kSigningKeyFile;
constexpr const char* kPublicKeyFile = workload::Workspace::kPublicKeyFile;

Result<fs::path> KeysDir(const Globals& globals, const std::string& out) {
  if (!out.empty()) return fs::path(out);
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  return ws->root() / "keys";
}

Status GenerateKeys(const Globals& globals, const std::string& algorithm_name,
                    const std::string& out, bool force) {
  ASSIGN_OR_RETURN(crypto::KeyAlgorithm algorithm, crypto::KeyAlgorithmFromName(algorithm_name));
  ASSIGN_OR_RETURN(fs::path dir, KeysDir(globals, out));
  const fs::path private_path = dir / kPrivateKeyFile, public_path = dir / kPublicKeyFile;
  if (fs::exists(private_path) && !force) {
    return AlreadyExistsError(fmt::format(
        "{} already exists (`citadel init` makes the workspace's key); what was signed with it "
        "would no longer verify with a new key: pass --force to replace it, or --out DIR for "
        "another key pair",
        private_path.string()));
  }
  RETURN_IF_ERROR(CreateDirectories(dir));
  ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::Generate(algorithm));
  RETURN_IF_ERROR(WriteFileAtomic(private_path, key.ToPem(), 0600));
  RETURN_IF_ERROR(WriteFileAtomic(public_path, key.Public().ToPem(), 0644));
  fmt::print("{} key pair:\n  private {}\n  public  {}\n", crypto::KeyAlgorithmName(algorithm),
             private_path.string(), public_path.string());
  return Status::Ok();
}

fs::path SignatureFor(const fs::path& model, const std::string& signature) {
  if (!signature.empty()) return signature;
  return fs::is_directory(model) ? model / provenance::kDefaultSignatureName
                                 : model.parent_path() / provenance::kDefaultSignatureName;
}

struct SignArgs {
  std::string model, key, signature, certificate;
  std::vector<std::string> ignore;
  uint64_t shard_size = 0;
};

Result<crypto::PrivateKey> LoadSigningKey(const Globals& globals, const std::string& key) {
  if (key.empty()) {
    ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
    return ws->SigningKey();
  }
  ASSIGN_OR_RETURN(std::string pem, ReadFile(key));
  return crypto::PrivateKey::FromPem(pem, key);
}

// The key, with the certificate chain that vouches for it when one is given.
Result<provenance::BundleSigner> LoadSigner(const Globals& globals, const SignArgs& args) {
  ASSIGN_OR_RETURN(crypto::PrivateKey key, LoadSigningKey(globals, args.key));
  if (args.certificate.empty()) return provenance::BundleSigner(std::move(key));
  ASSIGN_OR_RETURN(std::string pem, ReadFile(args.certificate));
  ASSIGN_OR_RETURN(std::vector<std::string> chain,
                   crypto::ReadPemCertificates(pem, args.certificate));
  return provenance::BundleSigner::WithCertificates(std::move(key), std::move(chain),
                                                    args.certificate);
}

// A stored artifact: its manifest is signed, the bundle kept in the catalog.
Status SignRef(const Globals& globals, const SignArgs& args) {
  if (!args.signature.empty() || !args.ignore.empty() || args.shard_size > 0) {
    return InvalidArgumentError(
        "--signature, --ignore and --shard-size apply to paths; an artifact is signed as its "
        "manifest lists it, and its bundle is kept in the catalog");
  }
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  ASSIGN_OR_RETURN(std::string id, workload::ResolveArtifactRef(ws->catalog(), args.model));
  ASSIGN_OR_RETURN(workload::LoadedArtifact artifact, workload::LoadArtifact(*ws, id));
  ASSIGN_OR_RETURN(provenance::BundleSigner signer, LoadSigner(globals, args));
  ASSIGN_OR_RETURN(std::string signed_by, workload::SignArtifact(*ws, artifact, signer));
  fmt::print("signed artifact {} ({}, {} files) with {}\n", id, artifact.record.name,
             artifact.manifest.files().size(), signed_by);
  return Status::Ok();
}

Status Sign(const Globals& globals, const SignArgs& args) {
  if (!fs::exists(args.model)) return SignRef(globals, args);
  ASSIGN_OR_RETURN(provenance::BundleSigner signer, LoadSigner(globals, args));
  provenance::Serialization serialization;
  serialization.ignore_paths = args.ignore;
  if (args.shard_size > 0) {
    serialization.method = "shards";
    serialization.shard_size = args.shard_size;
  }
  const fs::path model = args.model, signature = SignatureFor(model, args.signature);
  ASSIGN_OR_RETURN(Json bundle, provenance::SignModel(model, signer, serialization, signature));
  RETURN_IF_ERROR(WriteFileAtomic(signature, bundle.dump(2) + "\n"));
  fmt::print("signed {} with {} key ({}) → {}\n", model.string(),
             crypto::KeyAlgorithmName(signer.key().algorithm()), signer.Describe(),
             signature.string());
  return Status::Ok();
}

struct VerifyArgs {
  std::string model, key, signature;
  std::vector<std::string> ca;
  std::vector<std::string> identities, identity_patterns;
  std::string oidc_issuer;
  bool json = false;
  bool chain = false;
};

Status Verify(const Globals& globals, const VerifyArgs& args) {
  provenance::TrustAnchors anchors;
  if (!args.key.empty()) {
    ASSIGN_OR_RETURN(std::string pem, ReadFile(args.key));
    ASSIGN_OR_RETURN(crypto::PublicKey key, crypto::PublicKey::FromPem(pem, args.key));
    anchors.keys.push_back(std::move(key));
  }
  for (const std::string& ca : args.ca) {
    ASSIGN_OR_RETURN(std::string pem, ReadFile(ca));
    ASSIGN_OR_RETURN(std::vector<std::string> roots, crypto::ReadPemCertificates(pem, ca));
    anchors.roots.insert(anchors.roots.end(), roots.begin(), roots.end());
  }
  if (!args.oidc_issuer.empty() && args.identities.empty() && args.identity_patterns.empty()) {
    return InvalidArgumentError(
        "--oidc-issuer qualifies --identity or --identity-regexp: give one");
  }
  for (const std::string& identity : args.identities) {
    anchors.identities.push_back(provenance::SignerIdentityRule::Exact(identity, args.oidc_issuer));
  }
  for (const std::string& pattern : args.identity_patterns) {
    ASSIGN_OR_RETURN(provenance::SignerIdentityRule rule,
                     provenance::SignerIdentityRule::Regexp(pattern, args.oidc_issuer));
    anchors.identities.push_back(std::move(rule));
  }
  if (args.chain) {
    if (!args.signature.empty()) {
      return InvalidArgumentError(
          "--signature names a bundle file; --chain verifies the attestations in the catalog");
    }
    return VerifyChain(globals, args.model, std::move(anchors), args.json);
  }
  const fs::path model = args.model;
  const bool is_path = fs::exists(model);
  const fs::path signature = is_path ? SignatureFor(model, args.signature) : fs::path("catalog");
  Result<provenance::VerifiedModel> verified = Status::Ok();
  if (is_path) {
    ASSIGN_OR_RETURN(std::string bundle, ReadFile(signature));
    verified = provenance::VerifyModel(model, bundle, anchors, signature);
  } else {
    ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
    ASSIGN_OR_RETURN(std::string id, workload::ResolveArtifactRef(ws->catalog(), args.model));
    ASSIGN_OR_RETURN(workload::LoadedArtifact artifact, workload::LoadArtifact(*ws, id));
    verified = workload::VerifyArtifact(*ws, artifact, anchors);
  }
  if (args.json) {
    PrintJson({{"model", model.string()},
               {"signature", signature.string()},
               {"verified", verified.ok()},
               {"signer", verified.ok() ? verified->signer : ""},
               {"resources", verified.ok() ? verified->resources : 0},
               {"error", verified.ok() ? "" : verified.status().message()}});
  }
  if (!verified.ok()) {
    return verified.status().WithContext(
        fmt::format("verifying {} against {}", model.string(), signature.string()));
  }
  if (!args.json) {
    fmt::print("verified {}: {} resources, signed by {}\n", model.string(), verified->resources,
               verified->signer);
  }
  return Status::Ok();
}

}  // namespace

void AddSigningCommands(CLI::App& app, Command& cmd) {
  auto* keys = app.add_subcommand("keys", "Signing keys");
  keys->require_subcommand(1);
  auto* generate = keys->add_subcommand(
      "generate", "Create a signing key pair (the workspace's, or in --out DIR)");
  auto algorithm = std::make_shared<std::string>("ecdsa-p256");
  auto out = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  generate->add_option("--algorithm", *algorithm, "ecdsa-p256 (default), ecdsa-p384 or ed25519")
      ->check(CLI::IsMember({"ecdsa-p256", "ecdsa-p384", "ed25519"}));
  generate->add_option("--out", *out, "Directory for signing-key.pem and signing-key.pub.pem");
  generate->add_flag("--force", *force, "Replace an existing key pair");
  generate->callback([&cmd, algorithm, out, force] {
    cmd.action = [&cmd, algorithm, out, force] {
      return GenerateKeys(cmd.globals, *algorithm, *out, *force);
    };
  });

  auto sign_args = std::make_shared<SignArgs>();
  auto* sign = app.add_subcommand(
      "sign", "Sign a model directory or file with an OpenSSF model signing (OMS) bundle");
  sign->add_option("model", sign_args->model, "Model directory or file, or an artifact REF")
      ->required();
  sign->add_option("--key", sign_args->key, "Private key PEM (default: the workspace's)");
  sign->add_option("--certificate", sign_args->certificate,
                   "Sign certificate-based: PEM with the key's code-signing certificate, then "
                   "any intermediate CA certificates (verifiers then need --cert-chain ROOT)");
  sign->add_option("--signature", sign_args->signature,
                   "Where to write the bundle (default: model.sig in the model directory)");
  sign->add_option("--ignore", sign_args->ignore, "Paths inside the model to leave out");
  sign->add_option("--shard-size", sign_args->shard_size,
                   "Hash files in shards of this many bytes (OMS shard mode)")
      ->check(CLI::PositiveNumber);
  sign->callback([&cmd, sign_args] {
    cmd.action = [&cmd, sign_args] { return Sign(cmd.globals, *sign_args); };
  });

  auto verify_args = std::make_shared<VerifyArgs>();
  auto* verify = app.add_subcommand(
      "verify", "Verify a model's OMS signature; exit 1 naming what does not match");
  verify->add_option("model", verify_args->model, "Model directory or file, or an artifact REF")
      ->required();
  auto* key_option = verify->add_option("--key", verify_args->key, "The signer's public key PEM");
  auto* ca_option =
      verify
          ->add_option("--cert-chain", verify_args->ca,
                       "Trusted CA certificates (PEM) for certificate-based signatures")
          ->excludes(key_option);
  verify
      ->add_option("--identity", verify_args->identities,
                   "Trust only a signing certificate issued to this name: a subjectAltName "
                   "value of any type, or of one with email: / uri: / dns:, or the subject DN "
                   "with subject: (subject:CN=release,O=Acme); repeatable")
      ->needs(ca_option);
  verify
      ->add_option("--identity-regexp", verify_args->identity_patterns,
                   "Like --identity, with a regular expression matching the whole name (after "
                   "its type prefix)")
      ->needs(ca_option);
  verify
      ->add_option("--oidc-issuer", verify_args->oidc_issuer,
                   "With --identity / --identity-regexp: the certificate must also record this "
                   "OIDC issuer (the Sigstore / Fulcio certificate extension)")
      ->needs(ca_option);

  verify->add_option("--signature", verify_args->signature,
                     "The bundle (default: model.sig in the model directory)");
  verify->add_flag("--json", verify_args->json, "JSON result");
  verify->add_flag("--chain", verify_args->chain,
                   "Verify the artifact's provenance chain: model → training run attestation → "
                   "dataset attestations → source files, every signature and digest (trusting "
                   "--key / --cert-chain, else policy.yaml's keys, and the workspace key)");
  verify->callback([&cmd, verify_args] {
    cmd.action = [&cmd, verify_args] { return Verify(cmd.globals, *verify_args); };
  });
}

}  // namespace citadel::cli
