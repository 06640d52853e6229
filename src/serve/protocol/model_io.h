// Between OIP tensors and a served model: what a request may send (the
// model's preprocessed features, or its raw input columns, which go through
// the preprocessing stored with the model), the checks on it, and the
// outputs a client gets back.
//
// Input forms, checked against the model's schema with a precise 400:
//   - one tensor named like model.json's input ("features"), FP32 or FP64,
//     shape [N, F]: features already preprocessed the way training data was;
//   - one tensor per raw input column, shape [N] or [N, 1]: int columns take
//     integer-valued numbers, float columns any number (FP64 keeps exactly
//     the precision the CSV had), bool columns BOOL or 0/1, string columns
//     BYTES, timestamp columns INT64 microseconds or BYTES ISO 8601.
// Outputs: "probabilities" FP32 [N, C] and "label" BYTES [N] (the top
// class), or under output hardening "top_classes" BYTES [N, k] and
// "top_probabilities" FP32 [N, k], rounded as configured.
#pragma once

#include <span>
#include <vector>

#include "base/status.h"
#include "serve/protocol/oip_codec.h"
#include "serve/served_model.h"

namespace citadel::serve {

struct ModelInput {
  std::vector<float> features;  // rows × model features, row-major
  int64_t rows = 0;
};

// InvalidArgument naming the input (and element) at fault.
Result<ModelInput> RequestFeatures(const ServedModel& model, const InferRequest& request,
                                   const RequestLimits& limits);

// Fills response.outputs from the probabilities (rows × classes), keeping
// only the outputs the request asked for (InvalidArgument for an unknown one).
Status FillOutputs(const ServedModel& model, std::span<const float> probabilities, int64_t rows,
                   const OutputHardening& hardening, const InferRequest& request,
                   InferResponse& response);

// The OIP model metadata: name, versions, platform, inputs and outputs
// (name, datatype, shape), plus what is running: artifact and verification.
Json ModelMetadata(const std::string& endpoint, const ServedModel& model,
                   const OutputHardening& hardening);

// Index of the largest of `row` (the first on ties, like torch.argmax).
int64_t TopClass(std::span<const float> row);

}  // namespace citadel::serve
