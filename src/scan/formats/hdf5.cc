#include "scan/formats/hdf5.h"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <set>

#include "scan/formats/little_endian.h"

namespace citadel::scan {
namespace {

constexpr std::string_view kSignature("\x89HDF\r\n\x1a\n", 8);
constexpr size_t kMaxChunks = 1024;
constexpr size_t kMaxValues = 4096;
constexpr uint32_t kMaxRank = 32;

// Object header message types.
constexpr uint64_t kAttributeMessage = 0x000C;
constexpr uint64_t kContinuationMessage = 0x0010;
constexpr uint64_t kAttributeInfoMessage = 0x0015;

// Datatype classes.
constexpr int kStringClass = 3;
constexpr int kVariableLengthClass = 9;

uint64_t Align8(uint64_t n) { return (n + 7) / 8 * 8; }

class Hdf5Reader {
 public:
  explicit Hdf5Reader(std::string_view data) : data_(data) {}

  Hdf5RootAttributes Run() {
    base_ = FindHdf5Superblock(data_);
    if (base_ == std::string_view::npos) {
      Problem(0, "no HDF5 signature");
      return std::move(out_);
    }
    uint64_t root = 0;
    if (Superblock(root)) RootObjectHeader(root);
    return std::move(out_);
  }

 private:
  struct Chunk {
    uint64_t begin;
    uint64_t end;
    int version;  // of the object header: 1 or 2
  };

  bool Fits(uint64_t at, uint64_t n) const { return at <= data_.size() && n <= data_.size() - at; }
  uint64_t U(uint64_t at, size_t width) const { return LoadLittleEndian(data_, at, width); }

  bool Undefined(uint64_t address) const {
    return address == (offset_size_ == 8 ? UINT64_MAX : (uint64_t{1} << (8 * offset_size_)) - 1);
  }

  // The file offset of an HDF5 address: libhdf5 takes addresses relative to
  // the superblock, whatever its base address field says.
  std::optional<uint64_t> Resolve(uint64_t address) const {
    if (Undefined(address) || address > data_.size() - base_) return std::nullopt;
    return base_ + address;
  }

  bool Superblock(uint64_t& root) {
    const uint64_t s = base_;
    if (!Fits(s, 16)) return Fail(s, "the superblock is truncated");
    const int version = static_cast<unsigned char>(data_[s + 8]);
    uint64_t root_field = 0, end_of_file = 0;
    if (version == 0 || version == 1) {
      offset_size_ = static_cast<unsigned char>(data_[s + 13]);
      length_size_ = static_cast<unsigned char>(data_[s + 14]);
      if (!Sizes(s)) return false;
      // Four addresses (base, free space, end of file, driver), then the
      // root group's symbol table entry: link name offset, object header.
      const uint64_t fields = s + (version == 0 ? 24 : 28);
      if (!Fits(fields, 6 * offset_size_)) return Fail(s, "the superblock is truncated");
      end_of_file = U(fields + 2 * offset_size_, offset_size_);
      root_field = U(fields + 5 * offset_size_, offset_size_);
    } else if (version == 2 || version == 3) {
      offset_size_ = static_cast<unsigned char>(data_[s + 9]);
      length_size_ = static_cast<unsigned char>(data_[s + 10]);
      if (!Sizes(s)) return false;
      // Base, superblock extension, end of file, root group object header.
      if (!Fits(s + 12, 4 * offset_size_ + 4)) return Fail(s, "the superblock is truncated");
      end_of_file = U(s + 12 + 2 * offset_size_, offset_size_);
      root_field = U(s + 12 + 3 * offset_size_, offset_size_);
    } else {
      return Fail(s + 8, fmt::format("unknown superblock version {}", version));
    }
    // libhdf5 refuses a file shorter than its recorded end; so does this.
    if (!Undefined(end_of_file) && end_of_file > data_.size() - s) {
      Problem(s, fmt::format("the file is truncated: its superblock records {} bytes, {} are here",
                             end_of_file, data_.size() - s));
    }
    const std::optional<uint64_t> at = Resolve(root_field);
    if (!at) return Fail(s, "the root group's address lies outside the file");
    root = *at;
    return true;
  }

