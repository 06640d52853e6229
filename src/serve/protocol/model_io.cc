#include "serve/protocol/model_io.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "data/table/table.h"

namespace citadel::serve {
namespace {

std::string Where(size_t index, const Tensor& t) {
  return fmt::format("inputs[{}] ('{}')", index, t.name);
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ","));
}

Tensor MakeTensor(std::string name, std::string datatype, std::vector<int64_t> shape) {
  Tensor t;
  t.name = std::move(name);
  t.datatype = std::move(datatype);
  t.shape = std::move(shape);
  return t;
}

// Model features sent directly: [N, F] floats.
Result<ModelInput> PreprocessedFeatures(const ServedModel& m, const Tensor& t, size_t index) {
  const int64_t f = static_cast<int64_t>(m.session->feature_names().size());
  if (t.datatype != "FP32" && t.datatype != "FP64") {
    return InvalidArgumentError(fmt::format("{}: datatype {} where the model takes FP32 (or FP64)",
                                            Where(index, t), t.datatype));
  }
  if (t.shape.size() != 2 || t.shape[1] != f) {
    return InvalidArgumentError(fmt::format("{}: shape {} where the model takes [N,{}]",
                                            Where(index, t), ShapeText(t.shape), f));
  }
  ModelInput in;
  in.rows = t.shape[0];
  in.features.resize(t.numbers.size());
  for (size_t i = 0; i < t.numbers.size(); ++i) {
    const double v = t.numbers[i];
    if (!std::isfinite(v) || std::abs(v) > std::numeric_limits<float>::max()) {
      return InvalidArgumentError(
          fmt::format("{}: element {} (row {}, feature '{}') is {}, not a "
                      "finite float",
                      Where(index, t), i, i / static_cast<size_t>(f),
                      m.session->feature_names()[i % static_cast<size_t>(f)], v));
    }
    in.features[i] = static_cast<float>(v);
  }
  return in;
}

// One raw column from its tensor, converted to the column's type.
Result<data::Column> RawColumn(const Tensor& t, size_t index, const std::string& name,
                               data::ColumnType type, int64_t rows) {
  const std::string where = Where(index, t);
  data::Column c = data::Column::Empty(name, type, {name});
  const bool bytes = t.datatype == "BYTES";
  auto number = [&](int64_t i) { return t.numbers[static_cast<size_t>(i)]; };
  for (int64_t i = 0; i < rows; ++i) {
    switch (type) {
      case data::ColumnType::kString:
        if (!bytes) {
          return InvalidArgumentError(fmt::format(
              "{}: column '{}' is a string column; send BYTES, not {}", where, name, t.datatype));
        }
        c.Append(t.strings[static_cast<size_t>(i)]);
        break;
      case data::ColumnType::kFloat:
        if (bytes) {
          return InvalidArgumentError(fmt::format(
              "{}: column '{}' is numeric (float); send FP64 or FP32, not BYTES", where, name));
        }
        if (!std::isfinite(number(i))) {
          return InvalidArgumentError(
              fmt::format("{}: element {} is {}, not a finite number", where, i, number(i)));
        }
        c.Append(number(i));
        break;
      case data::ColumnType::kInt:
      case data::ColumnType::kBool: {
        if (bytes) {
          return InvalidArgumentError(fmt::format(
              "{}: column '{}' is {}; send {}, not BYTES", where, name, data::ColumnTypeName(type),
              type == data::ColumnType::kBool ? "BOOL" : "INT64"));
        }
        const double v = number(i);
        const bool ok = type == data::ColumnType::kBool
                            ? (v == 0 || v == 1)
                            : (std::isfinite(v) && v == std::floor(v) && std::abs(v) < 9.007e15);
        if (!ok) {
          return InvalidArgumentError(fmt::format(
              "{}: element {} is {}, not {} for column '{}'", where, i, v,
              type == data::ColumnType::kBool ? "a boolean (true/false or 0/1)" : "an integer",
              name));
        }
        c.Append(static_cast<int64_t>(v));
        break;
      }
      case data::ColumnType::kTimestamp: {
        if (bytes) {
          auto micros = data::ParseTimestamp(t.strings[static_cast<size_t>(i)]);
          if (!micros) {
            return InvalidArgumentError(
                fmt::format("{}: element {} '{}' is not an ISO 8601 timestamp", where, i,
                            data::ShortenForMessage(t.strings[static_cast<size_t>(i)])));
          }
          c.Append(*micros);
        } else {
          const double v = number(i);
          if (v != std::floor(v) || std::abs(v) > 9.007e15) {
            return InvalidArgumentError(fmt::format(
                "{}: element {} is {}, not integer microseconds since the epoch", where, i, v));
          }
          c.Append(static_cast<int64_t>(v));
        }
        break;
      }
    }
  }
  return c;
}

