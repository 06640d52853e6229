// Factories of the clean ops, one per file, and what they share. Internal to
// src/data/clean.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/text/spec_reader.h"
#include "data/clean/row_operation.h"

namespace citadel::data {

Result<std::unique_ptr<RowOperation>> MakeDropMissing(const SpecReader& item);  // drop_missing.cc
Result<std::unique_ptr<RowOperation>> MakeFilter(const SpecReader& item);       // filter.cc
Result<std::unique_ptr<RowOperation>> MakeDropDuplicates(
    const SpecReader& item);  // drop_duplicates.cc

// `key` of `item` as a column list: one name or a list of names, not empty.
// std::nullopt when the field is absent.
Result<std::optional<std::vector<std::string>>> ReadColumnNames(const SpecReader& item,
                                                                std::string_view key);

// "spec.yaml:12: steps/0/clean/1" — where the entry was written, kept for
// errors found when the op runs.
std::string SpecLocation(const SpecReader& item);

// The columns named in `names`, or every column of `table` when absent.
// Errors: InvalidArgument from Table::Get, prefixed with `what`.
Result<std::vector<const Column*>> ResolveColumns(
    const Table& table, const std::optional<std::vector<std::string>>& names,
    std::string_view what);

// Keeps the rows where keep[r] != 0; returns how many were removed.
size_t KeepWhere(Table& table, const std::vector<uint8_t>& keep);

}  // namespace citadel::data
