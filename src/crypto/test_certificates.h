// Test support (never linked into the product): a throwaway CA that issues
// certificates through the openssl command line — a peer minting them, so
// tests do not check our X.509 reading against our own writing.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "base/system/files.h"
#include "base/testing/scratch_dir.h"
#include "crypto/signing_key.h"

namespace citadel::crypto {

class TestCertificateAuthority {
 public:
  // A P-256 CA "CN=test-ca" in a fresh scratch directory.
  TestCertificateAuthority() {
    const std::string d = dir_.path().string();
    EXPECT_TRUE(
        OpenSsl("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
                "-subj /CN=test-ca -addext basicConstraints=critical,CA:TRUE -addext "
                "keyUsage=critical,keyCertSign -keyout " +
                d + "/ca.key -out " + d + "/ca.pem"));
    ca_pem_ = Read(dir_ / "ca.pem");
  }

  const std::string& ca_pem() const { return ca_pem_; }
  // The CA certificate as DER, what VerifyCertificateChain trusts.
  std::string ca_der() const {
    Result<std::vector<std::string>> ders = ReadPemCertificates(ca_pem_, "test CA");
    EXPECT_TRUE(ders.ok()) << ders.status().ToString();
    return ders.ok() ? ders->front() : std::string();
  }

  struct Issued {
    std::string der;      // the certificate
    std::string pem;      // the same, PEM
    std::string key_pem;  // its private key (PKCS #8)
  };

  // A certificate for `subject` ("/O=y/CN=x") with a fresh P-256 key,
  // signed by the CA, with `extensions` in openssl's extfile syntax.
  Issued IssueWithKey(const std::string& subject, const std::string& extensions) {
    const std::string name = "leaf" + std::to_string(issued_++);
    const std::string base = (dir_ / name).string();
    dir_.Write(name + ".ext", extensions);
    const std::string d = dir_.path().string();
    EXPECT_TRUE(OpenSsl("req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '" + subject +
                        "' -keyout " + base + ".key -out " + base + ".csr"));
    EXPECT_TRUE(OpenSsl("x509 -req -in " + base + ".csr -CA " + d + "/ca.pem -CAkey " + d +
                        "/ca.key -CAcreateserial -days 1 -extfile " + base + ".ext -out " + base +
                        ".pem"));
    EXPECT_TRUE(OpenSsl("x509 -in " + base + ".pem -outform DER -out " + base + ".der"));
    return {Read(base + ".der"), Read(base + ".pem"), Read(base + ".key")};
  }

  // The DER certificate alone.
  std::string Issue(const std::string& subject, const std::string& extensions) {
    return IssueWithKey(subject, extensions).der;
  }

 private:
  static bool OpenSsl(const std::string& args) {
    const int status = std::system(("openssl " + args + " >/dev/null 2>&1").c_str());
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  static std::string Read(const std::filesystem::path& path) {
    Result<std::string> bytes = ReadFile(path);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    return bytes.ok() ? *bytes : std::string();
  }

  testing::ScratchDir dir_;
  int issued_ = 0;
  std::string ca_pem_;
};

}  // namespace citadel::crypto