Result<ModelInput> RawFeatures(const ServedModel& m, const InferRequest& req) {
  if (!m.raw_pipeline) {
    return InvalidArgumentError(fmt::format(
        "model {} records no raw input columns; send its features as one tensor '{}' [N,{}]",
        m.Label(), m.session->model_json()["input"].value("name", "features"),
        m.session->feature_names().size()));
  }
  int64_t rows = -1;
  data::Table table;
  table.source = "request";
  for (const Json& col : m.raw_inputs) {
    const std::string name = col.value("name", "");
    auto type = data::ParseColumnType(col.value("type", ""));
    if (!type)
      return InternalError(fmt::format("model {}: raw input '{}' has no type", m.Label(), name));
    size_t index = req.inputs.size();
    for (size_t i = 0; i < req.inputs.size(); ++i) {
      if (req.inputs[i].name == name) index = i;
    }
    if (index == req.inputs.size()) {
      std::vector<std::string> names;
      for (const Json& c : m.raw_inputs) names.push_back(c.value("name", ""));
      return InvalidArgumentError(
          fmt::format("input '{}' is missing; model {} takes the columns "
                      "[{}] (or one '{}' tensor of features)",
                      name, m.Label(), fmt::join(names, ", "),
                      m.session->model_json()["input"].value("name", "features")));
    }
    const Tensor& t = req.inputs[index];
    const bool column_shape = t.shape.size() == 1 || (t.shape.size() == 2 && t.shape[1] == 1);
    if (!column_shape) {
      return InvalidArgumentError(fmt::format("{}: shape {} where a column takes [N] or [N,1]",
                                              Where(index, t), ShapeText(t.shape)));
    }
    if (rows >= 0 && t.shape[0] != rows) {
      return InvalidArgumentError(fmt::format("{}: {} rows where the other inputs have {}",
                                              Where(index, t), t.shape[0], rows));
    }
    rows = t.shape[0];
    ASSIGN_OR_RETURN(data::Column c, RawColumn(t, index, name, *type, rows));
    table.columns.push_back(std::move(c));
  }
  for (size_t i = 0; i < req.inputs.size(); ++i) {
    if (table.Find(req.inputs[i].name) == nullptr) {
      return InvalidArgumentError(fmt::format("{}: model {} has no input named '{}'",
                                              Where(i, req.inputs[i]), m.Label(),
                                              req.inputs[i].name));
    }
  }
  if (rows < 0) return InvalidArgumentError("the request has no inputs");
  for (int64_t r = 0; r < rows; ++r) {
    table.row_ids.push_back(r);
    table.lines.push_back(r + 1);
  }
  ModelInput in;
  in.rows = rows;
  auto features = m.raw_pipeline->Transform(std::move(table));
  if (!features.ok()) {
    return InvalidArgumentError(fmt::format("the stored preprocessing refused the request: {}",
                                            features.status().message()));
  }
  in.features = std::move(*features);
  return in;
}

}  // namespace

Result<ModelInput> RequestFeatures(const ServedModel& m, const InferRequest& req,
                                   const RequestLimits& limits) {
  if (req.inputs.empty()) return InvalidArgumentError("the request has no inputs");
  const std::string features_name = m.session->model_json()["input"].value("name", "features");
  ModelInput in;
  if (req.inputs.size() == 1 && req.inputs[0].name == features_name) {
    ASSIGN_OR_RETURN(in, PreprocessedFeatures(m, req.inputs[0], 0));
  } else {
    ASSIGN_OR_RETURN(in, RawFeatures(m, req));
  }
  if (in.rows < 1) return InvalidArgumentError("the request has no rows");
  if (in.rows > limits.max_rows) {
    return InvalidArgumentError(
        fmt::format("the request has {} rows; this endpoint takes at most {} per request", in.rows,
                    limits.max_rows));
  }
  return in;
}

int64_t TopClass(std::span<const float> row) {
  return std::max_element(row.begin(), row.end()) - row.begin();
}

