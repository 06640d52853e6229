// CSV text → typed Table. Each field is converted as it is found, straight
// from the decoded text, into its column's builder (csv_chunk_parser.h).
//
// A large text is cut into chunks at record starts and the chunks are parsed
// on threads, each into its own builders, which are then merged in file
// order. A cut must be a record start of the sequential parse: it is put
// after a newline with an even number of quotes before it (outside quoted
// fields, by RFC 4180), which holds for well-formed files. It is then
// verified: the chunk before a cut must end its last record at or before the
// cut. A file where quotes fool the count (a stray '"' inside a plain field)
// fails that check and is parsed again on one thread, so the result never
// depends on the guess. The first error in file order is reported: a chunk's
// error counts only when every chunk before it was read without error up to
// its cut. Merged column types and values are those of one sequential pass
// (ColumnBuilder::Join / ConformTo).
#include <fmt/format.h>

#include <algorithm>

#include "base/system/thread_pool.h"
#include "data/ingest/cells/column_builder.h"
#include "data/ingest/csv/csv_chunk_parser.h"
#include "data/ingest/csv/field_scanner.h"
#include "data/ingest/input_spec.h"

namespace citadel::data {
namespace {

using Kind = ColumnBuilder::Kind;

constexpr size_t kMaxThreads = 16;

size_t ChunkCount(size_t data_bytes, const CsvParallelism& parallelism) {
  size_t threads = parallelism.threads != 0 ? parallelism.threads : AvailableCores();
  threads = std::min(threads, kMaxThreads);
  size_t by_size = data_bytes / std::max<size_t>(parallelism.min_chunk_bytes, 1);
  return std::max<size_t>(1, std::min(threads, by_size));
}

// Cuts [data_begin, size) into at most `count` chunks (see the file comment).
// The newlines and quotes before each rough cut are counted on the pool;
// from a rough cut the chunk starts after the first newline outside quotes,
// and a cut that finds none before the next rough cut is dropped.
std::vector<CsvChunk> PlanChunks(std::string_view text, size_t data_begin, int64_t data_line,
                                 size_t count, ThreadPool& pool) {
  std::vector<size_t> rough(count + 1);
  for (size_t k = 0; k <= count; ++k) {
    rough[k] = data_begin + (text.size() - data_begin) / count * k;
  }
  rough[count] = text.size();
  std::vector<NewlinesAndQuotes> counts(count);
  pool.ParallelFor(count, [&](size_t k) {
    counts[k] = CountNewlinesAndQuotes(text.substr(rough[k], rough[k + 1] - rough[k]));
  });

  std::vector<CsvChunk> chunks(1);
  chunks[0].begin = data_begin;
  chunks[0].line = data_line;
  size_t newlines = 0;
  size_t quotes = 0;
  for (size_t k = 1; k < count; ++k) {
    newlines += counts[k - 1].newlines;
    quotes += counts[k - 1].quotes;
    bool quoted = quotes % 2 == 1;
    size_t seen = 0;
    for (size_t i = rough[k]; i < rough[k + 1]; ++i) {
      if (text[i] == '"') {
        quoted = !quoted;
      } else if (text[i] == '\n') {
        ++seen;
        if (quoted) continue;
        CsvChunk& chunk = chunks.emplace_back();
        chunk.begin = i + 1;
        chunk.line = data_line + static_cast<int64_t>(newlines + seen);
        break;
      }
    }
  }
  chunks[0].reserve_stop = text.size();
  for (size_t k = 0; k < chunks.size(); ++k) {
    chunks[k].stop = k + 1 < chunks.size() ? chunks[k + 1].begin : text.size();
  }
  return chunks;
}

Table MakeTable(std::string source, std::vector<CsvChunk>& chunks) {
  Table table;
  table.source = std::move(source);
  size_t rows = 0;
  for (const CsvChunk& chunk : chunks) rows += chunk.lines.size();
  if (chunks.size() == 1) {
    table.lines = std::move(chunks[0].lines);  // no copy of a column's worth of lines
  } else {
    table.lines.reserve(rows);
    for (CsvChunk& chunk : chunks) {
      table.lines.insert(table.lines.end(), chunk.lines.begin(), chunk.lines.end());
    }
  }
  for (CsvChunk& chunk : chunks) {
    std::vector<int64_t>().swap(chunk.lines);
    std::vector<size_t>().swap(chunk.row_begins);
  }
  table.row_ids.resize(rows);
  for (size_t r = 0; r < rows; ++r) table.row_ids[r] = static_cast<int64_t>(r);
  const size_t width = chunks[0].builders.size();
  table.columns.resize(width);
  // Column by column, in parallel: each merge copies its chunks' cells once.
  SharedPool().ParallelFor(width, [&](size_t c) {
    ColumnBuilder& merged = chunks[0].builders[c];
    if (chunks.size() > 1) merged.Reserve(rows);
    for (size_t k = 1; k < chunks.size(); ++k) merged.Absorb(std::move(chunks[k].builders[c]));
    table.columns[c] = std::move(merged).Finish();
  });
  return table;
}

}  // namespace

Result<Table> ParseCsvTable(std::string_view text, std::string source, const InputSpec& spec) {
  return ParseCsvTable(text, std::move(source), spec, CsvParallelism());
}

Result<Table> ParseCsvTable(std::string_view text, std::string source, const InputSpec& spec,
                            const CsvParallelism& parallelism) {
  ASSIGN_OR_RETURN(CsvLayout layout, DetectCsvLayout(text, source, spec.csv));
  RETURN_IF_ERROR(CheckDeclaredColumns(spec.schema, layout.columns, source));
  const MissingTokens missing(spec.missing_values);
  const CsvChunkInput input{text, source, &spec, &missing};

  const size_t count = ChunkCount(text.size() - layout.data_begin, parallelism);
  if (count == 1) {
    std::vector<CsvChunk> chunks(1);
    chunks[0].begin = layout.data_begin;
    chunks[0].stop = text.size();
    chunks[0].line = layout.data_line;
    chunks[0].builders = MakeBuilders(layout.columns, spec.schema);
    RETURN_IF_ERROR(ParseCsvChunk(input, chunks[0]));
    RETURN_IF_ERROR(FillEarlierText(input, chunks[0]));
    return MakeTable(std::move(source), chunks);
  }

  ThreadPool& pool = SharedPool();
  std::vector<CsvChunk> chunks = PlanChunks(text, layout.data_begin, layout.data_line, count, pool);
  std::vector<Status> statuses(chunks.size());
  pool.ParallelFor(chunks.size(), [&](size_t k) {
    chunks[k].builders = MakeBuilders(layout.columns, spec.schema);
    statuses[k] = ParseCsvChunk(input, chunks[k]);
  });
  for (size_t k = 0; k < chunks.size(); ++k) {
    if (k > 0 && chunks[k - 1].end > chunks[k].begin) {
      // The cut fell inside a record: the quote count was fooled.
      CsvParallelism one_thread = parallelism;
      one_thread.threads = 1;
      return ParseCsvTable(text, std::move(source), spec, one_thread);
    }
    RETURN_IF_ERROR(statuses[k]);
  }

  const size_t width = layout.columns.size();
  for (size_t c = 0; c < width; ++c) {
    Kind kind = Kind::kUndecided;
    for (const CsvChunk& chunk : chunks) kind = ColumnBuilder::Join(kind, chunk.builders[c].kind());
    Kind before = Kind::kUndecided;
    for (CsvChunk& chunk : chunks) {
      Kind own = chunk.builders[c].kind();
      chunk.builders[c].ConformTo(kind, before);
      before = ColumnBuilder::Join(before, own);
    }
  }
  pool.ParallelFor(chunks.size(),
                   [&](size_t k) { statuses[k] = FillEarlierText(input, chunks[k]); });
  for (const Status& status : statuses) RETURN_IF_ERROR(status);
  return MakeTable(std::move(source), chunks);
}

}  // namespace citadel::data
