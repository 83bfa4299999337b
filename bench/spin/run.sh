#!/usr/bin/env bash
# SPIN comparison (issue 3 item 8): Promela twins of config-gencount and of a small split-ring
# notification protocol, verified with SPIN end to end (spin -a, gcc, pan: all three timed), next to
# `virtio-verify check` on the corresponding models. Prints a Markdown table on stdout; progress on
# stderr. Usage: bash bench/spin/run.sh   (REPEAT=N: best of N for runs shorter than 10 s, default 3)
#
# Installs spin and gcc from Debian if they are missing (needs root, as on the project machines).
# Nothing is written inside the repository: SPIN's files and ours' reports go to a temporary folder.
# Exit status: 0 when every tool ran (a verdict that is not the expected one is shown in the table
# and on stderr, not turned into a failure); non-zero when a tool could not run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/bench/spin
REPEAT=${REPEAT:-3}
PAN_DEPTH=100000          # pan -m: far above the depth these models reach (about 120)
WORK=$(mktemp -d /tmp/spin-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

log() { echo "[spin-bench] $*" >&2; }
now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
fmt2() { awk -v a="$1" 'BEGIN { printf "%.2f", a }'; }
thousands() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
export LC_ALL=C

# --- tools -------------------------------------------------------------------------------------
if ! command -v spin >/dev/null 2>&1 || ! command -v gcc >/dev/null 2>&1; then
  log "installing spin and gcc from Debian"
  apt-get update >&2 && apt-get install -y spin gcc >&2
fi
TIME_BIN=""
[[ -x /usr/bin/time ]] && TIME_BIN=/usr/bin/time
cd "$ROOT"
OURS=(node "$ROOT/bin/virtio-verify.js")
HAS_NO_REDUCTION=0
OURS_HELP=$("${OURS[@]}" check --help 2>&1 || true)
[[ "$OURS_HELP" == *--no-reduction* ]] && HAS_NO_REDUCTION=1

ROWS=()
MISMATCHES=0

# --- SPIN ---------------------------------------------------------------------------------------
# spin_case MODEL PML VARIANT EXPECTED [SPIN_DEFINES...]
# EXPECTED is "passed" or the invariant the variant must violate. PAN_CFLAGS (default empty) adds
# compile flags for pan, e.g. -DNOREDUCE.
PAN_CFLAGS=""
spin_case() {
  local model=$1 pml=$2 variant=$3 expected=$4
  shift 4
  local defines=("$@")
  local best="" best_dir="" best_a="" best_c="" best_p=""
  local r
  for ((r = 1; r <= REPEAT; r++)); do
    local dir="$WORK/spin/$model/$variant/$r"
    mkdir -p "$dir"
    cp "$HERE/$pml" "$dir/"
    local t0 t1 t2 t3 pan_rc=0
    t0=$(now)
    (cd "$dir" && spin "${defines[@]}" -a "$pml" >spin.log 2>&1) || { cat "$dir/spin.log" >&2; return 1; }
    t1=$(now)
    (cd "$dir" && gcc -O2 -DSAFETY $PAN_CFLAGS -o pan pan.c >gcc.log 2>&1) || { cat "$dir/gcc.log" >&2; return 1; }
    t2=$(now)
    # Default pan settings (stops at the first error) but a deep enough stack. spin 6.5.2's pan
    # exits 0 whether or not it found an error: the verdict comes from its output.
    (cd "$dir" && ./pan -m"$PAN_DEPTH" >pan.out 2>&1) || pan_rc=$?
    t3=$(now)
    if ((pan_rc != 0)); then log "pan exited $pan_rc for $model/$variant"; cat "$dir/pan.out" >&2; return 1; fi
    local total
    total=$(sub "$t0" "$t3")
    if [[ -z "$best" ]] || lt "$total" "$best"; then
      best=$total best_dir=$dir best_a=$(sub "$t0" "$t1") best_c=$(sub "$t1" "$t2") best_p=$(sub "$t2" "$t3")
    fi
  done
  local out="$best_dir/pan.out"
  local errors stored trans mem_total mem_states depth errline verdict inv
  errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$out" | head -1)
  stored=$(awk '/states, stored/ { print $1; exit }' "$out")
  trans=$(awk '/transitions \(= stored\+matched\)/ { print $1; exit }' "$out")
  mem_total=$(awk '/total actual memory usage/ { print $1; exit }' "$out")
  mem_states=$(awk '/actual memory usage for states/ { print $1; exit }' "$out")
  depth=$(sed -n 's/.*(at depth \([0-9][0-9]*\)).*/\1/p' "$out" | head -1)
  errline=$(grep -m1 '^pan:1:' "$out" || true)
  if [[ -z "$errors" || -z "$stored" ]]; then log "could not parse pan output for $model/$variant"; cat "$out" >&2; return 1; fi
  if ((errors == 0)); then
    if grep -q 'max search depth too small' "$out"; then verdict="incomplete (depth)"; inv=incomplete
    else verdict="passed, complete"; inv=passed; fi
  else
    case "$errline" in
      *"invalid end state"*) inv=no-deadlock ;;
      *rd_lo*) inv=no-torn-read ;;
      *ap_lo* | *last_applied*) inv=driver-write-intact ;;
      *last_acc*) inv=no-lost-config-event ;;
      *received*) inv=no-lost-notification ;;
      *"avail_idx>=used_idx"*) inv=in-flight-within-size ;;
      *head==last_avail* | *id==last_used*) inv=used-exactly-once ;;
      *) inv="assertion: $errline" ;;
    esac
    verdict="violated $inv"
  fi
  local ok=yes
  [[ "$inv" == "$expected" ]] || { ok=no; MISMATCHES=$((MISMATCHES + 1)); log "UNEXPECTED: spin $model/$variant gave '$verdict', expected '$expected'"; }
  local search="SPIN, all interleavings"
  if [[ "$PAN_CFLAGS" == *NOREDUCE* ]]; then search+=", no POR"; else search+=", POR"; fi
  [[ "$inv" == passed ]] || search+=", to 1st error"
  ROWS+=("| $model | $variant | $search | $verdict | $ok | $(fmt2 "$best") | spin -a $(fmt2 "$best_a") + gcc $(fmt2 "$best_c") + pan $(fmt2 "$best_p") | $(thousands "$stored") states | $(thousands "$trans") transitions | ${depth:+depth $depth} | ${mem_total} total (${mem_states:-?} for states) |")
  log "spin $model/$variant: $verdict in ${best}s, $stored states"
}

