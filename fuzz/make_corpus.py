"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/):
small real files copied from tests/fixtures and small inputs crafted here,
one per feature a parser has to follow. Deterministic (no clock, a seeded
generator), standard library only; run from anywhere:

    python3 fuzz/make_corpus.py

Names say what the corpus replay test (fuzz/corpus_replay_test.cc) checks:
  finding-*  the scanner must report at least one finding
  clean-*    the scanner must recognise the format and report nothing
  other      only that nothing crashes (copies of the format fixtures,
             fixture-*, which their own tests judge; inputs of no format
             the scanner inspects, such as IDX; malformed ones whose
             verdict is not the point)
Files that a fuzzer once crashed on are kept as crash-*; this script leaves
them alone (it only rewrites the files it writes).
"""
import bz2
import gzip
import io
import json
import lzma
import os
import pickle
import random
import struct
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
RNG = random.Random(5)


def write(target: str, name: str, data: bytes) -> None:
    directory = os.path.join(HERE, "corpus", target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def fixture(target: str, name: str, source: str) -> None:
    with open(os.path.join(FIXTURES, source), "rb") as f:
        write(target, name, f.read())


def write_with_scan(target: str, name: str, data: bytes) -> None:
    """A seed of a format's own target that the whole scanner gets too."""
    write(target, name, data)
    write("scan", name, data)


