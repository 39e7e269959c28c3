#!/bin/sh
# check-exports.sh LIB INCLUDE_DIR — every function a public header declares
# with RILL_EXTERN is exported by the shared library LIB (a definition that
# does not see its declaration is hidden by -fvisibility=hidden, and only
# programs linking the shared library would notice).
set -eu
lib=$1
inc=$2
missing=0
for h in "$inc"/rill.h "$inc"/rill/*.h "$inc"/rill/sys/*.h; do
  for fn in $(grep -ho 'RILL_EXTERN [^(]*(' "$h" | sed 's/.*[ *]\([a-z_0-9]*\)($/\1/' | grep '^rill_'); do
    if ! nm -D --defined-only "$lib" | grep -q " T $fn\$"; then
      echo "check-exports: $fn ($h) is not exported by $lib"
      missing=$((missing + 1))
    fi
  done
done
[ "$missing" -eq 0 ] && echo "check-exports: every public function is exported"
exit "$missing"
