#!/usr/bin/env bash
# Runs the type check and the vitest suite, then prints the one closing line CI reads.
set -u
cd "$(dirname "$0")/.."
mkdir -p reports
failed_checks=0
passed_checks=0
# A missing tool fails the run (and is counted), but the rest still runs so that one report shows everything.
if bash scripts/ensure-test-tools.sh; then passed_checks=$((passed_checks + 1)); else
  echo "the test tools are missing and could not be installed: the run fails" >&2
  failed_checks=$((failed_checks + 1))
fi
if npx tsc --noEmit; then passed_checks=$((passed_checks + 1)); else failed_checks=$((failed_checks + 1)); fi
npx vitest run --reporter=default --reporter=json --outputFile.json=reports/vitest.json "$@"
rc=$?
node -e '
const fs = require("node:fs");
const [passedChecks, failedChecks] = process.argv.slice(1).map(Number);
let passed = 0, failed = 0;
try { const r = JSON.parse(fs.readFileSync("reports/vitest.json", "utf8")); passed = r.numPassedTests; failed = r.numFailedTests; }
catch { failed = 1; }
console.log(`${passed + passedChecks} passed, ${failed + failedChecks} failed`);
' "$passed_checks" "$failed_checks"
if [ "$rc" -ne 0 ] || [ "$failed_checks" -ne 0 ]; then exit 1; fi
