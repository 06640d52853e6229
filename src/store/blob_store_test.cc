#include "store/blob_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "base/system/files.h"
#include "base/testing/scratch_dir.h"
#include "store/artifact_files.h"

namespace citadel::store {
namespace {

namespace fs = std::filesystem;

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = BlobStore::Open(root_ / "blobs");
    ASSERT_TRUE(store.ok());
    store_ = std::make_unique<BlobStore>(std::move(*store));
  }

  void FlipByte(const Sha256Digest& d, long offset) {
    fs::path p = store_->PathOf(d);
    ::chmod(p.c_str(), 0644);
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(offset);
    char c;
    f.get(c);
    f.seekp(offset);
    f.put(static_cast<char>(c ^ 0x01));
  }

  citadel::testing::ScratchDir scratch_;
  const fs::path& root_ = scratch_.path();
  std::unique_ptr<BlobStore> store_;
};

TEST_F(BlobStoreTest, PutThenGetRoundTripsUnderItsDigest) {
  auto d = store_->Put("hello blob");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, crypto::Sha256::Of("hello blob"));
  EXPECT_EQ(*store_->Get(*d), "hello blob");
  EXPECT_TRUE(store_->PathOf(*d).string().find("/sha256/" + d->Hex().substr(0, 2) + "/") !=
              std::string::npos);
}

TEST_F(BlobStoreTest, DetectsCorruptedBlobOnRead) {
  auto d = store_->Put(std::string(10000, 'z'));
  ASSERT_TRUE(d.ok());
  auto mapped = store_->Map(*d);
  ASSERT_TRUE(mapped.ok());
  EXPECT_EQ(mapped->bytes(), std::string(10000, 'z'));
  FlipByte(*d, 1234);
  auto r = store_->Get(*d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(store_->Map(*d).status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find(d->Id()), std::string::npos);
  EXPECT_EQ(store_->Verify(*d).code(), StatusCode::kDataLoss);
  fs::path dest = root_ / "out.bin";
  EXPECT_EQ(store_->CopyTo(*d, dest).code(), StatusCode::kDataLoss);
  EXPECT_FALSE(fs::exists(dest)) << "a corrupt blob must not be exported";
}

TEST_F(BlobStoreTest, RemoveDeletesABlobAndToleratesOneAlreadyGone) {
  auto d = store_->Put("to be pruned");
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(store_->Remove(*d).ok());
  EXPECT_FALSE(store_->Contains(*d));
  EXPECT_EQ(store_->Get(*d).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->Remove(*d).ok()) << "already gone is fine";
  EXPECT_TRUE(store_->Put("to be pruned").ok()) << "and it can come back";
  EXPECT_TRUE(store_->Contains(*d));
}

TEST_F(BlobStoreTest, StreamedPutStoresThePiecesUnderTheDigestOfTheWhole) {
  uint64_t size = 0;
  auto d = store_->PutStreamed(
      [](const BlobStore::ByteSink& sink) -> Status {
        RETURN_IF_ERROR(sink("hello "));
        return sink("streamed blob");
      },
      &size);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(*d, crypto::Sha256::Of("hello streamed blob"));
  EXPECT_EQ(size, 19u);
  EXPECT_EQ(*store_->Get(*d), "hello streamed blob");

  // A producer that fails leaves nothing behind, not even a temp file.
  auto failed = store_->PutStreamed([](const BlobStore::ByteSink& sink) -> Status {
    RETURN_IF_ERROR(sink("half"));
    return DataLossError("source went away");
  });
  EXPECT_EQ(failed.status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(store_->Contains(crypto::Sha256::Of("half")));
  EXPECT_TRUE(fs::is_empty(store_->root() / "tmp"));
}

TEST_F(BlobStoreTest, MissingBlobIsNotFound) {
  auto d = store_->Put("gone");
  ASSERT_TRUE(d.ok());
  fs::remove(store_->PathOf(*d));
  EXPECT_EQ(store_->Get(*d).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Verify(*d).code(), StatusCode::kNotFound);
}

TEST_F(BlobStoreTest, PutRepairsACorruptBlob) {
  std::string data(5000, 'q');
  auto d = store_->Put(data);
  FlipByte(*d, 10);
  ASSERT_TRUE(store_->Put(data).ok());
  EXPECT_TRUE(store_->Verify(*d).ok());
}

TEST_F(BlobStoreTest, ConcurrentThreadWritersOfSameContentAreSafe) {
  std::string data(1 << 20, 'c');
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] { ASSERT_TRUE(store_->Put(data).ok()); });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(store_->Verify(crypto::Sha256::Of(data)).ok());
  EXPECT_TRUE(fs::is_empty(root_ / "blobs" / "tmp"));
}

