#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "data/data_test_util.h"
#include "data/ingest/input_spec.h"

namespace citadel::data {
namespace {

// An IDX file: magic, type byte, big-endian dims, then `data` bytes as given.
std::string Idx(uint8_t type, std::vector<uint32_t> dims, std::vector<uint8_t> data) {
  std::string out = {'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(d >> shift));
  }
  for (uint8_t b : data) out.push_back(static_cast<char>(b));
  return out;
}

Result<Table> Images(const std::string& images, const std::optional<std::string>& labels,
                     const InputSpec& spec = {}) {
  return ParseIdxTable(images, "images.idx",
                       labels ? std::optional<std::string_view>(*labels) : std::nullopt,
                       "labels.idx", spec);
}

TEST(ReadIdxTable, TurnsImagesIntoPixelColumnsAndLabelsIntoALabelColumn) {
  // Two 2 × 2 images and their labels.
  auto t = Images(Idx(0x08, {2, 2, 2}, {0, 1, 2, 255, 10, 11, 12, 13}), Idx(0x08, {2}, {7, 3}));
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->num_columns(), 5u);
  EXPECT_EQ(t->columns[0].name, "pixel_0");
  EXPECT_EQ(t->columns[3].name, "pixel_3");
  EXPECT_EQ(t->columns[4].name, "label");
  for (const Column& c : t->columns) {
    EXPECT_EQ(c.type, ColumnType::kInt) << c.name;
    EXPECT_EQ(c.CountMissing(), 0u) << c.name;
    EXPECT_EQ(c.sources, std::vector<std::string>{c.name});
  }
  EXPECT_EQ(t->columns[0].ints, (std::vector<int64_t>{0, 10}));
  EXPECT_EQ(t->columns[3].ints, (std::vector<int64_t>{255, 13}));
  EXPECT_EQ(t->columns[4].ints, (std::vector<int64_t>{7, 3}));
  EXPECT_EQ(t->lines, (std::vector<int64_t>{1, 2}));  // record numbers
  EXPECT_EQ(t->row_ids, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(t->source, "images.idx");
}

TEST(ReadIdxTable, FloatImagesGiveFloatColumnsAndOneDimensionGivesAValueColumn) {
  // float32 1.5 = 3F C0 00 00, -2 = C0 00 00 00.
  auto floats = Images(Idx(0x0D, {1, 2}, {0x3F, 0xC0, 0, 0, 0xC0, 0, 0, 0}), std::nullopt);
  ASSERT_TRUE(floats.ok()) << floats.status();
  EXPECT_EQ(floats->columns[0].type, ColumnType::kFloat);
  EXPECT_EQ(floats->columns[0].floats, std::vector<double>{1.5});
  EXPECT_EQ(floats->columns[1].floats, std::vector<double>{-2.0});

  auto vector = Images(Idx(0x0B, {2}, {0xFF, 0xFF, 0x01, 0x00}), std::nullopt);
  ASSERT_TRUE(vector.ok()) << vector.status();
  ASSERT_EQ(vector->num_columns(), 1u);
  EXPECT_EQ(vector->columns[0].name, "value");
  EXPECT_EQ(vector->columns[0].ints, (std::vector<int64_t>{-1, 256}));
}

TEST(ReadIdxTable, ZeroRecordsGiveAnEmptyTable) {
  auto t = Images(Idx(0x08, {0, 2, 2}, {}), Idx(0x08, {0}, {}));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->num_rows(), 0u);
  EXPECT_EQ(t->num_columns(), 5u);
}

TEST(ReadIdxTable, AnEmptyArrayCannotAskForMillionsOfColumns) {
  auto t = Images(Idx(0x08, {0, 2048, 1024}, {}), std::nullopt);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            "images.idx: IDX records of shape [0, 2048, 1024] hold 2097152 values each; at most "
            "1048576 columns are supported");
}

TEST(ReadIdxTable, RecordsWithoutValuesAreRefused) {
  // Four billion records of nothing: no data bytes, but a row per record.
  auto t = Images(Idx(0x08, {0xFFFFFFFF, 0}, {}), std::nullopt);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            "images.idx: IDX records of shape [4294967295, 0] hold no values; a dimension after "
            "the first is 0");
}

TEST(ReadIdxTable, ImagesAndLabelsMustHaveTheSameRecordCount) {
  auto t = Images(Idx(0x08, {2, 1, 1}, {1, 2}), Idx(0x08, {3}, {0, 1, 2}));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message().rfind(
                "images.idx holds 2 records but labels.idx holds 3 labels; the images and labels "
                "files must belong together",
                0),
            0u)
      << t.status().message();
}

TEST(ReadIdxTable, LabelsMustBeOneDimensionalIntegers) {
  auto matrix = Images(Idx(0x08, {1, 1}, {1}), Idx(0x08, {1, 1}, {1}));
  ASSERT_FALSE(matrix.ok());
  EXPECT_EQ(matrix.status().message(),
            "labels.idx: labels must be a 1-D integer IDX array [N]; this one is [1, 1] of ubyte");
  auto floats = Images(Idx(0x08, {1, 1}, {1}), Idx(0x0D, {1}, {0, 0, 0, 0}));
  ASSERT_FALSE(floats.ok());
  EXPECT_NE(floats.status().message().find("of float32"), std::string::npos);
}