# --- ours ---------------------------------------------------------------------------------------
# ours_case MODEL TWIN_NAME VARIANT [CHECK_ARGS...]
ours_case() {
  local model=$1 twin=$2 variant=$3
  shift 3
  local args=("$@")
  local best="" best_json="" best_rss="" r
  for ((r = 1; r <= REPEAT; r++)); do
    local dir="$WORK/ours/$model/$variant/${args[*]// /_}/$r"
    mkdir -p "$dir"
    local t0 t1 rc=0
    t0=$(now)
    if [[ -n "$TIME_BIN" ]]; then
      "$TIME_BIN" -f '%M' -o "$dir/rss" "${OURS[@]}" check "$model" --variant "$variant" --json --out "$dir/out" "${args[@]}" >"$dir/result.json" 2>"$dir/stderr" || rc=$?
    else
      "${OURS[@]}" check "$model" --variant "$variant" --json --out "$dir/out" "${args[@]}" >"$dir/result.json" 2>"$dir/stderr" || rc=$?
    fi
    t1=$(now)
    if ((rc != 0 && rc != 1)); then log "virtio-verify exited $rc for $model/$variant ${args[*]}"; cat "$dir/stderr" "$dir/result.json" >&2; return 1; fi
    local total
    total=$(sub "$t0" "$t1")
    if [[ -z "$best" ]] || lt "$total" "$best"; then
      best=$total best_json="$dir/result.json" best_rss=""
      [[ -f "$dir/rss" ]] && best_rss=$(tail -1 "$dir/rss")
    fi
    lt "$total" 10 || break   # long runs once
  done
  local fields
  fields=$(node -e '
    const fs = require("fs");
    const d = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    let cex = "";
    if (typeof d.counterexample === "string" && fs.existsSync(d.counterexample)) {
      const c = JSON.parse(fs.readFileSync(d.counterexample, "utf8"));
      if (Array.isArray(c.schedule)) cex = c.schedule.length + " steps";
    }
    const space = (d.coverage && d.coverage.space) || "";
    const por = /reduction/.test(space) ? ", DPOR" : "";
    const search = `ours, ${d.strategy} <=${d.preemptions} preemptions${por}` + (d.verdict === "violated" ? ", to 1st error" : "");
    const verdict = d.verdict === "violated" ? `violated ${d.invariant}` : `${d.verdict}${d.complete ? ", complete within bound" : ", incomplete"}`;
    const params = Object.entries(d.params || {}).filter(([k]) => k === "eventIdx").map(([k, v]) => `${k}=${v}`).join(" ");
    console.log([search, verdict, d.asExpected ? "yes" : "no", d.seconds, d.executions, d.steps, cex, params].join("\x1f"));
  ' "$best_json")
  local search verdict ok secs execs steps cex params
  IFS=$'\x1f' read -r search verdict ok secs execs steps cex params <<<"$fields"
  [[ "$ok" == yes ]] || { MISMATCHES=$((MISMATCHES + 1)); log "UNEXPECTED: ours $model/$variant ${args[*]} gave '$verdict'"; }
  local mem="?"
  [[ -n "$best_rss" ]] && mem="$(awk -v k="$best_rss" 'BEGIN { printf "%.0f", k / 1024 }') max RSS"
  local label="$twin"
  [[ "$model" == "$twin" ]] || label="$twin (ours: $model${params:+ $params})"
  ROWS+=("| $label | $variant | $search | $verdict | $ok | $(fmt2 "$best") | search $(fmt2 "$secs"), rest node+tsx start | $(thousands "$execs") executions | $(thousands "$steps") steps | $cex | $mem |")
  log "ours $model/$variant ${args[*]}: $verdict in ${best}s, $execs executions"
}

# --- the runs -----------------------------------------------------------------------------------
START=$(now)
CG=config-gencount
spin_case $CG config-gencount.pml reference passed
PAN_CFLAGS=-DNOREDUCE spin_case $CG config-gencount.pml reference passed
ours_case $CG $CG reference
ours_case $CG $CG reference --preemptions 3
ours_case $CG $CG reference --preemptions 4
if ((HAS_NO_REDUCTION)); then
  ours_case $CG $CG reference --no-reduction
  ours_case $CG $CG reference --no-reduction --preemptions 3
  ours_case $CG $CG reference --no-reduction --preemptions 4
fi
spin_case $CG config-gencount.pml no-odd-check no-torn-read -DNO_ODD_CHECK
ours_case $CG $CG no-odd-check
if ((HAS_NO_REDUCTION)); then ours_case $CG $CG no-odd-check --no-reduction; fi
spin_case $CG config-gencount.pml clear-after-process no-lost-config-event -DCLEAR_AFTER
ours_case $CG $CG clear-after-process
if ((HAS_NO_REDUCTION)); then ours_case $CG $CG clear-after-process --no-reduction; fi
# The other mutants of ours, twinned too: the verdicts should agree on all six.
spin_case $CG config-gencount.pml single-bump no-torn-read -DSINGLE_BUMP
ours_case $CG $CG single-bump
spin_case $CG config-gencount.pml no-recheck no-torn-read -DNO_RECHECK
ours_case $CG $CG no-recheck
spin_case $CG config-gencount.pml driver-back-to-back driver-write-intact -DBACK_TO_BACK
ours_case $CG $CG driver-back-to-back

VN=vring-notify
spin_case $VN vring-notify.pml reference passed
PAN_CFLAGS=-DNOREDUCE spin_case $VN vring-notify.pml reference passed
ours_case vring-split $VN reference --param eventIdx=0
ours_case vring-split $VN reference --param eventIdx=0 --preemptions 3
spin_case $VN vring-notify.pml no-recheck-after-enable no-lost-notification -DNO_RECHECK
ours_case vring-split $VN no-recheck-after-enable --param eventIdx=0
ours_case vring-split $VN no-recheck-after-enable --param eventIdx=0 --preemptions 3
ours_case vring-split $VN no-recheck-after-enable --param eventIdx=1
END=$(now)

# --- report -------------------------------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
echo "SPIN comparison, $(date -u +%Y-%m-%d), best of $REPEAT for runs under 10 s"
echo
echo "- machine: $(nproc) vCPU $cpu; load: $(uptime | sed 's/.*load average/load average/')"
echo "- $(spin -V 2>&1 | head -1); $(gcc --version | head -1); node $(node --version)"
echo "- virtio-verify at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- harness models 2>/dev/null || echo ' with uncommitted changes in harness/ or models/')"
echo "- pan: gcc -O2 -DSAFETY, ./pan -m$PAN_DEPTH, otherwise defaults (partial-order reduction on, hash table -w24, stop at the first error)"
echo
echo "| model | variant | search | verdict | as expected | end to end (s) | phases (s) | states / executions | transitions / steps | counterexample | memory (MB) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "Whole script: $(fmt2 "$(sub "$START" "$END")") s."
if ((MISMATCHES > 0)); then
  echo
  echo "$MISMATCHES verdict(s) not as expected: see the 'as expected' column."
fi