# ---- pickles ---------------------------------------------------------------
# Malicious pickles are written as opcodes: nothing here defines or pickles
# a callable, so generating the corpus runs nothing either.
def global0(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def binunicode(s: str) -> bytes:
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def short_binunicode(s: str) -> bytes:
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b


os_system_reduce = b"\x80\x02" + global0("os", "system") + binunicode("echo owned") + b"\x85R."
data = {"w": [1, 2.5, -3, 1 << 70], "name": "layer", "raw": b"\x00\x01", "t": (None, True),
        "s": {1, 2}, "f": frozenset({3})}
pickles = {
    "clean-proto0.pkl": pickle.dumps([1, "a", 2.5, None, {"k": (1, 2)}], protocol=0),
    "clean-proto1.pkl": pickle.dumps({"a": [1, 2], "b": "c"}, protocol=1),
    "clean-proto2.pkl": pickle.dumps(data, protocol=2),
    "clean-proto4-framed.pkl": pickle.dumps([data] * 3 + [list(range(300))], protocol=4),
    "clean-proto5.pkl": pickle.dumps({"x": bytearray(b"abc"), "y": [data, data]}, protocol=5),
    "clean-legacy-pickles-in-a-row.pkl": pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
    + pickle.dumps(1001, protocol=2) + pickle.dumps({"sys_info": 1}, protocol=2)
    + b"\x00" * 16,
    "finding-reduce-os-system.pkl": os_system_reduce,
    # names for STACK_GLOBAL kept in the memo and fetched back
    "finding-stack-global-memo.pkl": b"\x80\x04" + short_binunicode("builtins") + b"\x94"
    + short_binunicode("eval") + b"\x94h\x00h\x01\x93\x94" + short_binunicode("1+1") + b"\x85R.",
    "finding-inst-proto0.pkl": b"(S'echo owned'\nios\nsystem\n.",
    "finding-obj-proto1.pkl": b"(" + global0("subprocess", "Popen") + b"X\x02\x00\x00\x00lso.",
    "finding-newobj-ex.pkl": b"\x80\x04" + global0("os", "popen") + b")}\x92.",
    "finding-memo-key-spellings.pkl": global0("os", "system") + b"p+0_0\n0g 0\n(S'id'\ntR.",
    "finding-nested-bytes.pkl": b"\x80\x03B" + struct.pack("<I", len(os_system_reduce))
    + os_system_reduce + b".",
    "finding-computed-callable.pkl": b"\x80\x02]S'x'\n\x85R.",
    "finding-extension-code.pkl": b"\x80\x02\x82\x07)R.",
    "finding-truncated.pkl": os_system_reduce[:-3],
    "finding-unknown-opcode.pkl": b"\x80\x02K\x01\xff.",
    "finding-no-stop-after-call.pkl": os_system_reduce[:-1] + b"garbage",
    "finding-long-names.pkl": b"\x80\x02" + global0("m" * 3000, "n" * 3000) + b".",
    "finding-stack-underflow.pkl": b"\x80\x02R.",
}
for name, blob in pickles.items():
    write("pickle", name, blob)
fixture("pickle", "clean-legacy-state-dict.pt", "pickles/legacy_state_dict.pt")

# ---- ZIP archives ----------------------------------------------------------
clean_pickle = pickle.dumps({"w": [0.5, 1.5]}, protocol=2)


def make_zip(entries, method=zipfile.ZIP_STORED, zip64=False, comment=b"") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, blob in entries:
            # A fixed timestamp: the same script writes the same bytes.
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            if zip64:
                with z.open(info, "w", force_zip64=True) as f:
                    f.write(blob)
            else:
                z.writestr(info, blob)
        z.comment = comment
    return out.getvalue()


def patch_end_count(blob: bytes, count: int) -> bytes:
    end = blob.rfind(b"PK\x05\x06")
    b = bytearray(blob)
    b[end + 8:end + 12] = struct.pack("<HH", count, count)
    return bytes(b)


def patch_local_name(blob: bytes, old: bytes, new: bytes) -> bytes:
    assert len(old) == len(new)
    at = blob.find(b"PK\x03\x04")
    return blob[:at] + blob[at:].replace(old, new, 1)


two = [("archive/data.pkl", clean_pickle), ("archive/data/0", b"\x00" * 8)]
zips = {
    "clean-stored-pytorch.zip": make_zip(two),
    "clean-deflated-pytorch.zip": make_zip(two, zipfile.ZIP_DEFLATED),
    "clean-empty.zip": make_zip([]),
    "clean-with-comment.zip": make_zip(two, comment=b"saved by a trainer"),
    "finding-zip64.zip": make_zip([("archive/data.pkl", os_system_reduce)], zip64=True),
    "finding-nested-zip.zip": make_zip([("outer.zip", make_zip(
        [("inner/data.pkl", os_system_reduce)], zipfile.ZIP_DEFLATED))]),
    "finding-understated-count.zip": patch_end_count(
        make_zip([("a/data.pkl", clean_pickle), ("a/evil.pkl", os_system_reduce)]), 1),
    "finding-misleading-name.zip": patch_local_name(
        make_zip([("a/data.pkl", clean_pickle)]), b"a/data.pkl", b"a/evil.pkl"),
    "finding-bzip2-entry.zip": make_zip([("a/data.pkl", os_system_reduce)], zipfile.ZIP_BZIP2),
}
for name, blob in zips.items():
    write("zip", name, blob)
fixture("zip", "clean-state-dict.pt", "pickles/clean_state_dict.pt")
fixture("zip", "finding-arrays-npz-objects.npz", "pickles/arrays.npz")
fixture("zip", "finding-crc-tampered.pt", "pickles/crc_tampered.pt")
fixture("zip", "finding-encrypted-flag.zip", "pickles/encrypted_flag.zip")
fixture("zip", "finding-hidden-in-bin.zip", "pickles/hidden_in_bin.zip")
fixture("zip", "finding-reduce-os-system.pt", "pickles/reduce_os_system.pt")
fixture("zip", "torchscript-blobs-wrong.pt", "torchscript/blobs_wrong.pt")

# ---- safetensors -----------------------------------------------------------
def safetensors(header, payload: bytes, pad_to: int = 8) -> bytes:
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % pad_to)
    return struct.pack("<Q", len(text)) + text + payload