TEST(ReadIdxTable, MalformedArraysAreErrorsNamingTheFile) {
  auto truncated = Images(Idx(0x08, {2, 2}, {1, 2, 3}), std::nullopt);
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find("images.idx: IDX dimensions 2 × 2 of ubyte need 4 "
                                              "data bytes, the file has 3 (truncated)"),
            std::string::npos);
  auto trailing = Images(Idx(0x08, {1, 1}, {1}), Idx(0x08, {1}, {1, 2}));
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.status().message().find("labels.idx: IDX dimensions 1 of ubyte need 1 data "
                                             "bytes, the file has 2 (trailing bytes"),
            std::string::npos);
  auto magic = Images("\x01\x02\x08\x01\x00\x00\x00\x00", std::nullopt);
  ASSERT_FALSE(magic.ok());
  EXPECT_NE(magic.status().message().find("bad IDX magic"), std::string::npos);
}

TEST(ReadIdxTable, DeclaredTypesMayMakeTheLabelText) {
  InputSpec spec;
  spec.schema = {{"label", ColumnType::kString}, {"pixel_0", ColumnType::kFloat}};
  auto t = Images(Idx(0x08, {2, 1}, {4, 5}), Idx(0x08, {2}, {9, 0}), spec);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->Find("label")->type, ColumnType::kString);
  EXPECT_EQ(t->Find("label")->strings, (std::vector<std::string>{"9", "0"}));
  EXPECT_EQ(t->Find("pixel_0")->floats, (std::vector<double>{4.0, 5.0}));

  InputSpec bad;
  bad.schema = {{"pixel_0", ColumnType::kTimestamp}};
  auto refused = Images(Idx(0x08, {1, 1}, {4}), std::nullopt, bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("column 'pixel_0' holds IDX integer values and cannot "
                                            "be declared timestamp"),
            std::string::npos);
  InputSpec absent;
  absent.schema = {{"label", ColumnType::kString}};
  auto no_labels = Images(Idx(0x08, {1, 1}, {4}), std::nullopt, absent);
  ASSERT_FALSE(no_labels.ok());
  EXPECT_NE(no_labels.status().message().find("column 'label' in input: schema is not in the file"),
            std::string::npos);
}

TEST(ReadIdxTable, ReadTableGunzipsBothFilesAndLabelsByDefault) {
  testing::ScratchDir dir;
  InputSpec spec;
  spec.format = InputSpec::Format::kIdx;
  spec.path = dir.Write("img.gz", testing::Gzip(Idx(0x08, {1, 1, 2}, {3, 4})));
  spec.idx_labels = dir.Write("lab.gz", testing::Gzip(Idx(0x08, {1}, {6})));
  auto t = ReadTable(spec);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->label, "label");
  EXPECT_EQ(t->columns[1].ints, std::vector<int64_t>{4});
  EXPECT_EQ(spec.Files(), (std::vector<std::filesystem::path>{spec.path, spec.idx_labels}));

  spec.idx_labels.clear();
  auto unlabelled = ReadTable(spec);
  ASSERT_TRUE(unlabelled.ok()) << unlabelled.status();
  EXPECT_EQ(unlabelled->label, "");
  EXPECT_EQ(unlabelled->num_columns(), 2u);
}

// The real data set, installed by scripts/bootstrap.sh (Debian package
// dataset-fashion-mnist). Its test split has 10 000 28 × 28 images, 1 000 of
// each of the 10 classes.
TEST(ReadIdxTable, ReadsTheFashionMnistTestSet) {
  const std::filesystem::path dir = "/usr/share/datasets/fashion-mnist";
  InputSpec spec;
  spec.format = InputSpec::Format::kIdx;
  spec.path = dir / "t10k-images-idx3-ubyte.gz";
  spec.idx_labels = dir / "t10k-labels-idx1-ubyte.gz";
  ASSERT_TRUE(std::filesystem::exists(spec.path) && std::filesystem::exists(spec.idx_labels))
      << "Fashion-MNIST is not installed under " << dir
      << "; run scripts/bootstrap.sh (it installs the dataset-fashion-mnist package)";
  auto t = ReadTable(spec);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->num_rows(), 10000u);
  ASSERT_EQ(t->num_columns(), 28u * 28u + 1u);
  EXPECT_EQ(t->label, "label");
  EXPECT_EQ(t->columns[783].name, "pixel_783");
  std::vector<int> per_class(10, 0);
  for (int64_t label : t->Find("label")->ints) {
    ASSERT_GE(label, 0);
    ASSERT_LE(label, 9);
    ++per_class[static_cast<size_t>(label)];
  }
  EXPECT_EQ(per_class, std::vector<int>(10, 1000));
  int64_t max_pixel = 0;
  for (size_t k = 0; k < 784; ++k) {
    const std::vector<int64_t>& v = t->columns[k].ints;
    ASSERT_GE(*std::min_element(v.begin(), v.end()), 0);
    max_pixel = std::max(max_pixel, *std::max_element(v.begin(), v.end()));
  }
  EXPECT_EQ(max_pixel, 255);
}

}  // namespace
}  // namespace citadel::data
