// The scanner on real torch.save files and on archives that try to hide a
// malicious pickle (tests/fixtures/pickles, written by make_fixtures.py),
// on the TorchScript fixtures, and under both policies.
#include "scan/model_scanner.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "base/system/files.h"

namespace citadel::scan {
namespace {

using namespace std::string_literals;

FileReport ScanFixture(const std::string& path, ScanPolicy policy = ScanPolicy::kDefault) {
  ScanOptions options;
  options.policy = policy;
  auto report = ScanFile("tests/fixtures/" + path, options);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  return report.ok() ? *report : FileReport{};
}

std::string Rules(const FileReport& r) {
  std::string out;
  for (const Finding& f : r.findings) {
    out += (out.empty() ? "" : ", ") + std::string(SeverityName(f.severity)) + " " + f.rule + " [" +
           f.entry + "] " + f.detail;
  }
  return out;
}

bool Has(const FileReport& r, std::string_view rule, std::string_view detail) {
  for (const Finding& f : r.findings) {
    if (f.rule == rule && f.detail.find(detail) != std::string::npos) return true;
  }
  return false;
}

TEST(ModelScanner, TorchSaveCheckpointsAreCleanUnderBothPolicies) {
  for (ScanPolicy policy : {ScanPolicy::kDefault, ScanPolicy::kStrict}) {
    FileReport zip = ScanFixture("pickles/clean_state_dict.pt", policy);
    EXPECT_EQ(zip.format, "zip (pytorch)");
    EXPECT_TRUE(zip.clean()) << Rules(zip);
    FileReport legacy = ScanFixture("pickles/legacy_state_dict.pt", policy);
    EXPECT_EQ(legacy.format, "pickle");
    EXPECT_TRUE(legacy.clean()) << Rules(legacy);
  }
}

TEST(ModelScanner, AReduceOfOsSystemInACheckpointIsDangerous) {
  FileReport r = ScanFixture("pickles/reduce_os_system.pt");
  ASSERT_FALSE(r.clean());
  EXPECT_TRUE(Has(r, "dangerous-call", "calls posix.system (REDUCE)")) << Rules(r);
  EXPECT_EQ(r.findings[0].severity, Severity::kDangerous);
  EXPECT_EQ(r.findings[0].entry, "reduce_os_system/data.pkl");
  EXPECT_GT(r.findings[0].offset, 0u);
}

TEST(ModelScanner, APickleIsFoundByContentWhateverTheEntryIsCalled) {
  FileReport r = ScanFixture("pickles/hidden_in_bin.zip");
  EXPECT_EQ(r.format, "zip");
  EXPECT_TRUE(Has(r, "dangerous-call", "posix.system")) << Rules(r);
  EXPECT_EQ(r.findings.at(0).entry, "model/weights.bin");
}

TEST(ModelScanner, TamperedAndEncryptedEntriesAreFindings) {
  FileReport crc = ScanFixture("pickles/crc_tampered.pt");
  EXPECT_TRUE(Has(crc, "crc-mismatch", "altered")) << Rules(crc);
  FileReport encrypted = ScanFixture("pickles/encrypted_flag.zip");
  EXPECT_TRUE(Has(encrypted, "encrypted-entry", "encrypted")) << Rules(encrypted);
  for (const Finding& f : encrypted.findings) EXPECT_EQ(f.severity, Severity::kSuspicious);
}

TEST(ModelScanner, TorchScriptModulesPassTheDefaultPolicyOnly) {
  FileReport lenient = ScanFixture("torchscript/blobs_mlp.pt");
  EXPECT_EQ(lenient.format, "zip (torchscript)");
  EXPECT_TRUE(lenient.clean()) << Rules(lenient);
  // Strict allows tensor rebuilds only: TorchScript classes are code.
  FileReport strict = ScanFixture("torchscript/blobs_mlp.pt", ScanPolicy::kStrict);
  EXPECT_TRUE(Has(strict, "unapproved-call", "__torch__.Mlp")) << Rules(strict);
}

TEST(ModelScanner, NumpyObjectArraysArePicklesAndAreScanned) {
  FileReport floats = ScanFixture("pickles/floats.npy", ScanPolicy::kStrict);
  EXPECT_EQ(floats.format, "npy");
  EXPECT_TRUE(floats.clean()) << Rules(floats);
  FileReport objects = ScanFixture("pickles/object_array.npy");
  EXPECT_TRUE(Has(objects, "object-array", "|O")) << Rules(objects);
  EXPECT_TRUE(Has(objects, "dangerous-call", "posix.system")) << Rules(objects);
  FileReport npz = ScanFixture("pickles/arrays.npz");
  EXPECT_EQ(npz.format, "zip (npz)");
  EXPECT_TRUE(Has(npz, "dangerous-call", "posix.system")) << Rules(npz);
  bool in_objects_entry = false;
  for (const Finding& f : npz.findings) in_objects_entry |= f.entry.starts_with("objects.npy");
  EXPECT_TRUE(in_objects_entry) << Rules(npz);
  // A header that claims more than the file holds.
  FileReport broken = ScanBytes("\x93NUMPY\x01\x00\xff\x7f{'descr'"s, "b.npy", {});
  EXPECT_TRUE(Has(broken, "malformed-npy", "runs past the end")) << Rules(broken);
}

TEST(ModelScanner, SafetensorsHeadersAreCheckedStrictly) {
  FileReport valid = ScanFixture("pickles/valid.safetensors", ScanPolicy::kStrict);
  EXPECT_EQ(valid.format, "safetensors");
  EXPECT_TRUE(valid.clean()) << Rules(valid);
  FileReport overlapping = ScanFixture("pickles/overlapping.safetensors");
  EXPECT_EQ(overlapping.format, "safetensors");
  EXPECT_TRUE(Has(overlapping, "malformed-safetensors", "overlap")) << Rules(overlapping);
}

TEST(ModelScanner, UnknownCallablesAreSuspiciousByDefaultAndDangerousWhenStrict) {
  const std::string p =
      "\x80\x02"
      "cmylib.layers\nCustom\n)R."s;
  FileReport lenient = ScanBytes(p, "m.pkl", {});
  ASSERT_EQ(lenient.findings.size(), 1u) << Rules(lenient);
  EXPECT_EQ(lenient.findings[0].severity, Severity::kSuspicious);
  EXPECT_EQ(lenient.findings[0].rule, "unapproved-call");
  ScanOptions strict;
  strict.policy = ScanPolicy::kStrict;
  EXPECT_EQ(ScanBytes(p, "m.pkl", strict).findings.at(0).severity, Severity::kDangerous);
}

TEST(ModelScanner, SeveralPicklesNestedPicklesAndReferencesWithoutCalls) {
  // A harmless pickle, then one that imports subprocess without calling it.
  const std::string two =
      "\x80\x02}q\x00.\x80\x02"
      "csubprocess\ncall\nq\x00."s;
  FileReport r = ScanBytes(two, "two.pkl", {});
  EXPECT_TRUE(Has(r, "dangerous-global", "references subprocess.call")) << Rules(r);

  // os.system inside bytes inside a pickle that looks harmless.
  const std::string inner =
      "\x80\x02"
      "cos\nsystem\nX\x02\x00\x00\x00ls\x85R."s;
  const std::string outer = "\x80\x03}C"s + static_cast<char>(inner.size()) + inner + "Ns.";
  FileReport nested = ScanBytes(outer, "outer.pkl", {});
  ASSERT_TRUE(Has(nested, "dangerous-call", "os.system")) << Rules(nested);
  EXPECT_EQ(nested.findings[0].entry, "pickle@3");

  // A pickle protocol 0 file is recognised by walking it.
  FileReport zero = ScanBytes("cos\nsystem\n(S'ls'\ntR.", "p0.pkl", {});
  EXPECT_EQ(zero.format, "pickle");
  EXPECT_TRUE(Has(zero, "dangerous-call", "os.system")) << Rules(zero);
}

TEST(ModelScanner, EvasionsAnUnpicklerWouldStillActOnAreCaught) {
  // No STOP: Python runs the REDUCE before it notices the end.
  FileReport no_stop = ScanBytes("cos\nsystem\n(S'id'\ntR", "a.pkl", {});
  EXPECT_EQ(no_stop.format, "pickle");
  EXPECT_TRUE(Has(no_stop, "dangerous-call", "os.system")) << Rules(no_stop);
  // Garbage after the call.
  EXPECT_TRUE(
      Has(ScanBytes("cos\nsystem\n(S'id'\ntR\xff"s, "b.pkl", {}), "dangerous-call", "os.system"));
  // Memo keys as Python's int() reads them.
  for (const char* key : {" 0", "+0", "0_0"}) {
    const std::string p = std::string("cos\nsystem\np") + key + "\n0g0\n(S'id'\ntR.";
    FileReport r = ScanBytes(p, "c.pkl", {});
    EXPECT_TRUE(Has(r, "dangerous-call", "calls os.system")) << key << ": " << Rules(r);
  }
  // Python source merely starting with 'c' is not a pickle.
  EXPECT_EQ(ScanBytes("class Mlp(Module):\n  pass\n", "m.py", {}).format, "unknown");
}

TEST(ModelScanner, NpyHeadersReadAsNumpyReadsThem) {
  auto npy = [](const std::string& header) {
    std::string h = header;
    while ((10 + h.size() + 1) % 64 != 0) h += ' ';
    h += '\n';
    std::string out = "\x93NUMPY\x01\x00"s;
    out += static_cast<char>(h.size() & 0xff);
    out += static_cast<char>(h.size() >> 8);
    return out + h +
           "\x80\x02"
           "cos\nsystem\nX\x02\x00\x00\x00ls\x85R."s;
  };
  FileReport double_quoted =
      ScanBytes(npy("{'descr': \"|O\", 'fortran_order': False, 'shape': (1,), }"), "d.npy", {});
  EXPECT_TRUE(Has(double_quoted, "dangerous-call", "os.system")) << Rules(double_quoted);
  FileReport twice = ScanBytes(
      npy("{'descr': '<f4', 'descr': '|O', 'fortran_order': False, 'shape': (1,), }"), "t.npy", {});
  EXPECT_TRUE(Has(twice, "malformed-npy", "2 times")) << Rules(twice);
  // Too short for its version's length field: a finding, not a crash.
  FileReport tiny = ScanBytes("\x93NUMPY\x02\x00\x05\x00"s, "tiny.npy", {});
  EXPECT_TRUE(Has(tiny, "malformed-npy", "truncated")) << Rules(tiny);
}

TEST(ModelScanner, AZipThatUnderstatesItsEntryCountStillHasEveryEntryScanned) {
  auto bytes = ReadFile("tests/fixtures/pickles/hidden_in_bin.zip");
  ASSERT_TRUE(bytes.ok());
  std::string zip = *bytes;
  const size_t end = zip.rfind("PK\x05\x06");
  ASSERT_NE(end, std::string::npos);
  zip[end + 8] = 1;   // entries on this disk
  zip[end + 10] = 1;  // entries in all: the malicious weights.bin is the second
  FileReport r = ScanBytes(zip, "understated.zip", {});
  EXPECT_TRUE(Has(r, "dangerous-call", "posix.system")) << Rules(r);
  EXPECT_TRUE(Has(r, "malformed-archive", "counts 1 entries but the directory holds 2"))
      << Rules(r);
}

TEST(ModelScanner, CompressedDataIsInflatedOrNamedAsUninspectable) {
  // A gzip of the malicious pickle inside (what a .pkl.gz or joblib file holds).
  const std::string inner =
      "\x80\x02"
      "cos\nsystem\nX\x02\x00\x00\x00ls\x85R."s;
  std::string gz(compressBound(inner.size()) + 32, '\0');
  z_stream zs{};
  ASSERT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(inner.data()));
  zs.avail_in = static_cast<uInt>(inner.size());
  zs.next_out = reinterpret_cast<Bytef*>(gz.data());
  zs.avail_out = static_cast<uInt>(gz.size());
  ASSERT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  gz.resize(zs.total_out);
  deflateEnd(&zs);
  FileReport r = ScanBytes(gz, "model.pkl.gz", {});
  EXPECT_EQ(r.format, "compressed");
  EXPECT_TRUE(Has(r, "dangerous-call", "os.system")) << Rules(r);
  FileReport xz = ScanBytes(
      "\xfd"
      "7zXZ\x00\x00rest"s,
      "model.pkl.xz", {});
  EXPECT_TRUE(Has(xz, "compressed-content", "xz")) << Rules(xz);
}

TEST(ModelScanner, ArchivesInflatingPastTheTotalBudgetAreCutShortWithAFinding) {
  // Two entries: config.json (13 bytes), then the malicious weights.bin.
  auto zip = ReadFile("tests/fixtures/pickles/hidden_in_bin.zip");
  ASSERT_TRUE(zip.ok());
  ScanOptions roomy;
  roomy.max_total_bytes = 1000;
  FileReport whole = ScanBytes(*zip, "z.zip", roomy);
  EXPECT_TRUE(Has(whole, "dangerous-call", "posix.system")) << Rules(whole);
  EXPECT_FALSE(Has(whole, "scan-budget-exceeded", "")) << Rules(whole);
  // Each entry is under max_entry_bytes, together they are over the budget.
  ScanOptions tight;
  tight.max_entry_bytes = 1000;
  tight.max_total_bytes = 20;
  FileReport cut = ScanBytes(*zip, "z.zip", tight);
  ASSERT_EQ(cut.findings.size(), 1u) << Rules(cut);
  EXPECT_EQ(cut.findings[0].rule, "scan-budget-exceeded");
  EXPECT_EQ(cut.findings[0].entry, "model/weights.bin");
  EXPECT_EQ(cut.findings[0].severity, Severity::kSuspicious);
  // Spent exactly by the first entry: the second is not read either.
  tight.max_total_bytes = 13;
  EXPECT_TRUE(Has(ScanBytes(*zip, "z.zip", tight), "scan-budget-exceeded", "not inspected"));

  // Compressed streams count against the same budget.
  const std::string payload(4096, 'x');
  std::string gz(compressBound(payload.size()) + 32, '\0');
  uLongf size = gz.size();
  ASSERT_EQ(compress(reinterpret_cast<Bytef*>(gz.data()), &size,
                     reinterpret_cast<const Bytef*>(payload.data()), payload.size()),
            Z_OK);
  gz.resize(size);
  ScanOptions small;
  small.max_total_bytes = 1024;
  FileReport bomb = ScanBytes(gz, "x.z", small);
  EXPECT_TRUE(Has(bomb, "scan-budget-exceeded", "1024 bytes")) << Rules(bomb);
}

TEST(ModelScanner, AFileThatIsValidSafetensorsAndAPickleHasItsPickleWalked) {
  // The 8-byte header length 0x950280 reads as PROTO 2 and FRAME, whose
  // 8-byte argument swallows the rest of the length, '{', '"' and one
  // character of the first tensor's name. The rest of that name is pickle
  // opcodes: NONE, EMPTY_TUPLE, REDUCE (a call of a computed callable), STOP.
  constexpr uint64_t kHeader = 0x950280;
  std::string header = R"({"xN)R.":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  header.resize(kHeader, ' ');
  std::string file;
  for (int i = 0; i < 8; ++i) file += static_cast<char>((kHeader >> (8 * i)) & 0xff);
  file += header + std::string(4, '\0');
  FileReport r = ScanBytes(file, "polyglot.safetensors", {});
  EXPECT_EQ(r.format, "safetensors");
  EXPECT_FALSE(Has(r, "malformed-safetensors", "")) << "valid safetensors: " << Rules(r);
  ASSERT_TRUE(Has(r, "computed-callable", "REDUCE")) << Rules(r);
  EXPECT_EQ(r.findings[0].offset, 13u);  // the REDUCE, inside the tensor's name
}

TEST(ModelScanner, BrokenStreamsAndArchivesAreFindingsAndOtherFilesAreNotScanned) {
  auto bytes = ReadFile("tests/fixtures/pickles/reduce_os_system.pt");
  ASSERT_TRUE(bytes.ok());
  // Cut before the central directory: the archive cannot be listed.
  FileReport cut = ScanBytes(bytes->substr(0, bytes->size() / 2), "cut.pt", {});
  EXPECT_TRUE(Has(cut, "malformed-archive", "end-of-central-directory")) << Rules(cut);
  // A pickle that ends early still reports what it named before the cut.
  const std::string p =
      "\x80\x02"
      "cposix\nsystem\nq\x00\x8c\x02ls"s;
  FileReport truncated = ScanBytes(p, "t.pkl", {});
  EXPECT_TRUE(Has(truncated, "malformed-pickle", "truncated")) << Rules(truncated);
  EXPECT_TRUE(Has(truncated, "dangerous-global", "posix.system")) << Rules(truncated);

  FileReport text = ScanBytes("just,a,csv\n1,2,3\n", "data.csv", {});
  EXPECT_EQ(text.format, "unknown");
  EXPECT_TRUE(text.clean());
}

}  // namespace
}  // namespace citadel::scan