def tensor(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


floats = struct.pack("<4f", 1, 2, 3, 4)
longs = struct.pack("<3q", 7, 8, 9)
sts = {
    "clean-two-tensors.safetensors": safetensors(
        {"__metadata__": {"format": "pt"}, "w": tensor("F32", [2, 2], 0, 16),
         "ids": tensor("I64", [3], 16, 40)}, floats + longs),
    "clean-empty.safetensors": safetensors({}, b""),
    "clean-scalar-and-empty-dims.safetensors": safetensors(
        {"s": tensor("BF16", [], 0, 2), "e": tensor("U8", [0, 4], 2, 2),
         "b": tensor("BOOL", [2], 2, 4)}, b"\x80\x3f\x01\x00"),
    "clean-all-dtypes.safetensors": safetensors(
        {f"t{i}": tensor(d, [1], sum(s for _, s in kinds[:i]), sum(s for _, s in kinds[:i + 1]))
         for kinds in [[("BOOL", 1), ("U8", 1), ("I8", 1), ("I16", 2), ("I32", 4), ("I64", 8),
                        ("F16", 2), ("BF16", 2), ("F32", 4), ("F64", 8)]]
         for i, (d, _) in enumerate(kinds)}, bytes(33)),
    "finding-hole.safetensors": safetensors(
        {"a": tensor("F32", [1], 0, 4), "b": tensor("F32", [1], 8, 12)}, bytes(12)),
    "finding-trailing-payload.safetensors": safetensors(
        {"a": tensor("F32", [2], 0, 8)}, floats[:8] + os_system_reduce),
    "finding-offsets-past-end.safetensors": safetensors({"a": tensor("F32", [2], 0, 8)}, bytes(4)),
    "finding-shape-mismatch.safetensors": safetensors({"a": tensor("F32", [3], 0, 8)}, bytes(8)),
    "finding-unknown-dtype.safetensors": safetensors({"a": tensor("F128", [1], 0, 16)}, bytes(16)),
    "finding-huge-dims.safetensors": safetensors(
        {"a": tensor("F32", [1 << 62, 1 << 62], 0, 8)}, bytes(8)),
    "finding-negative-dim.safetensors": safetensors({"a": tensor("F32", [-2], 0, 8)}, bytes(8)),
    "finding-metadata-not-string.safetensors": safetensors({"__metadata__": {"k": 1}}, b""),
    "finding-reversed-offsets.safetensors": safetensors({"a": tensor("U8", [0], 4, 0)}, bytes(4)),
    "finding-bad-json.safetensors": struct.pack("<Q", 12) + b'{"a": [1, 2,',
}
for name, blob in sts.items():
    write("safetensors", name, blob)
fixture("safetensors", "clean-valid.safetensors", "pickles/valid.safetensors")
fixture("safetensors", "finding-overlapping.safetensors", "pickles/overlapping.safetensors")


# ---- NumPy .npy ------------------------------------------------------------
def npy(header: str, payload: bytes, major: int = 1, quote: str = "'") -> bytes:
    text = header.replace("'", quote).encode("latin-1")
    width = 2 if major == 1 else 4
    total = 6 + 2 + width + len(text) + 1
    text += b" " * (-total % 64) + b"\n"
    size = struct.pack("<H" if major == 1 else "<I", len(text))
    return b"\x93NUMPY" + bytes([major, 0]) + size + text + payload


object_pickle = b"\x80\x02]q\x00(}q\x01X\x04\x00\x00\x00noteX\x08\x00\x00\x00harmlesssa" \
    + os_system_reduce[2:-1] + b"a."
npys = {
    "clean-f4-v1.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", floats),
    "clean-i8-v2.npy": npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", longs, 2),
    "clean-utf8-v3-double-quotes.npy": npy(
        "{'descr': '<U1', 'fortran_order': True, 'shape': (1, 1), }", b"a\x00\x00\x00", 3, '"'),
    "clean-structured.npy": npy(
        "{'descr': [('a', '<i4'), ('b', '<f8')], 'fortran_order': False, 'shape': (1,), }",
        bytes(12)),
    "finding-object-array.npy": npy(
        "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", object_pickle),
    "finding-structured-object.npy": npy(
        "{'descr': [('a', '<i4'), ('b', '|O')], 'fortran_order': False, 'shape': (1,), }",
        os_system_reduce),
    "finding-duplicate-descr.npy": npy(
        "{'descr': '<f4', 'descr': '|O', 'fortran_order': False, 'shape': (1,), }",
        os_system_reduce),
    "finding-header-past-end.npy": b"\x93NUMPY\x01\x00\xff\x7f{'descr': '<f4'",
    "finding-unknown-version.npy": b"\x93NUMPY\x09\x00" + b"\x10\x00" + b"{'descr':'<f4'}",
    "finding-unclosed-descr.npy": npy("{'descr': '<f4, shape: (1,)}", b""),
    "finding-truncated.npy": b"\x93NUMPY\x01",
}
for name, blob in npys.items():
    write("npy", name, blob)
