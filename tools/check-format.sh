#!/bin/sh
# Every C file of the tree formatted by .clang-format (as CI checks). Exit 77 (skipped) when
# clang-format is missing.
cd "$(dirname "$0")/.." || exit 1
command -v clang-format >/dev/null 2>&1 || exit 77
bad=""
for f in $(git ls-files '*.c' '*.h' 2>/dev/null); do
	clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad="$bad $f"
done
if [ -n "$bad" ]; then
	echo "not formatted (run clang-format -i):$bad"
	exit 1
fi
echo "all C files formatted"
