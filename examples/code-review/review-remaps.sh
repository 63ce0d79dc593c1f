#!/usr/bin/env bash
# The remap review a pull request gets (run by .github/workflows/remap-review.yml, and by this repository's tests
# exactly as written). Gates: `surgery fmt --check` and `surgery check` on every .remap file. Then, for each surgery
# listed in the surgeries file, `surgery plan --format md` against key manifests, all collected into one Markdown
# report for the pull-request comment. Every step runs even after a failure, so the comment shows all problems;
# the exit code is 1 when any gate or plan failed.
#
# Environment (all optional):
#   SURGERY         how to run surgery            (default: npx --no-install surgery)
#   REMAP_DIR       folder of .remap files        (default: remaps)
#   SURGERIES       remap/source/target list      (default: examples/code-review/surgeries.tsv)
#   REPORT_DIR      where the reports go          (default: remap-review)
set -uo pipefail

SURGERY=${SURGERY:-npx --no-install surgery}
REMAP_DIR=${REMAP_DIR:-remaps}
SURGERIES=${SURGERIES:-examples/code-review/surgeries.tsv}
REPORT_DIR=${REPORT_DIR:-remap-review}

mkdir -p "$REPORT_DIR"
report="$REPORT_DIR/report.md"
status=0
shopt -s nullglob
remaps=("$REMAP_DIR"/*.remap)
if [ ${#remaps[@]} -eq 0 ]; then
  echo "no .remap files in $REMAP_DIR" >&2
  exit 1
fi

# Runs a gate; appends its verdict (and its output, folded, when it fails) to the report.
gate() {
  local title=$1; shift
  local out
  if out=$("$@" 2>&1); then
    echo "- ✅ \`$title\`" >>"$report"
  else
    status=1
    { echo "- ❌ \`$title\`"; echo; echo '  <details><summary>output</summary>'; echo; echo '  ```'; echo "$out" | sed 's/^/  /'; echo '  ```'; echo '  </details>'; } >>"$report"
  fi
  echo "$out"
}

{
  echo '<!-- surgery-remap-review -->'
  echo '## Remap review'
  echo
  echo "Checked ${#remaps[@]} remap file(s) in \`$REMAP_DIR/\`."
  echo
} >"$report"

# shellcheck disable=SC2086  # SURGERY is a command line, split on purpose
gate "surgery fmt --check" $SURGERY fmt --check "${remaps[@]}"
# shellcheck disable=SC2086
gate "surgery check" $SURGERY check "${remaps[@]}"
echo >>"$report"

n=0
while IFS=$'\t' read -r remap source target; do
  case "$remap" in ''|'#'*) continue ;; esac
  n=$((n + 1))
  one="$REPORT_DIR/plan-$n.md"
  # shellcheck disable=SC2086
  if ! $SURGERY plan "$source" "$remap" --target "$target" --format md --report "$one"; then
    status=1
  fi
  if [ -s "$one" ]; then
    { cat "$one"; echo; } >>"$report"
  else
    { echo "### ❌ \`$remap\`: no plan (see the job log)"; echo; } >>"$report"
  fi
done <"$SURGERIES"

if [ "$n" -eq 0 ]; then
  echo "no surgeries listed in $SURGERIES" >&2
  status=1
fi
echo "report: $report"
exit $status