TEST_F(BlobStoreTest, ConcurrentProcessWritersAreSafe) {
  std::vector<pid_t> children;
  for (int p = 0; p < 4; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = BlobStore::Open(root_ / "blobs");
      bool ok = store.ok();
      for (int i = 0; ok && i < 20; ++i) ok = store->Put("blob-" + std::to_string(i % 5)).ok();
      ::_exit(ok ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto list = store_->List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 5u);
  for (const auto& d : *list) EXPECT_TRUE(store_->Verify(d).ok());
}

TEST_F(BlobStoreTest, PutFileStreamsLargeFiles) {
  fs::path src = root_ / "big.bin";
  std::string data(5 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i % 251);
  ASSERT_TRUE(WriteFileAtomic(src, data).ok());
  uint64_t size = 0;
  auto d = store_->PutFile(src, &size);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(size, data.size());
  EXPECT_EQ(*d, crypto::Sha256::Of(data));
}

TEST_F(BlobStoreTest, DirectoryArtifactRoundTripsAndNamesCorruptFile) {
  fs::path dir = root_ / "model";
  fs::create_directories(dir / "sub");
  ASSERT_TRUE(WriteFileAtomic(dir / "model.json", "{}").ok());
  ASSERT_TRUE(WriteFileAtomic(dir / "sub" / "weights.bin", std::string(300, 'w')).ok());
  auto manifest = StoreDirectory(*store_, dir);
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  ASSERT_EQ(manifest->files().size(), 2u);
  EXPECT_EQ(manifest->files()[0].path, "model.json");
  EXPECT_EQ(manifest->files()[1].path, "sub/weights.bin");

  auto loaded = LoadManifest(*store_, manifest->Id());
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->Canonical(), manifest->Canonical());

  fs::path out = root_ / "export";
  ASSERT_TRUE(ExportArtifact(*store_, *loaded, out).ok());
  EXPECT_EQ(*ReadFile(out / "sub" / "weights.bin"), std::string(300, 'w'));

  FlipByte(manifest->files()[1].digest, 0);
  auto r = ReadArtifactFile(*store_, *loaded, "sub/weights.bin");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find(manifest->Id().Id()), std::string::npos);
  EXPECT_NE(r.status().message().find("sub/weights.bin"), std::string::npos);
}

TEST_F(BlobStoreTest, InMemoryFilesGetTheSameArtifactIdAsTheSameDirectory) {
  fs::path dir = root_ / "dataset";
  fs::create_directories(dir / "sub");
  ASSERT_TRUE(WriteFileAtomic(dir / "schema.json", "{\"rows\": 2}").ok());
  ASSERT_TRUE(WriteFileAtomic(dir / "sub" / "data.bin", std::string(1000, 'd')).ok());
  auto from_dir = StoreDirectory(*store_, dir);
  ASSERT_TRUE(from_dir.ok()) << from_dir.status().ToString();
  // Listed out of order: the manifest sorts.
  auto from_memory = StoreFiles(
      *store_, {{"sub/data.bin", std::string(1000, 'd')}, {"schema.json", "{\"rows\": 2}"}});
  ASSERT_TRUE(from_memory.ok()) << from_memory.status().ToString();
  EXPECT_EQ(from_memory->Id(), from_dir->Id());
  auto read = ReadArtifactFile(*store_, *from_memory, "sub/data.bin");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, std::string(1000, 'd'));

  // A streamed file is the same file: same artifact id.
  auto streamed = StoreFiles(*store_, {{"schema.json", "{\"rows\": 2}"},
                                       {"sub/data.bin", "", [](const BlobStore::ByteSink& sink) {
                                          RETURN_IF_ERROR(sink(std::string(400, 'd')));
                                          return sink(std::string(600, 'd'));
                                        }}});
  ASSERT_TRUE(streamed.ok()) << streamed.status().ToString();
  EXPECT_EQ(streamed->Id(), from_dir->Id());
  // A producer's error fails the store and leaves no temp file behind.
  auto failed = StoreFiles(*store_, {{"big.bin", "", [](const BlobStore::ByteSink& sink) {
                                        RETURN_IF_ERROR(sink("partial"));
                                        return DataLossError("source went away");
                                      }}});
  EXPECT_EQ(failed.status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(fs::is_empty(store_->root() / "tmp"));

  EXPECT_EQ(StoreFiles(*store_, {{"../escape", "x"}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(StoreFiles(*store_, {{"a", "x"}, {"a", "y"}}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(BlobStoreTest, ExportIsAllOrNothing) {
  fs::path dir = root_ / "two";
  fs::create_directories(dir);
  ASSERT_TRUE(WriteFileAtomic(dir / "a.txt", "first file").ok());
  ASSERT_TRUE(WriteFileAtomic(dir / "b.txt", "second file").ok());
  auto manifest = StoreDirectory(*store_, dir);
  ASSERT_TRUE(manifest.ok());
  FlipByte(manifest->files()[1].digest, 3);  // b.txt: exported after a.txt succeeded
  fs::path out = root_ / "export";
  Status s = ExportArtifact(*store_, *manifest, out);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("b.txt"), std::string::npos);
  EXPECT_FALSE(fs::exists(out)) << "no partial export may remain";
  for (auto& e : fs::directory_iterator(root_)) {
    EXPECT_EQ(e.path().filename().string().find(".export"), std::string::npos)
        << "temp dir left behind";
  }
}

TEST_F(BlobStoreTest, ExportRefusesNonEmptyDestination) {
  fs::path dir = root_ / "one";
  fs::create_directories(dir);
  ASSERT_TRUE(WriteFileAtomic(dir / "a.txt", "x").ok());
  auto manifest = StoreDirectory(*store_, dir);
  EXPECT_EQ(ExportArtifact(*store_, *manifest, dir).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(*ReadFile(dir / "a.txt"), "x");
}

TEST_F(BlobStoreTest, StoreDirectoryRefusesSymlinks) {
  fs::path dir = root_ / "evil";
  fs::create_directories(dir);
  fs::create_symlink("/etc/passwd", dir / "link");
  auto m = StoreDirectory(*store_, dir);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("link"), std::string::npos);
}

}  // namespace
}  // namespace citadel::store
