#include "base/status.h"

#include <gtest/gtest.h>

namespace citadel {
namespace {

Result<int> ParsePositive(int v) {
  if (v <= 0) return InvalidArgumentError("value must be positive");
  return v;
}

Result<int> DoubledPositive(int v) {
  ASSIGN_OR_RETURN(int x, ParsePositive(v));
  return 2 * x;
}

Status CheckBoth(int a, int b) {
  RETURN_IF_ERROR(ParsePositive(a));
  RETURN_IF_ERROR(ParsePositive(b).status().WithContext("second"));
  return Status::Ok();
}

TEST(Status, OkHasNoMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(Status, ToStringNamesCodeAndMessage) {
  EXPECT_EQ(DataLossError("blob x corrupt").ToString(), "DataLoss: blob x corrupt");
}

TEST(Status, WithContextPrefixesMessageAndKeepsCode) {
  Status s = NotFoundError("no such file").WithContext("loading model m");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "loading model m: no such file");
  EXPECT_TRUE(Status::Ok().WithContext("x").ok());
}

TEST(Result, AssignOrReturnPropagatesErrors) {
  EXPECT_EQ(*DoubledPositive(4), 8);
  Result<int> bad = DoubledPositive(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(Result, ReturnIfErrorStopsAtFirstFailure) {
  EXPECT_TRUE(CheckBoth(1, 2).ok());
  EXPECT_EQ(CheckBoth(-1, 2).message(), "value must be positive");
  EXPECT_EQ(CheckBoth(1, -2).message(), "second: value must be positive");
}

TEST(Status, ErrnoErrorMapsCommonCodes) {
  EXPECT_EQ(ErrnoError("open", "/x", ENOENT).code(), StatusCode::kNotFound);
  EXPECT_EQ(ErrnoError("open", "/x", EACCES).code(), StatusCode::kPermissionDenied);
  EXPECT_NE(ErrnoError("open", "/x", ENOENT).message().find("/x"), std::string::npos);
}

}  // namespace
}  // namespace citadel
