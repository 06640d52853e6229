#include "data/clean/row_operation.h"

#include <gtest/gtest.h>

#include "data/clean/row_op_testing.h"
#include "data/testing/table_fixtures.h"

namespace citadel::data {
namespace {

using testing::IntColumn;
using testing::MakeTable;
using testing::RowOp;
using testing::StringColumn;

TEST(ParseRowOperation, UnknownOpListsTheCleanOps) {
  auto op = RowOp("{ op: dedupe }");
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(op.status().message(),
            "spec.yaml:1: op: unknown op 'dedupe' (clean ops: drop_duplicates, drop_missing, "
            "filter)");
}

TEST(ParseRowOperation, TransformOpsAreSentToTransforms) {
  for (std::string_view yaml : {"{ op: standardize }", "{ op: derive, name: x, expr: '1' }"}) {
    auto op = RowOp(yaml);
    ASSERT_FALSE(op.ok()) << yaml;
    EXPECT_NE(op.status().message().find("list it under transforms: instead of clean:"),
              std::string::npos)
        << op.status();
  }
}

TEST(ParseRowOperation, EntryMustBeAMappingWithAnOp) {
  auto scalar = RowOp("filter");
  ASSERT_FALSE(scalar.ok());
  EXPECT_NE(scalar.status().message().find("expected a mapping such as { op: filter"),
            std::string::npos);
  auto no_op = RowOp("{ expr: 'a > 1' }");
  ASSERT_FALSE(no_op.ok());
  EXPECT_NE(no_op.status().message().find("required field 'op' is missing"), std::string::npos);
}

TEST(RowOperationNames, AreSorted) {
  EXPECT_EQ(RowOperationNames(),
            (std::vector<std::string_view>{"drop_duplicates", "drop_missing", "filter"}));
}

TEST(RowOperation, OpsInSequenceKeepRowIdsAndLinesAligned) {
  Table t = MakeTable({IntColumn("age", {30, std::nullopt, 15, 30, 40, 30}),
                       StringColumn("c", {"DE", "DE", "FR", "DE", "XX", "DE"})});
  size_t removed = 0;
  for (std::string_view yaml :
       {"{ op: drop_missing }", "{ op: filter, expr: 'age >= 18' }", "{ op: drop_duplicates }"}) {
    auto op = RowOp(yaml);
    ASSERT_TRUE(op.ok()) << op.status();
    Result<size_t> n = (*op)->Run(t);
    ASSERT_TRUE(n.ok()) << n.status();
    removed += *n;
  }
  EXPECT_EQ(removed, 4u);  // row 1 (missing), row 2 (15), rows 3 and 5 (copies of row 0)
  EXPECT_EQ(t.row_ids, (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(t.lines, (std::vector<int64_t>{2, 6}));
  EXPECT_EQ(t.Where(1), "t.csv:6");
}

}  // namespace
}  // namespace citadel::data
