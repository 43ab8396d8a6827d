# Sourced by the tool scripts: ensure_tool_venv DIR SPEC gives a Python tool a venv of its
# own in DIR (under .tools/, never .venv: the tool's dependencies stay out of the project's
# lock) with exactly SPEC installed (e.g. pip-audit==2.10.1), made again when SPEC changes.
ensure_tool_venv() {
  local dir=$1 spec=$2
  [ "$(cat "$dir/.spec" 2>/dev/null)" = "$spec" ] && return 0
  echo "installing $spec into $dir" >&2
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "$spec" || return 1
  echo "$spec" >"$dir/.spec"
}
