#!/usr/bin/env bash
# Bounded fuzzing of every target in fuzz/ (SECURITY.md, "Fuzzing"). Called by .ci/run; runs
# alone too: `bash .ci/fuzz.sh` (FUZZ_SECONDS=600 for a longer run of each target;
# FUZZ_TARGETS="verify jwks" for some targets only).
#
# Stable Rust, no sanitizer (`-s none`), release build with debug assertions and overflow checks.
# The targets assert properties; what finds property violations is executions, and on this
# 2-core machine AddressSanitizer (`RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET`) costs little build
# time (62 s clean, against 48 s) but runs about 6 times slower (7 000 against 40 000 inputs/s on
# verify_claims). The crate forbids unsafe code; for a sanitizer run over the dependencies' unsafe
# code, see SECURITY.md. The checked-in seed corpora are read, never written: new
# inputs go to a temporary folder. A failing input is printed base64-encoded and kept in
# fuzz/artifacts/<target>/ (ignored by git); save it in fuzz/regressions/<target>/ with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"
read -r -a targets <<<"${FUZZ_TARGETS:-verify verify_claims jwks config launch_url signing_key client_data_answer data_endpoint}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

started=$(date +%s)
cargo fuzz build -s none
echo "fuzz: build took $(( $(date +%s) - started )) s"

failed=()
for target in "${targets[@]}"; do
    mkdir -p "$work/corpus/$target" "$work/artifacts/$target"
    args=(-max_total_time="$seconds" -timeout=20 -print_final_stats=1
          -artifact_prefix="$work/artifacts/$target/")
    if [ -f "fuzz/dicts/$target.dict" ]; then
        args+=(-dict="fuzz/dicts/$target.dict")
    fi
    log="$work/$target.log"
    # The first corpus folder receives new inputs; the checked-in one is only read.
    if cargo fuzz run -s none "$target" "$work/corpus/$target" "fuzz/corpus/$target" -- "${args[@]}" \
        >"$log" 2>&1; then
        status=ok
    else
        status=FAILED
        failed+=("$target")
    fi
    # libFuzzer's last status line and final stats: coverage, features, corpus, runs.
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
    runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
    new=$(find "$work/corpus/$target" -type f | wc -l)
    echo "fuzz: $target: $status; ${runs:-?} runs in ${seconds} s; $new new inputs; last: $last"
    if [ "$status" = FAILED ]; then
        grep -E -A 30 'panicked at|ERROR: libFuzzer|==[0-9]+==' "$log" | head -n 60 || tail -n 60 "$log"
        mkdir -p "fuzz/artifacts/$target"
        for input in "$work/artifacts/$target"/*; do
            [ -f "$input" ] || continue
            cp "$input" "fuzz/artifacts/$target/"
            echo "fuzz: $target: failing input $(basename "$input") (kept in fuzz/artifacts/$target/), base64:"
            base64 -w 0 "$input"
            echo
        done
    fi
done

echo "fuzz: total $(( $(date +%s) - started )) s"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: properties broken in: ${failed[*]}"
    exit 1
fi
echo "fuzz: all ${#targets[@]} targets held their properties for ${seconds} s each"
