// The lists behind ClassifyCallable. Matching is by module prefix on dot
// boundaries ("os" covers "os.path"), so a submodule cannot slip past its
// parent; names are matched exactly.
#include "scan/callable_policy.h"

#include <array>
#include <string>

namespace citadel::scan {
namespace {

struct Qualified {
  std::string_view module;
  std::string_view name;  // empty: the whole module
};

// Code execution, the OS and processes, files, the network, the import
// machinery, debuggers and every nested unpickler or loader.
constexpr std::array kDangerousModules = {
    "os",
    "posix",
    "nt",
    "subprocess",
    "sys",
    "shutil",
    "socket",
    "ssl",
    "http",
    "urllib",
    "urllib2",
    "urllib3",
    "requests",
    "httplib",
    "ftplib",
    "smtplib",
    "telnetlib",
    "webbrowser",
    "importlib",
    "imp",
    "pkgutil",
    "runpy",
    "code",
    "codeop",
    "pty",
    "ctypes",
    "cffi",
    "multiprocessing",
    "signal",
    "marshal",
    "pickle",
    "_pickle",
    "cPickle",
    "dill",
    "shelve",
    "cloudpickle",
    "asyncio",
    "bdb",
    "pdb",
    "timeit",
    "trace",
    "cProfile",
    "profile",
    "doctest",
    "idlelib",
    "distutils",
    "setuptools",
    "pip",
    "commands",
    "popen2",
    "platform",
    "tempfile",
    "glob",
    "pathlib",
    "fileinput",
    "zipimport",
    "_posixsubprocess",
    "torch.hub",
    "torch.jit",
    "torch.serialization",
    "torch.package",
    "numpy.lib.npyio",
    "numpy.load",
    "types",
    "gc",
    "inspect",
    "threading",
    "_thread",
    "sched",
    "selectors",
    "select",
    "mmap",
};

constexpr std::array kDangerousNames = {
    Qualified{"builtins", "eval"},
    Qualified{"builtins", "exec"},
    Qualified{"builtins", "compile"},
    Qualified{"builtins", "open"},
    Qualified{"builtins", "__import__"},
    Qualified{"builtins", "getattr"},
    Qualified{"builtins", "setattr"},
    Qualified{"builtins", "delattr"},
    Qualified{"builtins", "globals"},
    Qualified{"builtins", "locals"},
    Qualified{"builtins", "vars"},
    Qualified{"builtins", "input"},
    Qualified{"builtins", "breakpoint"},
    Qualified{"builtins", "exit"},
    Qualified{"builtins", "quit"},
    Qualified{"builtins", "help"},
    Qualified{"builtins", "memoryview"},
    Qualified{"builtins", "type"},
    Qualified{"builtins", "object"},
    Qualified{"builtins", "super"},
    Qualified{"builtins", "classmethod"},
    Qualified{"builtins", "staticmethod"},
    Qualified{"builtins", "property"},
    Qualified{"builtins", "apply"},
    Qualified{"builtins", "execfile"},
    Qualified{"builtins", "file"},
    Qualified{"builtins", "reload"},
    Qualified{"operator", "attrgetter"},
    Qualified{"operator", "methodcaller"},
    Qualified{"operator", "itemgetter"},
    Qualified{"functools", "partial"},
    Qualified{"functools", "reduce"},
    Qualified{"numpy", "load"},
    Qualified{"numpy", "loads"},
    Qualified{"numpy", "fromfile"},
    Qualified{"numpy", "memmap"},
    Qualified{"numpy.testing._private.utils", "runstring"},
    Qualified{"torch", "load"},
    Qualified{"torch", "save"},
    Qualified{"joblib", "load"},
    Qualified{"joblib.numpy_pickle", "load"},
    Qualified{"torch.storage", "_load_from_bytes"},
    Qualified{"_codecs", "open"},
    Qualified{"codecs", "open"},
    Qualified{"io", "open"},
    Qualified{"io", "FileIO"},
    Qualified{"io", "open_code"},
    Qualified{"_io", "open"},
    Qualified{"_io", "FileIO"},
};

// What torch.save, TorchScript archives and NumPy pickles need to rebuild
// tensors and arrays, and plain containers.
constexpr std::array kRebuild = {
    Qualified{"torch._utils", "_rebuild_tensor"},
    Qualified{"torch._utils", "_rebuild_tensor_v2"},
    Qualified{"torch._utils", "_rebuild_tensor_v3"},
    Qualified{"torch._utils", "_rebuild_parameter"},
    Qualified{"torch._utils", "_rebuild_parameter_with_state"},
    Qualified{"torch._utils", "_rebuild_qtensor"},
    Qualified{"torch._utils", "_rebuild_sparse_tensor"},
    Qualified{"torch._utils", "_rebuild_nested_tensor"},
    Qualified{"torch._utils", "_rebuild_meta_tensor_no_storage"},
    Qualified{"torch._tensor", "_rebuild_from_type_v2"},
    Qualified{"torch", "Size"},
    Qualified{"torch", "Tensor"},
    Qualified{"torch.nn.parameter", "Parameter"},
    Qualified{"collections", "OrderedDict"},
    Qualified{"numpy.core.multiarray", "_reconstruct"},
    Qualified{"numpy.core.multiarray", "scalar"},
    Qualified{"numpy", "ndarray"},
    Qualified{"numpy", "dtype"},
    Qualified{"_codecs", "encode"},
    // TorchScript archives' own unpickler helpers (constants and debug info).
    Qualified{"torch.jit._pickle", "build_intlist"},
    Qualified{"torch.jit._pickle", "build_doublelist"},
    Qualified{"torch.jit._pickle", "build_boollist"},
    Qualified{"torch.jit._pickle", "build_tensorlist"},
    Qualified{"torch.jit._pickle", "build_tensor_from_id"},
    Qualified{"torch.jit._pickle", "restore_type_tag"},
    Qualified{"joblib.numpy_pickle", "NumpyArrayWrapper"},
    Qualified{"joblib.numpy_pickle", "NDArrayWrapper"},
    Qualified{"builtins", "set"},
    Qualified{"builtins", "frozenset"},
    Qualified{"builtins", "slice"},
    Qualified{"builtins", "complex"},
    Qualified{"builtins", "bytearray"},
};

// torch.FloatStorage, torch.float32, torch.bfloat16 …: storage classes and
// dtypes named in storage records.
bool IsTorchStorageOrDtype(std::string_view module, std::string_view name) {
  if (module != "torch") return false;
  if (name.size() > 7 && name.ends_with("Storage")) return true;
  constexpr std::array kDtypes = {"float32",   "float64",    "float16", "bfloat16", "int8",
                                  "int16",     "int32",      "int64",   "uint8",    "bool",
                                  "complex64", "complex128", "float",   "double",   "half",
                                  "long",      "int"};
  for (std::string_view d : kDtypes) {
    if (name == d) return true;
  }
  return false;
}

bool UnderModule(std::string_view module, std::string_view prefix) {
  return module == prefix || (module.starts_with(prefix) && module.size() > prefix.size() &&
                              module[prefix.size()] == '.');
}

bool InNames(std::string_view module, std::string_view name, const auto& list) {
  for (const Qualified& q : list) {
    if (q.module == module && q.name == name) return true;
  }
  return false;
}

}  // namespace

CallableClass ClassifyCallable(std::string_view module, std::string_view name) {
  // Python 2 spellings of builtins.
  if (module == "__builtin__" || module == "__builtins__") module = "builtins";
  // Exact allowlisted names first: a few live in modules denied as a whole
  // (torch.jit's list builders, not its loader).
  if (InNames(module, name, kRebuild)) return CallableClass::kRebuild;
  for (std::string_view m : kDangerousModules) {
    if (UnderModule(module, m)) return CallableClass::kDangerous;
  }
  if (InNames(module, name, kDangerousNames)) return CallableClass::kDangerous;
  // A dotted name reaches attributes of attributes ("os.system" under
  // another module's name cannot, but "builtins" "eval.__call__" could).
  if (name.find('.') != std::string_view::npos) return CallableClass::kUnknown;
  if (IsTorchStorageOrDtype(module, name)) return CallableClass::kRebuild;
  // TorchScript archives name their compiled classes under __torch__; a
  // whole pickled nn.Module names torch's own layer classes.
  if (UnderModule(module, "__torch__") || UnderModule(module, "torch.nn.modules")) {
    return CallableClass::kKnown;
  }
  return CallableClass::kUnknown;
}

std::optional<Severity> SeverityOf(CallableClass c, ScanPolicy policy) {
  switch (c) {
    case CallableClass::kRebuild:
      return std::nullopt;
    case CallableClass::kKnown:
      if (policy == ScanPolicy::kDefault) return std::nullopt;
      return Severity::kDangerous;
    case CallableClass::kDangerous:
      return Severity::kDangerous;
    case CallableClass::kUnknown:
      break;
  }
  return policy == ScanPolicy::kStrict ? Severity::kDangerous : Severity::kSuspicious;
}

std::string_view SeverityName(Severity severity) {
  return severity == Severity::kDangerous ? "dangerous" : "suspicious";
}

}  // namespace citadel::scan
