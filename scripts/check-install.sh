#!/usr/bin/env bash
# check-install.sh — installs rill into a scratch prefix, moves the whole
# install tree somewhere else (so nothing may depend on the prefix it was
# configured with), and builds the README's example against it twice: with
# pkg-config, and with CMake's find_package(rill 0.2); then the example
# plugin and a program loading it, with pkg-config. Each program must run and
# print the expected answer; the installed rill command must run from the
# moved tree and its man pages be there. Used by CI; any build type works.
#   scripts/check-install.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-install}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRILL_BUILD_TESTS=OFF \
  -DRILL_BUILD_BENCH=OFF -DRILL_BUILD_EXAMPLES=OFF -DCMAKE_INSTALL_PREFIX="$work/configured" >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null
cmake --install "$build" >/dev/null
mv "$work/configured" "$work/moved"   # relocated: the configured prefix is gone
prefix="$work/moved"
libdir="$(dirname "$(find "$prefix" -name 'librill.so' | head -n 1)")"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# The public headers as a strict C99 program sees them.
printf '#include <rill.h>\n#include <rill/sys/stage.h>\n#include <rill/sys/source.h>\n#include <rill/sys/sink.h>\n#include <rill/sys/persistence.h>\n#include <rill/sys/transport.h>\nint main(void) { return 0; }\n' > "$work/headers.c"
cc -std=c99 -pedantic -Wall -Wextra -Werror -fsyntax-only -I"$prefix/include" "$work/headers.c"

# pkg-config, as the README says
export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc -std=c11 -Wall -Wextra -Wno-unused-parameter -o "$work/app-pc" "$root/examples/mean_length.c" \
  $(pkg-config --cflags --libs rill)
out="$("$work/app-pc")"
[ "$out" = "4.33333" ] || { echo "check-install: pkg-config build printed '$out'" >&2; exit 1; }

# A plugin, as docs/plugins.md says: built with the headers only (no
# librill), loaded by a program built with pkg-config.
cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden $(pkg-config --cflags rill) \
  -o "$work/libexample_plugin.so" "$root/examples/plugin/example_plugin.c" \
  "$root/examples/plugin/classify.c"
cat > "$work/host.c" <<'HOST'
#include <stdio.h>
#include <rill.h>
int main(int argc, char **argv)
{
    rill_plugin_lib *lib;
    const rill_plugin_entry *e;
    rill_pipeline *p;
    rill_batch *work, *res = NULL;
    rill_record r;
    (void)argc;
    if (rill_plugin_open(&lib, argv[1]) || rill_plugin_find(&e, lib, RILL_PLUGIN_JOB, "upper") ||
        rill_pipeline_new(&p) || rill_batch_new(&work) || rill_batch_add_text(work, "plugged in") ||
        rill_work(p, work) || rill_plugin_add(p, e, "upper", NULL) || rill_run(p, NULL, &res) ||
        rill_batch_get(&r, res, 0)) {
        fprintf(stderr, "%s\n", rill_error_last());
        return 1;
    }
    printf("%.*s\n", (int)r.len, (const char *)r.data);
    rill_batch_free(res);
    rill_pipeline_free(p);
    rill_plugin_close(lib);
    return 0;
}
HOST
cc -std=c11 -Wall -Wextra -Werror -o "$work/host" "$work/host.c" $(pkg-config --cflags --libs rill)
out="$("$work/host" "$work/libexample_plugin.so")"
[ "$out" = "PLUGGED IN" ] || { echo "check-install: the plugin host printed '$out'" >&2; exit 1; }

# CMake, as the README says, asking for this minor version
mkdir -p "$work/cm"
cat > "$work/cm/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.18)
project(app C)
find_package(rill 0.2 REQUIRED)
add_executable(app "$root/examples/mean_length.c")
target_link_libraries(app rill::rill)
CMAKE
cmake -S "$work/cm" -B "$work/cm/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cm/build" >/dev/null
out="$("$work/cm/build/app")"
[ "$out" = "4.33333" ] || { echo "check-install: CMake build printed '$out'" >&2; exit 1; }

# The rill command finds its library from where it lies, and its man pages are there.
out="$(env -u LD_LIBRARY_PATH "$prefix/bin/rill" --version)"
case "$out" in "rill 0.2.0"*) ;; *) echo "check-install: rill --version printed '$out'" >&2; exit 1;; esac
for page in man1/rill.1 man5/rill-spec.5; do
  [ -n "$(find "$prefix" -path "*/man/$page")" ] || { echo "check-install: $page not installed" >&2; exit 1; }
done
echo "check-install: pkg-config and find_package(rill 0.2) builds against a moved install run, load a plugin, and so does rill"
