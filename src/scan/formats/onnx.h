// ONNX models (a protobuf ModelProto), read with the wire reader of
// protobuf_wire.h and the field numbers of onnx.proto — no protobuf
// library, no generated code, nothing allocated per field.
//
// What is followed: the model's graph (ModelProto.graph = 7), its
// training graphs (training_info = 20: initialization = 1, algorithm = 2)
// and local functions (functions = 25: FunctionProto.node = 7, domain =
// 10, name = 1); in a graph its nodes (GraphProto.node = 1: NodeProto
// op_type = 4, domain = 7, attribute = 5), initializers (5) and sparse
// initializers (15: SparseTensorProto values = 1, indices = 2); in a
// node's attributes the tensors (AttributeProto t = 5, tensors = 10,
// sparse_tensor = 22, sparse_tensors = 23) and subgraphs (g = 6, graphs =
// 11) of If, Loop and Scan. Messages nest at most 64 deep.
//
// What is reported:
//  - external-data (dangerous): a tensor whose external data location
//    (TensorProto.external_data = 13, key "location") is absolute, a
//    drive or UNC path, a URL, under "~", holds a NUL, or climbs out of
//    the model's directory with "..": loading it reads (or, when saving,
//    writes) a file outside the model. Whether a relative location is a
//    symlink can only be told on disk: the loader must check that.
//  - custom-operator: a node in a domain outside the ONNX standard ("",
//    "ai.onnx", "ai.onnx.ml", "ai.onnx.training",
//    "ai.onnx.preview.training") and not a function defined in the model
//    needs a custom operator library — native code the runtime loads:
//    suspicious, dangerous under the strict policy. ONNX Runtime's own
//    contributed domains ("com.microsoft", "com.microsoft.nchwc",
//    "com.microsoft.experimental", "com.ms.internal.nhwc") ship inside the
//    runtime and load no library: no finding by default, suspicious under
//    strict (kernels outside the standard).
//  - malformed-onnx (suspicious): bytes that do not parse, a known field of
//    the wrong wire type, nesting too deep, no graph, no opset_import
//    (required from IR version 3; a model cut after its graph lacks it),
//    a node with no op_type, an external tensor with no or an empty
//    location.
#pragma once

#include <string_view>
#include <vector>

#include "scan/findings.h"

namespace citadel::scan {

// Protobuf has no magic number, so an ONNX model is recognised by its
// shape: either it starts with ir_version (field 1, a varint from 1 to
// 100, which every ONNX writer emits first) followed by the tag of another
// ModelProto field of the right wire type — so a truncated model is still
// recognised — or the whole input parses as protobuf fields and holds a
// graph (field 7, length-delimited, itself parsing) and an ir_version or
// opset_import (field 8), in any order.
bool LooksLikeOnnx(std::string_view data);

// The findings for an ONNX model (path and entry left empty, offsets in
// `data`). Never fails: what cannot be read is a finding.
std::vector<Finding> ScanOnnx(std::string_view data, ScanPolicy policy);

}  // namespace citadel::scan
