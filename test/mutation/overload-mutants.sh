#!/usr/bin/env bash
# The hand-made overload mutants of issue 14: each lets every node run 5% (or 0.1%) over its
# capacity, in the verifier's mid-plan comparison (src/plan/verify.ts `over`), in the end-state
# comparison (src/constraints/util.ts `exceeds`), or in both. Each mutant is applied to a copy of
# the sources in a temporary directory (the work tree is never touched) and must make the
# verifier's own tests (test/plan/verify*.test.ts) fail. Prints one line per mutant and exits
# non-zero when a mutant survives.
# Usage: bash test/mutation/overload-mutants.sh [--tests-from <commit>]
#   --tests-from <commit>: run the test/ directory of that commit instead (e.g. 71a5a8e, before
#   issue 14: the mutants survive there).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

over='return l > b + 1e-9 \* Math.max(1, Math.abs(b));'
exceeds='return load > limit + 1e-9 \* Math.max(1, Math.abs(limit));'
grep -q "$over" "$root/src/plan/verify.ts" || { echo "the comparison in src/plan/verify.ts has changed: update $0"; exit 2; }
grep -q "$exceeds" "$root/src/constraints/util.ts" || { echo "the comparison in src/constraints/util.ts has changed: update $0"; exit 2; }

survived=0
for factor in 1.05 1.001; do
  for where in verify util both; do
    dir="$tmp/$factor-$where"
    mkdir -p "$dir"
    cp -r "$root/src" "$root/test" "$root/package.json" "$root/tsconfig.json" "$root/vitest.config.ts" "$dir/"
    ln -s "$root/node_modules" "$dir/node_modules"
    if [ "${1:-}" = --tests-from ]; then
      rm -rf "$dir/test"
      git -C "$root" archive "$2" test | tar -x -C "$dir"
    fi
    if [ "$where" != util ]; then
      sed -i "s/$over/return l > b * $factor + 1e-9 * Math.max(1, Math.abs(b));/" "$dir/src/plan/verify.ts"
    fi
    if [ "$where" != verify ]; then
      sed -i "s/$exceeds/return load > limit * $factor + 1e-9 * Math.max(1, Math.abs(limit));/" "$dir/src/constraints/util.ts"
    fi
    if (cd "$dir" && npx vitest run test/plan/verify > "$dir.raw" 2>&1); then status=SURVIVED; survived=1; else status=killed; fi
    sed 's/\x1b\[[0-9;]*m//g' "$dir.raw" > "$dir.log"
    echo "$status x$factor in $where:$(grep -E '^ *Tests +[0-9]' "$dir.log" | tr -s ' ')"
    { grep -E '^ *FAIL ' "$dir.log" || true; } | sed 's/^ */    /' | head -4 || true
  done
done
exit $survived
