// The public datatype and shape queries (oip_dtype.cc): IsOipDatatype,
// DatatypeElementSize, Tensor::ElementCount.
#include <gtest/gtest.h>

#include <cstdint>

#include "serve/protocol/oip_codec.h"

namespace citadel::serve {
namespace {

TEST(OipTensor, CountsElementsOfTheShape) {
  Tensor t;
  EXPECT_EQ(t.ElementCount(), 1);  // a scalar
  t.shape = {2, 3, 4};
  EXPECT_EQ(t.ElementCount(), 24);
  t.shape = {0, int64_t{1} << 62, 8};
  EXPECT_EQ(t.ElementCount(), 0);
  t.shape = {int64_t{1} << 62, 4};
  EXPECT_EQ(t.ElementCount(), -1);
}

TEST(OipDatatypes, KnowsTheThirteenNamesAndTheirWidths) {
  EXPECT_TRUE(IsOipDatatype("FP16"));
  EXPECT_TRUE(IsOipDatatype("BYTES"));
  EXPECT_FALSE(IsOipDatatype("fp32"));
  EXPECT_FALSE(IsOipDatatype("FP8"));
  EXPECT_EQ(DatatypeElementSize("BOOL"), 1u);
  EXPECT_EQ(DatatypeElementSize("FP16"), 2u);
  EXPECT_EQ(DatatypeElementSize("UINT32"), 4u);
  EXPECT_EQ(DatatypeElementSize("INT64"), 8u);
  EXPECT_EQ(DatatypeElementSize("BYTES"), 0u);
  EXPECT_EQ(DatatypeElementSize("STRING"), 0u);
}

}  // namespace
}  // namespace citadel::serve
