// Keras models and the JSON configs that come with models. A Keras model
// is its config — JSON naming each layer and object by class (and, since
// Keras 3 and tf.keras 2.13, by module) — plus weights: `.keras` files
// are ZIPs holding config.json, metadata.json and model.weights.h5;
// legacy `.h5` files keep the config in the HDF5 root attribute
// `model_config` (and the compile settings in `training_config`).
// Loading builds every object the config names, so the config says what
// loading runs:
//  - keras-lambda (dangerous): a `Lambda` layer, or a `__lambda__`
//    object, carries a Python function as marshalled bytecode (base64):
//    loading it runs arbitrary code.
//  - keras-tf-op: a `TFOpLambda` layer calls the TensorFlow function it
//    names; dangerous when that is file I/O, py_function, raw ops and the
//    like, otherwise suspicious (dangerous under strict).
//  - keras-custom-object: an object whose `module` is outside Keras
//    (keras, keras.*, tf_keras, tf_keras.*) or that is registered under a
//    package of its own (`registered_name` "Package>Name"): loading
//    imports that module — code outside Keras (suspicious; dangerous
//    under strict). When the module and name are on the scanner's
//    denylist (`{"module": "os", "class_name": "function", "config":
//    "system"}`, the shape of CVE-2025-1550) it is dangerous.
//  - malformed-keras (suspicious): a config that is not JSON, nested too
//    deep, or not a string attribute.
// Hugging Face tokenizer_config.json files carry a Jinja `chat_template`
// (a string, or a list of {name, template}): it is checked for template
// injection like a GGUF one (chat_template.h).
#pragma once

#include <string_view>
#include <vector>

#include "scan/findings.h"

namespace citadel::scan {

// What a JSON document is to the scanner: "keras" (a model config: an
// object with "class_name"), "tokenizer" (an object with "chat_template"),
// or "" (neither, or not a JSON object).
std::string_view JsonConfigKind(std::string_view data);

// The findings for a JSON config of either kind (offsets are 0: the
// detail names the path in the JSON).
std::vector<Finding> ScanJsonConfig(std::string_view data, ScanPolicy policy);

// The findings for a Keras model config (JSON text).
std::vector<Finding> ScanKerasConfig(std::string_view json, ScanPolicy policy);

// The findings for an HDF5 file: its root attributes read (hdf5.h), what
// could not be read ("malformed-hdf5", suspicious), and the Keras configs
// in `model_config` / `training_config`. `keras` (optional) is set when the
// file has a model_config.
std::vector<Finding> ScanHdf5Model(std::string_view data, ScanPolicy policy, bool* keras = nullptr);

}  // namespace citadel::scan