fixture("npy", "clean-floats.npy", "pickles/floats.npy")
fixture("npy", "finding-object-array-fixture.npy", "pickles/object_array.npy")


# ---- IDX (MNIST) -----------------------------------------------------------
def idx(type_byte: int, dims, payload: bytes) -> bytes:
    return bytes([0, 0, type_byte, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) \
        + payload


idxs = {
    "labels-ubyte.idx": idx(0x08, [10], bytes(RNG.randrange(10) for _ in range(10))),
    "images-ubyte.idx": idx(0x08, [2, 4, 4], bytes(RNG.randrange(256) for _ in range(32))),
    "sbyte.idx": idx(0x09, [3], b"\x80\x00\x7f"),
    "int16.idx": idx(0x0B, [2, 2], struct.pack(">4h", -1, 2, -3, 4)),
    "int32.idx": idx(0x0C, [2], struct.pack(">2i", -7, 1 << 30)),
    "float32.idx": idx(0x0D, [1, 1, 1, 2], struct.pack(">2f", 0.5, -1.5)),
    "float64.idx": idx(0x0E, [1], struct.pack(">d", 3.25)),
    "empty-dim.idx": idx(0x08, [0, 28, 28], b""),
    "truncated.idx": idx(0x0D, [4], bytes(7)),
    "trailing.idx": idx(0x08, [2], bytes(3)),
    "overflowing-dims.idx": idx(0x0E, [0xFFFFFFFF] * 4, bytes(8)),
    "five-dims.idx": idx(0x08, [1] * 5, bytes(1)),
    "unknown-type.idx": idx(0x0A, [1], bytes(1)),
}
for name, blob in idxs.items():
    write("idx", name, blob)

# ---- the whole scanner: one of each format and compressed data; the GGUF,
# ONNX and Keras seeds below go to it too.
write("scan", "finding-gzip-pickle.pkl.gz", gzip.compress(os_system_reduce, mtime=0))
write("scan", "finding-two-gzip-members.gz",
      gzip.compress(clean_pickle, mtime=0) + gzip.compress(os_system_reduce, mtime=0))
write("scan", "finding-zlib-joblib.z", zlib.compress(os_system_reduce, 9))
write("scan", "finding-bzip2.pkl.bz2", bz2.compress(os_system_reduce))
write("scan", "finding-xz.pkl.xz", lzma.compress(os_system_reduce))
write("scan", "clean-gzip-pickle.pkl.gz", gzip.compress(clean_pickle, mtime=0))
write("scan", "finding-gzip-in-zip.zip", make_zip(
    [("model.pkl.gz", gzip.compress(os_system_reduce, mtime=0))]))
write("scan", "finding-npz-with-object-pickle.npz", make_zip(
    [("a.npy", npys["clean-f4-v1.npy"]), ("b.npy", npys["finding-object-array.npy"])],
    zipfile.ZIP_DEFLATED))
write("scan", "clean-pickle.pkl", pickles["clean-proto2.pkl"])
write("scan", "clean-safetensors.safetensors", sts["clean-two-tensors.safetensors"])
write("scan", "clean-npy.npy", npys["clean-f4-v1.npy"])
write("scan", "clean-zip.pt", zips["clean-deflated-pytorch.zip"])
write("scan", "unknown-text.txt", b"class Mlp(Module):\n    pass\n")


def gguf_string(s: str) -> bytes:
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf_kv(key: str, vtype: int, value: bytes) -> bytes:
    return gguf_string(key) + struct.pack("<I", vtype) + value


def gguf(kvs, tensors, version: int = 3, alignment: int = 32) -> bytes:
    # magic, version, tensor count, metadata count, metadata, tensor infos,
    # padding to the alignment, tensor data
    head = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs)) + b"".join(kvs)
    infos, blob = b"", b""
    for name, dims, ggml_type, payload in tensors:
        blob += b"\x00" * (-len(blob) % alignment)
        infos += gguf_string(name) + struct.pack("<I", len(dims)) \
            + b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", ggml_type, len(blob))
        blob += payload
    head += infos
    head += b"\x00" * (-len(head) % alignment)
    return head + blob


