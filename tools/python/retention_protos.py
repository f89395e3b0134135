"""The repository's protos compiled for Python (as another team would generate them),
for the Python tests and the demo report."""
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_compiled = None


def compile_protos():
    """Generates retention/v1/*_pb2.py and *_pb2_grpc.py from protos/ and puts them on
    sys.path, once per process."""
    global _compiled
    if _compiled:
        return _compiled
    from grpc_tools import protoc  # grpcio-tools from PyPI

    out = tempfile.mkdtemp(prefix="retention-py-")
    proto_dir = os.path.join(ROOT, "protos/retention/v1")
    sources = [os.path.join("retention/v1", f) for f in sorted(os.listdir(proto_dir)) if f.endswith(".proto")]
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    code = protoc.main(["protoc", f"-I{os.path.join(ROOT, 'protos')}", f"-I{include}", f"--python_out={out}",
                        f"--grpc_python_out={out}", *sources])
    if code != 0:
        raise RuntimeError(f"protoc failed with {code}")
    sys.path.insert(0, out)
    _compiled = out
    return out
