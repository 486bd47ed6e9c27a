#!/bin/sh
# The symbols libshmrep exports must be exactly the public API listed in
# libshmrep.symbols: no internal name leaks out, none of the API is missing.
# Usage: check-abi.sh LIBRARY SYMBOL-LIST
set -eu
lib=$1
want=$2
got=$(nm -D --defined-only "$lib" | awk '$2 == "T" || $2 == "D" || $2 == "B" {print $3}' | sed 's/@.*//' | sort -u)
if [ "$got" != "$(sort -u "$want")" ]; then
	echo "exported symbols differ from $want:"
	printf '%s\n' "$got" | diff "$want" - || true
	exit 1
fi
echo "$(printf '%s\n' "$got" | wc -l) symbols, as listed"