  bool Sizes(uint64_t s) {
    auto valid = [](size_t n) { return n == 2 || n == 4 || n == 8; };
    if (valid(offset_size_) && valid(length_size_)) return true;
    return Fail(
        s, fmt::format("unsupported address / length sizes {} / {}", offset_size_, length_size_));
  }

  void RootObjectHeader(uint64_t at) {
    std::vector<Chunk> chunks;
    if (Fits(at, 4) && data_.substr(at, 4) == "OHDR") {
      if (!Fits(at, 7) || data_[at + 4] != 2) {
        Problem(at, "an OHDR object header of an unknown version");
        return;
      }
      header_flags_ = static_cast<unsigned char>(data_[at + 5]);
      uint64_t p = at + 6 + ((header_flags_ & 0x20) ? 16 : 0) + ((header_flags_ & 0x10) ? 4 : 0);
      const size_t width = size_t{1} << (header_flags_ & 3);
      if (!Fits(p, width)) return Problem(at, "the root object header is truncated");
      const uint64_t size = U(p, width);
      p += width;
      if (!Fits(p, size)) return Problem(at, "the root object header runs past the end");
      chunks.push_back({p, p + size, 2});
    } else if (Fits(at, 16) && data_[at] == 1) {
      const uint64_t size = U(at + 8, 4);
      if (!Fits(at + 16, size)) return Problem(at, "the root object header runs past the end");
      chunks.push_back({at + 16, at + 16 + size, 1});
    } else {
      return Problem(at, "no object header where the root group should be");
    }
    std::set<uint64_t> visited;
    for (size_t i = 0; i < chunks.size(); ++i) {
      if (i >= kMaxChunks) return Problem(at, "the root object header has too many chunks");
      if (!visited.insert(chunks[i].begin).second) {
        return Problem(chunks[i].begin, "object header continuations form a loop");
      }
      Messages(chunks[i], chunks);
    }
  }

  // `chunk` by value: continuations found here grow `chunks`.
  void Messages(Chunk chunk, std::vector<Chunk>& chunks) {
    const uint64_t header = chunk.version == 1 ? 8 : ((header_flags_ & 0x04) ? 6 : 4);
    uint64_t p = chunk.begin;
    // In version 2 a gap smaller than a message header may end a chunk.
    while (chunk.end - p >= header) {
      uint64_t type = 0, size = 0, flags = 0;
      if (chunk.version == 1) {
        type = U(p, 2);
        size = U(p + 2, 2);
        flags = U(p + 4, 1);
      } else {
        type = U(p, 1);
        size = U(p + 1, 2);
        flags = U(p + 3, 1);
      }
      const uint64_t body = p + header;
      if (size > chunk.end - body) return Problem(p, "a header message runs past its chunk");
      Message(type, flags, data_.substr(body, size), p, chunks);
      p = body + size;
    }
  }

  void Message(uint64_t type, uint64_t flags, std::string_view body, uint64_t at,
               std::vector<Chunk>& chunks) {
    if (type == kContinuationMessage) {
      if (body.size() < offset_size_ + length_size_) return Problem(at, "a short continuation");
      const uint64_t address = LoadLittleEndian(body, 0, offset_size_);
      const uint64_t length = LoadLittleEndian(body, offset_size_, length_size_);
      const std::optional<uint64_t> begin = Resolve(address);
      if (!begin || !Fits(*begin, length)) {
        return Problem(at, "an object header continuation lies outside the file");
      }
      if (chunks.front().version == 1) {
        chunks.push_back({*begin, *begin + length, 1});
      } else if (length >= 8 && data_.substr(*begin, 4) == "OCHK") {
        chunks.push_back({*begin + 4, *begin + length - 4, 2});  // a checksum ends it
      } else {
        Problem(at, "an object header continuation without its OCHK signature");
      }
    } else if (type == kAttributeInfoMessage) {
      AttributeInfo(body, at);
    } else if (type == kAttributeMessage) {
      if ((flags & 0x02) != 0) return Problem(at, "a shared attribute message is not followed");
      Attribute(body, at);
    }
  }