Status FillOutputs(const ServedModel& m, std::span<const float> probs, int64_t rows,
                   const OutputHardening& hardening, const InferRequest& req, InferResponse& out) {
  const auto& classes = m.session->classes();
  const int64_t k = static_cast<int64_t>(classes.size());
  std::vector<Tensor> outputs;
  if (hardening.top_k == 0 && hardening.decimals < 0) {
    Tensor p = MakeTensor("probabilities", "FP32", {rows, k});
    p.numbers.assign(probs.begin(), probs.end());
    Tensor label = MakeTensor("label", "BYTES", {rows});
    for (int64_t r = 0; r < rows; ++r) {
      label.strings.push_back(classes[static_cast<size_t>(
          TopClass(probs.subspan(static_cast<size_t>(r * k), static_cast<size_t>(k))))]);
    }
    outputs.push_back(std::move(p));
    outputs.push_back(std::move(label));
  } else {
    auto kept = HardenOutputs(probs, rows, k, hardening);
    const int64_t width = kept.empty() ? 0 : static_cast<int64_t>(kept.front().size());
    Tensor names = MakeTensor("top_classes", "BYTES", {rows, width});
    Tensor values = MakeTensor("top_probabilities", "FP32", {rows, width});
    for (const auto& row : kept) {
      for (const auto& [cls, p] : row) {
        names.strings.push_back(classes[static_cast<size_t>(cls)]);
        values.numbers.push_back(p);
      }
    }
    outputs.push_back(std::move(names));
    outputs.push_back(std::move(values));
  }
  if (req.outputs.empty()) {
    for (Tensor& t : outputs) {
      if (req.binary_outputs) t.parameters["binary_data"] = true;
      out.outputs.push_back(std::move(t));
    }
    return Status::Ok();
  }
  for (size_t i = 0; i < req.outputs.size(); ++i) {
    const auto& want = req.outputs[i];
    auto it = std::find_if(outputs.begin(), outputs.end(),
                           [&](const Tensor& t) { return t.name == want.name; });
    if (it == outputs.end()) {
      std::vector<std::string> names;
      for (const Tensor& t : outputs) names.push_back(t.name);
      return InvalidArgumentError(
          fmt::format("outputs[{}]: model {} has no output '{}'; it has [{}]", i, m.Label(),
                      want.name, fmt::join(names, ", ")));
    }
    Tensor t = *it;
    if (want.binary || req.binary_outputs) t.parameters["binary_data"] = true;
    out.outputs.push_back(std::move(t));
  }
  return Status::Ok();
}

Json ModelMetadata(const std::string& endpoint, const ServedModel& m,
                   const OutputHardening& hardening) {
  const Json& mj = m.session->model_json();
  const int64_t f = static_cast<int64_t>(m.session->feature_names().size());
  const int64_t k = static_cast<int64_t>(m.session->classes().size());
  Json inputs = Json::array();
  auto datatype_of = [](const std::string& type) -> std::string {
    if (type == "int") return "INT64";
    if (type == "float") return "FP64";
    if (type == "bool") return "BOOL";
    return "BYTES";  // string; timestamp (ISO 8601, or INT64 µs)
  };
  if (m.raw_pipeline) {
    for (const Json& c : m.raw_inputs) {
      inputs.push_back({{"name", c.value("name", "")},
                        {"datatype", datatype_of(c.value("type", ""))},
                        {"shape", {-1}}});
    }
  } else {
    inputs.push_back({{"name", mj["input"].value("name", "features")},
                      {"datatype", "FP32"},
                      {"shape", {-1, f}}});
  }
  Json outputs = Json::array();
  if (hardening.top_k == 0 && hardening.decimals < 0) {
    outputs.push_back({{"name", "probabilities"}, {"datatype", "FP32"}, {"shape", {-1, k}}});
    outputs.push_back({{"name", "label"}, {"datatype", "BYTES"}, {"shape", {-1}}});
  } else {
    const int64_t width = hardening.top_k > 0 ? std::min<int64_t>(hardening.top_k, k) : k;
    outputs.push_back({{"name", "top_classes"}, {"datatype", "BYTES"}, {"shape", {-1, width}}});
    outputs.push_back(
        {{"name", "top_probabilities"}, {"datatype", "FP32"}, {"shape", {-1, width}}});
  }
  return {{"name", endpoint},
          {"versions", {std::to_string(m.version)}},
          {"platform", "citadel_" + mj["architecture"].value("arch", "model")},
          {"inputs", inputs},
          {"outputs", outputs},
          {"parameters",
           {{"model", m.model},
            {"version", m.version},
            {"artifact", m.artifact_id},
            {"loaded_at", m.loaded_at},
            {"verification", m.verification},
            // What screens this model's rows (docs/formats/model.md): its
            // space, threshold and quantile; null without a detector.
            {"out_of_distribution", m.ood() != nullptr ? m.ood()->Summary() : Json(nullptr)},
            {"features",
             {{"name", mj["input"].value("name", "features")},
              {"datatype", "FP32"},
              {"shape", {-1, f}}}},
            {"classes", m.session->classes()}}}};
}

}  // namespace citadel::serve
