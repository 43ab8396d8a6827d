#!/usr/bin/env bash
# `make audit`: every package that uv.lock pins (all extras, the dev group too) checked
# against the Python Packaging Advisory Database, as PyPI serves it, by pip-audit.
#
# pip-audit lives in its own tool venv, .tools/pip-audit/ (pinned below), never in .venv: it
# audits a requirements file that `uv export` writes from the lock, with --no-deps (the set
# is already complete and pinned, nothing is resolved) and --disable-pip (nothing is
# installed). Exit 0: every package audited, no known vulnerability; 1: some (listed with
# their fixed versions); 2: the audit could not run; 3: some packages could not be audited
# (the vulnerability service did not answer for them: never reported as a pass).
#
# .pip-audit-ignore: one advisory id a line, then `#` and why it is ignored. Only for an
# advisory with no fixed release, or one whose code this project never reaches; an id
# without a reason is refused.
set -euo pipefail
cd "$(dirname "$0")/.."

PIP_AUDIT_VERSION=2.10.1
TOOL=.tools/pip-audit
IGNORE_FILE=.pip-audit-ignore
UV=.tools/uv/bin/uv

fail() {
  echo "audit: $*" >&2
  exit 2
}

[ -x "$UV" ] || fail "$UV is missing: run scripts/install.sh (make install) first"
source scripts/tool_venv.sh
ensure_tool_venv "$TOOL" "pip-audit==$PIP_AUDIT_VERSION" ||
  fail "could not install pip-audit $PIP_AUDIT_VERSION"

ignored=()
if [ -f "$IGNORE_FILE" ]; then
  while IFS= read -r line; do
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    id=$(sed 's/[[:space:]]*#.*//; s/[[:space:]]*$//; s/^[[:space:]]*//' <<<"$line")
    reason=$(sed -n 's/^[^#]*#[[:space:]]*//p' <<<"$line")
    [ -n "$reason" ] || fail "$IGNORE_FILE: '$id' has no reason (write: ID  # why)"
    ignored+=(--ignore-vuln "$id")
  done <"$IGNORE_FILE"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Every extra and the dev group, the project itself left out (it is not on PyPI). The
# markers stay: pip-audit reports a package whatever platform it is locked for.
"$UV" export --frozen --all-extras --no-emit-project --no-hashes --quiet \
  --output-file "$work/requirements.txt"
count=$(grep -c '^[A-Za-z0-9]' "$work/requirements.txt")
echo "audit: $count locked packages (uv.lock, all extras and the dev group)" >&2

# JSON, so that a package the service could not answer for is an error, not a pass:
# pip-audit itself only lists such packages as "skipped" and exits 0.
status=0
"$TOOL/bin/pip-audit" --requirement "$work/requirements.txt" --no-deps --disable-pip \
  --progress-spinner off --vulnerability-service pypi "${ignored[@]}" \
  --format json --output "$work/report.json" "$@" 2>"$work/stderr" || status=$?
[ -s "$work/report.json" ] || fail "pip-audit failed (exit $status): $(tail -n 5 "$work/stderr")"

"$TOOL/bin/python" - "$work/report.json" <<'PY'
import json
import sys

report = json.load(open(sys.argv[1]))
deps = report["dependencies"]
skipped = [d for d in deps if "skip_reason" in d]
vulnerable = [d for d in deps if d.get("vulns")]
for dep in vulnerable:
    for vuln in dep["vulns"]:
        fixed = ", ".join(vuln["fix_versions"]) or "no fixed release"
        aliases = ", ".join(vuln.get("aliases", []))
        print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']}"
              f"{f' ({aliases})' if aliases else ''}; fixed in: {fixed}")
audited = len(deps) - len(skipped)
print(f"audit: {audited} of {len(deps)} packages audited, "
      f"{sum(len(d['vulns']) for d in vulnerable)} known vulnerabilities "
      f"in {len(vulnerable)} packages", file=sys.stderr)
if skipped:
    for dep in skipped[:5]:
        print(f"  not audited: {dep['skip_reason']}", file=sys.stderr)
    print(f"audit: {len(skipped)} packages could NOT be audited (the vulnerability service "
          "did not answer for them: PyPI's per-release JSON API, "
          "https://pypi.org/pypi/NAME/VERSION/json); this is no clean audit", file=sys.stderr)
    sys.exit(3)
sys.exit(1 if vulnerable else 0)
PY