  // Dense attribute storage: the attributes live in a fractal heap this
  // reader does not walk.
  void AttributeInfo(std::string_view body, uint64_t at) {
    if (body.size() < 2) return Problem(at, "a short attribute info message");
    const uint64_t flags = static_cast<unsigned char>(body[1]);
    const uint64_t heap_at = 2 + ((flags & 1) ? 2 : 0);
    if (body.size() < heap_at + offset_size_) return Problem(at, "a short attribute info message");
    if (!Undefined(LoadLittleEndian(body, heap_at, offset_size_))) {
      Problem(at, "attributes in dense storage (a fractal heap) are not read");
    }
  }

  void Attribute(std::string_view body, uint64_t at) {
    if (body.size() < 8) return Problem(at, "a short attribute message");
    const int version = static_cast<unsigned char>(body[0]);
    if (version < 1 || version > 3) {
      return Problem(at, fmt::format("attribute message version {} is unknown", version));
    }
    const uint64_t flags = version == 1 ? 0 : static_cast<unsigned char>(body[1]);
    const uint64_t name_size = LoadLittleEndian(body, 2, 2);
    const uint64_t type_size = LoadLittleEndian(body, 4, 2);
    const uint64_t space_size = LoadLittleEndian(body, 6, 2);
    auto padded = [&](uint64_t n) { return version == 1 ? Align8(n) : n; };
    uint64_t p = version == 3 ? 9 : 8;
    std::string_view parts[3];
    const uint64_t sizes[3] = {name_size, type_size, space_size};
    for (int i = 0; i < 3; ++i) {
      if (p > body.size() || sizes[i] > body.size() - p) {
        return Problem(at, "an attribute message's parts run past its end");
      }
      parts[i] = body.substr(p, sizes[i]);
      p = std::min<uint64_t>(p + padded(sizes[i]), body.size());
    }
    Hdf5Attribute attribute;
    attribute.name = std::string(parts[0].substr(0, parts[0].find('\0')));
    attribute.offset = at;
    if ((flags & 0x03) != 0) {
      Problem(at, fmt::format("attribute '{}' has a shared datatype or dataspace, not followed",
                              attribute.name));
    } else {
      Values(attribute, parts[1], parts[2], body.substr(p), at);
    }
    out_.attributes.push_back(std::move(attribute));
  }

  std::optional<uint64_t> Elements(std::string_view space) const {
    if (space.size() < 4) return std::nullopt;
    const int version = static_cast<unsigned char>(space[0]);
    const uint32_t rank = static_cast<unsigned char>(space[1]);
    if (rank > kMaxRank) return std::nullopt;
    uint64_t dims_at = 0;
    if (version == 1) {
      dims_at = 8;
    } else if (version == 2) {
      if (space[3] == 2) return 0;  // a null dataspace
      dims_at = 4;
    } else {
      return std::nullopt;
    }
    if (space.size() < dims_at + uint64_t{rank} * length_size_) return std::nullopt;
    uint64_t n = 1;
    for (uint32_t d = 0; d < rank; ++d) {
      const uint64_t dim = LoadLittleEndian(space, dims_at + d * length_size_, length_size_);
      if (dim != 0 && n > UINT64_MAX / dim) return std::nullopt;
      n *= dim;
    }
    return n;
  }

  void Values(Hdf5Attribute& attribute, std::string_view type, std::string_view space,
              std::string_view values, uint64_t at) {
    if (type.size() < 8) return Problem(at, "a short attribute datatype");
    const int type_class = static_cast<unsigned char>(type[0]) & 0x0f;
    const uint64_t bits = static_cast<unsigned char>(type[1]);
    const uint64_t size = LoadLittleEndian(type, 4, 4);
    const bool fixed = type_class == kStringClass;
    const bool variable = type_class == kVariableLengthClass && (bits & 0x0f) == 1;
    if (!fixed && !variable) return;
    attribute.is_string = true;
    const std::optional<uint64_t> count = Elements(space);
    if (!count) {
      return Problem(at,
                     fmt::format("attribute '{}': its dataspace cannot be read", attribute.name));
    }
    const uint64_t element = fixed ? size : 4 + offset_size_ + 4;
    if (element == 0 || *count > values.size() / element) {
      return Problem(at, fmt::format("attribute '{}': {} values do not fit its {} bytes",
                                     attribute.name, *count, values.size()));
    }
    for (uint64_t i = 0; i < *count; ++i) {
      if (values_read_++ >= kMaxValues) {
        return Problem(
            at, fmt::format("more than {} string values: the rest are not read", kMaxValues));
      }
      const std::string_view v = values.substr(i * element, element);
      if (fixed) {
        const uint64_t padding = bits & 0x0f;
        std::string_view s =
            padding == 2 ? v.substr(0, v.find_last_not_of(' ') + 1) : v.substr(0, v.find('\0'));
        attribute.strings.emplace_back(s);
      } else if (std::optional<std::string_view> s = HeapString(v, at)) {
        attribute.strings.emplace_back(*s);
      }
    }
  }