STRING, UINT32, ARRAY, FLOAT32, BOOL = 8, 4, 9, 6, 7
basic_kvs = [
    gguf_kv("general.architecture", STRING, gguf_string("llama")),
    gguf_kv("general.alignment", UINT32, struct.pack("<I", 32)),
    gguf_kv("llama.rope.freq_base", FLOAT32, struct.pack("<f", 10000.0)),
    gguf_kv("tokenizer.ggml.add_bos_token", BOOL, b"\x01"),
    gguf_kv("tokenizer.ggml.tokens", ARRAY,
            struct.pack("<IQ", STRING, 3) + gguf_string("<s>") + gguf_string("a")
            + gguf_string("b")),
]
tensors = [("token_embd.weight", [4, 3], 0, bytes(48)), ("output_norm.weight", [4], 0, bytes(16))]
write_with_scan("gguf", "clean-gguf-llama-tiny.gguf", gguf(basic_kvs, tensors))
write_with_scan("gguf", "finding-gguf-chat-template-ssti.gguf", gguf(basic_kvs + [gguf_kv(
    "tokenizer.chat_template", STRING, gguf_string(
        "{{ ''.__class__.__mro__[1].__subclasses__()[40]('/etc/passwd').read() }}"
        "{% for m in messages %}{{ m.content }}{% endfor %}"))], tensors))
write_with_scan("gguf", "clean-gguf-v2-no-tensors.gguf", gguf(basic_kvs[:1], [], version=2))
write_with_scan("gguf", "finding-gguf-huge-counts.gguf", b"GGUF" + struct.pack("<IQQ", 3, 1 << 60, 1 << 60))
write_with_scan("gguf", "finding-gguf-tensor-past-end.gguf",
      gguf(basic_kvs[:1], [("w", [1 << 40], 0, bytes(16))])[:-8])


def varint(n: int) -> bytes:
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(number: int, value) -> bytes:
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    return varint(number << 3 | 2) + varint(len(value)) + value


def onnx_model(nodes, initializers=(), opsets=(("", 13),)) -> bytes:
    graph = b"".join(field(1, n) for n in nodes) + field(2, b"g") \
        + b"".join(field(5, t) for t in initializers) \
        + field(11, field(1, b"x")) + field(12, field(1, b"y"))
    return field(1, 8) + field(2, b"citadel-fuzz") + field(7, graph) \
        + b"".join(field(8, field(1, d.encode()) + field(2, v)) for d, v in opsets)


def onnx_node(op: str, inputs, outputs, domain: str = "") -> bytes:
    return b"".join(field(1, i.encode()) for i in inputs) \
        + b"".join(field(2, o.encode()) for o in outputs) + field(4, op.encode()) \
        + (field(7, domain.encode()) if domain else b"")


def onnx_tensor(name: str, raw: bytes = b"", external=()) -> bytes:
    t = field(1, 2) + field(2, 1) + field(8, name.encode())
    if external:
        t += b"".join(field(13, field(1, k.encode()) + field(2, v.encode())) for k, v in external)
        t += field(14, 1)
    else:
        t += field(9, raw)
    return t


write_with_scan("onnx", "clean-onnx-add.onnx", onnx_model(
    [onnx_node("Add", ["x", "b"], ["y"])], [onnx_tensor("b", struct.pack("<2f", 1, 2))]))
write_with_scan("onnx", "finding-onnx-external-data-traversal.onnx", onnx_model(
    [onnx_node("Add", ["x", "b"], ["y"])],
    [onnx_tensor("b", external=[("location", "../../../../etc/passwd"), ("offset", "0"),
                                ("length", "8")])]))
write_with_scan("onnx", "finding-onnx-custom-op-domain.onnx", onnx_model(
    [onnx_node("RunShell", ["x"], ["y"], "com.evil.ops")], opsets=(("", 13), ("com.evil.ops", 1))))
write_with_scan("onnx", "finding-onnx-truncated.onnx", onnx_model([onnx_node("Relu", ["x"], ["y"])])[:-5])

