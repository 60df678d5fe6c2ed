#!/usr/bin/env bash
# GPU check: tokens/s at 1, 8 and 64 conversations for the transformers and vllm engines.
# One script a GPU machine runs in under 10 minutes from the repository root:
#
#   bash bench/gpu_check.sh [OUT.json]        (default: bench/results_gpu.json)
#
# It installs what is missing (vLLM only if pip can reach an index; without it the vllm rows
# carry the error), converts the bundled SmolLM2 GGUF once into a safetensors folder (vLLM and
# transformers load that), then runs `botctl model bench` per engine and parallelism, greedy,
# 48 new tokens each, EOS ignored. Every step has a time limit; the JSON is written even when a
# step fails.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-bench/results_gpu.json}"
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
export BOTCORE_DEVICE=cuda HF_HUB_OFFLINE=1 TRANSFORMERS_VERBOSITY=error
export BOTCORE_DATA_DIR="${BOTCORE_DATA_DIR:-$(mktemp -d)}"
TMP="$(mktemp -d)"

# 1. install (bounded): the worker extra, and vLLM if it is not there yet.
if ! "$PY" -c "import torch, transformers" 2>/dev/null; then
  timeout 240 "$PY" -m pip install -q -e ".[worker]" >"$TMP/pip.log" 2>&1 || true
fi
if ! "$PY" -c "import vllm" 2>/dev/null; then
  timeout 240 "$PY" -m pip install -q "vllm>=0.8" >>"$TMP/pip.log" 2>&1 || true
fi
"$PY" - <<'PY' >"$TMP/env.json" 2>"$TMP/env.err"
import json, torch
print(json.dumps({"cuda": torch.cuda.is_available(),
                  "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                  "torch": torch.__version__}))
PY

# 2. the generator as a safetensors folder (converted once from the bundled GGUF).
MODEL_DIR="$(timeout 120 "$PY" - 2>"$TMP/convert.err" <<'PY'
from botcore.config import load_settings
from workers.model.convert import convert_gguf
from workers.model.sources import generator_source
s = load_settings()
print(convert_gguf(generator_source(s.generator_model), s.data_dir))
PY
)"

# 3. the runs: 1 / 8 / 64 conversations per engine (transformers ~1 min, vllm ~2 min).
run() {  # engine parallel
  local f="$TMP/$1-$2.json"
  if BOTCORE_GENERATOR_MODEL="$MODEL_DIR" timeout 150 "$PY" -c "from botcore.cli.app import main; main()" model bench \
      --engine "$1" --parallel "$2" --tokens 48 --json >"$f.out" 2>"$f.err"; then
    tail -n 1 "$f.out" >"$f"
  else
    printf '{"engine": "%s", "parallel": %s, "error": %s}\n' "$1" "$2" \
      "$("$PY" -c 'import json,sys; print(json.dumps(sys.stdin.read()[-600:]))' <"$f.err")" >"$f"
  fi
}
for engine in transformers vllm; do
  for n in 1 8 64; do run "$engine" "$n"; done
done

"$PY" - "$TMP" "$OUT" <<'PY'
import json, pathlib, sys
tmp, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
env = json.loads((tmp / "env.json").read_text() or "{}") if (tmp / "env.json").exists() else {}
runs = [json.loads(p.read_text()) for p in sorted(tmp.glob("*-*.json"))]
out.write_text(json.dumps({"env": env, "runs": runs}, indent=1))
print(out.read_text())
PY
