/* sources_live.c — the live sources a spec may name (entries of
 * cli_source_defs[] in sources.c), over include/rill/sources.h:
 *
 *   command   the output lines of a command (argv, never a shell)
 *   follow    a file followed as tail -F does
 *   tcp       a TCP listener (loopback by default), a record per line
 *   unix      a Unix stream socket listener, a record per line
 *
 * Each is unbounded (the command ends when it exits) and takes the bounds
 * max_records and max_seconds. The library sends a live source's records
 * to the first stage; a job of the source's name passes them on, so that
 * the source can be named as an input like any other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources.h"
#include "xalloc.h"

#define BOUND_OPTS                                                                    \
    {"max_records", "int", "0", "end after this many records (0: no bound)"},        \
    {"max_seconds", "number", "0", "end this many seconds after the run starts reading " \
                                   "(0: no bound)"},                                 \
    {"poll_ms", "int", "100", "how long to wait for input at a time (follow: how often " \
                              "the file is looked at)"}

static int pass(rill_emitter *out, const rill_record *in, void *payload)
{
    (void)payload;
    return rill_emit_record(out, in);
}

/* The bounds every live source takes; -1 after cli_error. */
static int live_options(const cli_opts *o, rill_live_options *lo)
{
    int64_t max_records = 0, poll = 0;
    double max_seconds = 0;
    if (cli_opt_int(o, "max_records", 0, INT64_MAX, &max_records) < 0 ||
        cli_opt_double(o, "max_seconds", &max_seconds) < 0 ||
        cli_opt_int(o, "poll_ms", 1, 3600000, &poll) < 0)
        return -1;
    if (max_seconds < 0 || max_seconds > 1e9)
        return cli_error(o, "max_seconds", "max_seconds must be between 0 and 1e9");
    lo->max_records = max_records;
    lo->max_ms = (int64_t)(max_seconds * 1000.0 + 0.5);
    if (max_seconds > 0 && lo->max_ms == 0)
        lo->max_ms = 1;
    lo->poll_ms = (int)poll;
    return 0;
}

/* After the library's call made the source: the stage of its name. */
static int add_pass(cli_build *b, const cli_opts *o)
{
    b->generator = 1; /* --max-batches bounds it */
    if (cli_add_job(b, o, o->stage, NULL, pass, NULL) < 0)
        return -1;
    b->nodes[b->nnodes - 1].type = "source";
    b->nodes[b->nnodes - 1].unbounded = 1;
    return 0;
}

/* ---- command ---- */

static const cli_option_doc command_opts[] = {
    {"command", "list", NULL, "the program and its arguments (run directly, never through "
                              "a shell; the program is looked for in PATH)"},
    BOUND_OPTS,
    {NULL, NULL, NULL, NULL}};

static int add_command(cli_build *b, const cli_opts *o)
{
    rill_live_options lo = RILL_LIVE_OPTIONS_INIT;
    const char *const *items;
    const char **argv;
    size_t n, i;
    int rc;
    if ((rc = cli_opt_list(o, "command", &items, &n)) != 0)
        return rc == 1 ? cli_error(o, NULL, "a command source needs command: [program, "
                                            "arguments...]")
                       : -1;
    if (live_options(o, &lo) < 0)
        return -1;
    if (n == 0 || items[0][0] == '\0')
        return cli_error(o, "command", "command: give the program (and its arguments)");
    argv = cli_xcalloc(n + 1, sizeof(*argv));
    for (i = 0; i < n; i++)
        argv[i] = items[i];
    rc = rill_read_command(b->p, argv, &lo);
    free(argv);
    if (rc < 0)
        return cli_error(o, "command", "%s", rill_error_last());
    return add_pass(b, o);
}

/* ---- follow ---- */

static const cli_option_doc follow_opts[] = {
    {"path", "string", NULL, "the file to follow (it may not exist yet: it is waited for)"},
    {"from_end", "bool", "false", "start at the file's end: skip the lines already there"},
    BOUND_OPTS,
    {NULL, NULL, NULL, NULL}};

static int add_follow(cli_build *b, const cli_opts *o)
{
    rill_live_options lo = RILL_LIVE_OPTIONS_INIT;
    const char *path;
    int from_end = 0, rc;
    if ((rc = cli_opt_str(o, "path", &path)) != 0)
        return rc == 1 ? cli_error(o, NULL, "a follow source needs path: (the file)") : -1;
    if (cli_opt_bool(o, "from_end", &from_end) < 0 || live_options(o, &lo) < 0)
        return -1;
    if (*path == '\0')
        return cli_error(o, "path", "an empty path");
    lo.from_end = from_end;
    if (rill_follow_file(b->p, path, &lo) < 0)
        return cli_error(o, "path", "%s", rill_error_last());
    return add_pass(b, o);
}

/* ---- tcp ---- */

static const cli_option_doc tcp_opts[] = {
    {"port", "int", NULL, "the port to listen on"},
    {"host", "string", "127.0.0.1", "the address to listen on (0.0.0.0 or :: for every "
                                    "interface)"},
    BOUND_OPTS,
    {NULL, NULL, NULL, NULL}};

static int add_tcp(cli_build *b, const cli_opts *o)
{
    rill_live_options lo = RILL_LIVE_OPTIONS_INIT;
    const char *host = "127.0.0.1";
    int64_t port = 0;
    int rc;
    if ((rc = cli_opt_int(o, "port", 1, 65535, &port)) != 0)
        return rc == 1 ? cli_error(o, NULL, "a tcp source needs port:") : -1;
    if (cli_opt_str(o, "host", &host) < 0 || live_options(o, &lo) < 0)
        return -1;
    if (rill_listen_tcp(b->p, *host ? host : NULL, (int)port, &lo, NULL) < 0)
        return cli_error(o, "port", "%s", rill_error_last());
    return add_pass(b, o);
}

/* ---- unix ---- */

static const cli_option_doc unix_opts[] = {
    {"path", "string", NULL, "the socket's path (made here, removed at the end)"},
    BOUND_OPTS,
    {NULL, NULL, NULL, NULL}};

static int add_unix(cli_build *b, const cli_opts *o)
{
    rill_live_options lo = RILL_LIVE_OPTIONS_INIT;
    const char *path;
    int rc;
    if ((rc = cli_opt_str(o, "path", &path)) != 0)
        return rc == 1 ? cli_error(o, NULL, "a unix source needs path: (the socket)") : -1;
    if (live_options(o, &lo) < 0)
        return -1;
    if (*path == '\0')
        return cli_error(o, "path", "an empty path");
    if (rill_listen_unix(b->p, path, &lo) < 0)
        return cli_error(o, "path", "%s", rill_error_last());
    return add_pass(b, o);
}

const cli_source_def cli_source_command = {"command", "the output lines of a command (argv)",
                                           command_opts, 0, 1, add_command};
const cli_source_def cli_source_follow = {"follow", "a file followed as tail -F does",
                                          follow_opts, 0, 1, add_follow};
const cli_source_def cli_source_tcp = {"tcp", "a TCP listener, a record per line", tcp_opts,
                                       0, 1, add_tcp};
const cli_source_def cli_source_unix = {"unix", "a Unix socket listener, a record per line",
                                        unix_opts, 0, 1, add_unix};