keras_config = {"class_name": "Sequential", "config": {"layers": [
    {"class_name": "InputLayer", "config": {"batch_shape": [None, 2]}},
    {"class_name": "Lambda", "config": {"function": {
        "class_name": "__lambda__",
        "config": {"code": "4wEAAAAAAAAAAAAAAAEAAAADAAAA8wwAAACXAHwAUwA=", "defaults": None,
                   "closure": None}}}}]}}
write_with_scan("zip", "finding-keras-lambda.keras", make_zip([
    ("metadata.json", json.dumps({"keras_version": "3.3.3"}).encode()),
    ("config.json", json.dumps(keras_config).encode()),
    ("model.weights.h5", b"\x89HDF\r\n\x1a\n" + bytes(56))]))
write_with_scan("zip", "clean-keras-dense.keras", make_zip([
    ("metadata.json", json.dumps({"keras_version": "3.3.3"}).encode()),
    ("config.json", json.dumps({"class_name": "Sequential", "config": {"layers": [
        {"class_name": "Dense", "config": {"units": 2}}]}}).encode())]))
write_with_scan("hdf5", "finding-hdf5-magic-only.h5", b"\x89HDF\r\n\x1a\n" + bytes(RNG.randrange(256)
                                                                  for _ in range(120)))

# Keras and tokenizer JSON configs (what .keras archives and Hugging Face
# repos carry), for the config reader and the chat-template finder.
def dumps(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


write("keras", "finding-keras-lambda-config.json", dumps(keras_config))
write("keras", "finding-keras-module-function-config.json", dumps({
    "class_name": "Sequential", "config": {"layers": [{
        "module": "keras.layers", "class_name": "Dense", "config": {
            "units": 2, "activation": {"module": "os", "class_name": "function",
                                       "config": "system", "registered_name": "function"}}}]}}))
write("keras", "finding-keras-custom-registered.json", dumps({
    "class_name": "Functional", "config": {"layers": [
        {"module": "my_pkg.layers", "class_name": "Gate", "registered_name": "MyPkg>Gate",
         "config": {}},
        {"class_name": "TFOpLambda", "config": {"function": "io.write_file"}}]}}))
write("keras", "clean-keras-dense-config.json", dumps({
    "module": "keras", "class_name": "Sequential", "config": {"layers": [
        {"module": "keras.layers", "class_name": "Dense", "config": {"units": 4}}]}}))
write("keras", "clean-tokenizer-template-string.json", dumps({
    "bos_token": "<s>", "chat_template":
        "{% for m in messages %}{{ '<|' + m['role'] + '|>' + m['content'] }}{% endfor %}"}))
write("keras", "finding-tokenizer-template-ssti-list.json", dumps({"chat_template": [
    {"name": "default", "template": "{{ m.content }}"},
    {"name": "tool_use", "template":
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}{# '\\x5f\\x5f' #}"}]}))
write("keras", "template-escaped-dunder.txt",
      b"{{ ()|attr('\\x5f\\x5fclass\\x5f\\x5f') }} {% set x = lipsum %} {{ x }")
write("keras", "deeply-nested.json", b"[" * 300 + b"]" * 300)

# The fixtures of the formats added in issue 5, where they exist (written
# by tests/fixtures/{gguf,onnx,keras}/make_fixtures.py).
for target, folder, suffixes in [("gguf", "gguf", (".gguf",)), ("onnx", "onnx", (".onnx",)),
                                 ("hdf5", "keras", (".h5",)), ("zip", "keras", (".keras",))]:
    directory = os.path.join(FIXTURES, folder)
    if not os.path.isdir(directory):
        continue
    for name in sorted(os.listdir(directory)):
        if name.endswith(suffixes):
            fixture(target, f"fixture-{name}", os.path.join(folder, name))
            if name.endswith(".keras"):
                with zipfile.ZipFile(os.path.join(directory, name)) as z:
                    if "config.json" in z.namelist():
                        write("keras", f"fixture-{name}-config.json", z.read("config.json"))

for target in sorted(os.listdir(os.path.join(HERE, "corpus"))):
    files = os.listdir(os.path.join(HERE, "corpus", target))
    size = sum(os.path.getsize(os.path.join(HERE, "corpus", target, f)) for f in files)
    print(f"{target}: {len(files)} files, {size} bytes")
