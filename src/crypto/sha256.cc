#include "crypto/sha256.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "base/system/files.h"

namespace citadel::crypto {

struct Sha256::Context {
  EVP_MD_CTX* md = nullptr;
  ~Context() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Context>()) {
  ctx_->md = EVP_MD_CTX_new();
  // Allocation failure or a missing SHA-256 in libcrypto leaves nothing to
  // recover: every integrity guarantee depends on this.
  if (ctx_->md == nullptr || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1) {
    std::abort();
  }
}

Sha256::~Sha256() = default;

void Sha256::Update(const void* data, size_t size) { EVP_DigestUpdate(ctx_->md, data, size); }

void Sha256::Update(std::string_view data) { Update(data.data(), data.size()); }

Sha256Digest Sha256::Finish() {
  Sha256Digest digest;
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx_->md, digest.bytes.data(), &length);
  return digest;
}

Sha256Digest Sha256::Of(std::string_view data) {
  Sha256 hasher;
  hasher.Update(data);
  return hasher.Finish();
}

std::string Sha256Digest::Hex() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(64, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
  return out;
}

Result<Sha256Digest> Sha256Digest::FromHex(std::string_view text) {
  if (text.rfind("sha256:", 0) == 0) text.remove_prefix(7);
  if (text.size() != 64) {
    return InvalidArgumentError(
        fmt::format("'{}' is not a SHA-256 digest (need 64 hex characters)", text));
  }
  Sha256Digest digest;
  for (size_t i = 0; i < 32; ++i) {
    int value = 0;
    for (int k = 0; k < 2; ++k) {
      char c = text[2 * i + k];
      int nibble;
      if (c >= '0' && c <= '9') {
        nibble = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        nibble = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        nibble = c - 'A' + 10;
      } else {
        return InvalidArgumentError(fmt::format("'{}' contains a non-hex character", text));
      }
      value = value * 16 + nibble;
    }
    digest.bytes[i] = static_cast<uint8_t>(value);
  }
  return digest;
}

Result<Sha256Digest> HashFile(const std::filesystem::path& path, uint64_t* size) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("opening", path.string(), errno);
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  Sha256 hasher;
  std::vector<char> buffer(1 << 20);
  uint64_t total = 0;
  while (true) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("reading", path.string(), errno);
    }
    if (n == 0) break;
    hasher.Update(buffer.data(), static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
  }
  if (size != nullptr) *size = total;
  return hasher.Finish();
}

}  // namespace citadel::crypto