  // A variable-length string: its length, then the global heap collection
  // and the object's index in it.
  std::optional<std::string_view> HeapString(std::string_view reference, uint64_t at) {
    const uint64_t length = LoadLittleEndian(reference, 0, 4);
    const uint64_t address = LoadLittleEndian(reference, 4, offset_size_);
    const uint64_t index = LoadLittleEndian(reference, 4 + offset_size_, 4);
    const std::optional<uint64_t> collection = Resolve(address);
    if (!collection) {
      Problem(at, "a variable-length string's heap lies outside the file");
      return std::nullopt;
    }
    const std::map<uint64_t, std::string_view>& objects = Collection(*collection);
    auto it = objects.find(index);
    if (it == objects.end()) {
      Problem(at, fmt::format("a variable-length string's heap object {} is missing", index));
      return std::nullopt;
    }
    if (length > it->second.size()) {
      Problem(at, "a variable-length string is longer than its heap object");
      return std::nullopt;
    }
    return it->second.substr(0, length);
  }

  // The objects of the global heap collection at `at`, read once.
  const std::map<uint64_t, std::string_view>& Collection(uint64_t at) {
    auto [it, fresh] = collections_.try_emplace(at);
    if (!fresh) return it->second;
    if (!Fits(at, 8 + length_size_) || data_.substr(at, 4) != "GCOL") {
      Problem(at, "no global heap collection where a string points");
      return it->second;
    }
    const uint64_t size = U(at + 8, length_size_);
    const uint64_t end = at + std::min<uint64_t>(size, data_.size() - at);
    uint64_t p = at + 8 + length_size_;
    while (p <= end && end - p >= 8 + length_size_) {
      const uint64_t index = U(p, 2);
      if (index == 0) break;  // free space: the end of the objects
      const uint64_t object_size = U(p + 8, length_size_);
      const uint64_t body = p + 8 + length_size_;
      if (object_size > end - body) {
        Problem(p, "a global heap object runs past its collection");
        break;
      }
      it->second.emplace(index, data_.substr(body, object_size));
      p = body + std::min(Align8(object_size), end - body);
    }
    return it->second;
  }

  void Problem(uint64_t at, std::string detail) {
    out_.problems.push_back({at, std::move(detail)});
  }

  bool Fail(uint64_t at, std::string detail) {
    Problem(at, std::move(detail));
    return false;
  }

  std::string_view data_;
  uint64_t base_ = 0;
  size_t offset_size_ = 8;
  size_t length_size_ = 8;
  uint64_t header_flags_ = 0;  // of a version 2 object header
  size_t values_read_ = 0;
  std::map<uint64_t, std::map<uint64_t, std::string_view>> collections_;
  Hdf5RootAttributes out_;
};

}  // namespace

uint64_t FindHdf5Superblock(std::string_view data) {
  for (uint64_t at = 0; at < data.size(); at = at == 0 ? 512 : at * 2) {
    if (data.substr(at, kSignature.size()) == kSignature) return at;
  }
  return std::string_view::npos;
}

bool LooksLikeHdf5(std::string_view data) {
  return FindHdf5Superblock(data) != std::string_view::npos;
}

Hdf5RootAttributes ReadHdf5RootAttributes(std::string_view data) { return Hdf5Reader(data).Run(); }

}  // namespace citadel::scan
