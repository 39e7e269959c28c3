/* source_listen.c — TCP and Unix socket listeners as live sources
 * (rill_listen_tcp, rill_listen_unix): bound when the pipeline is built (on
 * rank 0 only: the source is pulled there, and other ranks building the
 * same pipeline on the same host must not fight for the address), any
 * number of connections accepted while the run goes, a record per line from
 * each, the connections' lines given in turn. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "live.h"
#include "../core/plan.h"
#include "../util/error.h"

typedef struct conn {
    int fd;             /* -1: closed, its held lines given */
    rill__linebuf lines;
} conn;

typedef struct listener {
    int tcp;            /* 1: TCP, 0: Unix */
    char *where;        /* owned: the host ("" for every address) or the path */
    int port;           /* asked for (TCP) */
    char who[200];      /* "TCP listener 127.0.0.1:7000", for messages */
    rill__live live;
    int fd;             /* the listening socket */
    dev_t dev;          /* the Unix socket file's identity, to remove it */
    ino_t ino;
    conn *c;            /* owned */
    int n, cap;
    int turn;           /* the connection whose lines go first next */
} listener;

static void conn_close(conn *k)
{
    if (k->fd >= 0)
        close(k->fd);
    k->fd = -1;
}

static void accept_all(listener *l)
{
    for (;;) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN, or a connection that went before it was taken */
        if (l->n == l->cap) {
            int cap = l->cap ? l->cap * 2 : 8;
            conn *c = realloc(l->c, (size_t)cap * sizeof(*c));
            if (c == NULL) {
                close(fd);
                return;
            }
            l->c = c;
            l->cap = cap;
        }
        memset(&l->c[l->n], 0, sizeof(conn));
        l->c[l->n++].fd = fd;
    }
}

/* Reads what connection i has; at its end its last line is held to give. */
static int conn_read(listener *l, int i)
{
    char b[65536];
    conn *k = &l->c[i];
    ssize_t n = read(k->fd, b, sizeof(b));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n <= 0) { /* closed (or reset): the end of its lines */
        conn_close(k);
        return rill__linebuf_add(&k->lines, "\n", rill__linebuf_held(&k->lines) ? 1 : 0);
    }
    return rill__linebuf_add(&k->lines, b, (size_t)n);
}

/* Gives the connections' whole lines, each in turn; forgets those closed
 * and given. */
static int take_lines(listener *l, rill_batch *out, size_t room)
{
    int i, j;
    for (i = 0; i < l->n && rill_batch_count(out) < room; i++) {
        conn *k = &l->c[(l->turn + i) % l->n];
        long n = rill__linebuf_take(&k->lines, out, room, l->who);
        if (n < 0)
            return (int)n;
    }
    l->turn = l->n ? (l->turn + 1) % l->n : 0;
    for (i = j = 0; i < l->n; i++) {
        if (l->c[i].fd < 0 && rill__linebuf_held(&l->c[i].lines) == 0)
            rill__linebuf_free(&l->c[i].lines);
        else
            l->c[j++] = l->c[i];
    }
    l->n = j;
    return 0;
}

static int listen_next(void *self, rill_source_pull *pull)
{
    listener *l = self;
    size_t room;
    struct pollfd *pf;
    int i, k, rc;
    long long until, left;
    rill__live_begin(&l->live);
    if (l->live.given == 0)
        l->live.given = pull->position; /* a resumed run counts on */
    room = rill__live_room(&l->live, pull->batch_records);
    until = rill__now_ms() + rill__live_wait_ms(&l->live);
    for (;;) {
        if ((rc = take_lines(l, pull->out, room)) < 0)
            return rc;
        if (rill_batch_count(pull->out) > 0 || rill__live_over(&l->live) ||
            rill__live_stopped(&l->live) || (left = until - rill__now_ms()) <= 0)
            break; /* lines, a bound, no more wanted, or nothing came: answer */
        if ((pf = calloc((size_t)l->n + 1, sizeof(*pf))) == NULL)
            return rill__error(RILL_ENOMEM, "out of memory");
        pf[0].fd = l->fd;
        pf[0].events = POLLIN;
        for (i = 0; i < l->n; i++) {
            pf[i + 1].fd = l->c[i].fd; /* -1 (closed) is skipped */
            pf[i + 1].events = POLLIN;
        }
        k = poll(pf, (nfds_t)l->n + 1, rill__live_slice((int)left));
        for (i = l->n - 1; k > 0 && i >= 0 && rc == 0; i--)
            if (pf[i + 1].revents)
                rc = conn_read(l, i);
        if (k > 0 && pf[0].revents)
            accept_all(l);
        free(pf);
        if (rc < 0)
            return rc;
    }
    rill__live_answer(&l->live, pull);
    pull->position = l->live.given;
    return 1;
}

/* The run's connections are closed; the listener stays for the next. */
static void listen_end(void *self)
{
    listener *l = self;
    int i;
    for (i = 0; i < l->n; i++) {
        conn_close(&l->c[i]);
        rill__linebuf_free(&l->c[i].lines);
    }
    l->n = 0;
    l->live.given = 0;
    l->live.t0_ms = 0;
}

static void listen_free(void *self)
{
    listener *l = self;
    struct stat st;
    listen_end(l);
    if (l->fd >= 0)
        close(l->fd);
    if (!l->tcp && l->ino && stat(l->where, &st) == 0 && st.st_dev == l->dev &&
        st.st_ino == l->ino)
        unlink(l->where); /* only the socket file it made */
    free(l->c);
    free(l->where);
    free(l);
}

/* Where it listens, and the bounds. */
static int listen_describe(const void *self, const rill_pipeline *p, rill_batch *out)
{
    const listener *l = self;
    int rc;
    (void)p;
    if ((rc = rill_batch_add(out, l->where, strlen(l->where))) < 0 ||
        (rc = rill__put_i64(out, l->port)) < 0)
        return rc;
    return rill__live_describe(&l->live, out);
}

static const rill_source tcp_source = {
    .version = RILL_SOURCE_VERSION,
    .name = "tcp",
    .flags = RILL_SOURCE_WAITS | RILL_SOURCE_SEEKS,
    .next = listen_next,
    .describe = listen_describe,
    .free = listen_free,
    .end = listen_end,
};

static const rill_source unix_source = {
    .version = RILL_SOURCE_VERSION,
    .name = "unix",
    .flags = RILL_SOURCE_WAITS | RILL_SOURCE_SEEKS,
    .next = listen_next,
    .describe = listen_describe,
    .free = listen_free,
    .end = listen_end,
};

static int make(listener **out, rill_pipeline *p, const char *call, int tcp, const char *where,
                const rill_live_options *opts)
{
    listener *l;
    int rc;
    *out = NULL;
    if (p == NULL)
        return rill__error(RILL_EINVAL, "%s: the pipeline is NULL", call);
    if ((l = calloc(1, sizeof(*l))) == NULL || (l->where = strdup(where)) == NULL) {
        free(l);
        return rill__error(RILL_ENOMEM, "out of memory");
    }
    l->tcp = tcp;
    l->fd = -1;
    if ((rc = rill__live_init(&l->live, p, call, opts, 0)) < 0) {
        listen_free(l);
        return rc;
    }
    *out = l;
    return 0;
}

/* Binds and listens on the first of the host's addresses that takes it. */
static int bind_tcp(listener *l, const char *host, int port, int *bound)
{
    struct addrinfo hints, *res = NULL, *a;
    char service[16];
    int rc, err = 0, one = 1;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(service, sizeof(service), "%d", port);
    if ((rc = getaddrinfo(host, service, &hints, &res)) != 0)
        return rill__error(RILL_EIO, "%s: cannot resolve the host: %s", l->who,
                           gai_strerror(rc));
    for (a = res; a && l->fd < 0; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 128) < 0) {
            err = errno;
            close(fd);
            continue;
        }
        l->fd = fd;
    }
    freeaddrinfo(res);
    if (l->fd < 0)
        return rill__error(RILL_EIO, "%s: cannot listen: %s", l->who, strerror(err));
    if (bound) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        *bound = port;
        if (getsockname(l->fd, (struct sockaddr *)&ss, &len) == 0)
            *bound = ss.ss_family == AF_INET6
                         ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                         : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    }
    return 0;
}

int rill_listen_tcp(rill_pipeline *p, const char *host, int port, const rill_live_options *opts,
                    int *bound_port)
{
    listener *l;
    int rc;
    if (p != NULL && (port < 0 || port > 65535))
        return rill__misuse(p, RILL_EINVAL, "rill_listen_tcp: port %d; 0 (any) to 65535",
                            port);
    if ((rc = make(&l, p, "rill_listen_tcp", 1, host ? host : "", opts)) < 0)
        return rc;
    l->port = port;
    snprintf(l->who, sizeof(l->who), strchr(l->where, ':') ? "TCP listener [%.100s]:%d"
                                                            : "TCP listener %.100s:%d",
             host ? host : "*", port);
    if (bound_port)
        *bound_port = port;
    if ((rill_rank() == 0 && (rc = bind_tcp(l, host, port, bound_port)) < 0) ||
        (rc = rill_source_set(p, &tcp_source, l)) < 0) {
        listen_free(l);
        return rc;
    }
    return 0;
}

/* A socket file no listener answers on any more may be replaced. */
static int stale(const char *path)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), gone;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    gone = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
           errno == ECONNREFUSED;
    if (fd >= 0)
        close(fd);
    return gone;
}

static int bind_unix(listener *l)
{
    struct sockaddr_un sa;
    struct stat st;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(l->where) >= sizeof(sa.sun_path))
        return rill__error(RILL_EINVAL, "%s: the path is longer than %zu bytes", l->who,
                           sizeof(sa.sun_path) - 1);
    memcpy(sa.sun_path, l->where, strlen(l->where) + 1);
    if (lstat(l->where, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return rill__error(RILL_EEXISTS, "%s: the path exists and is not a socket",
                               l->who);
        if (!stale(l->where))
            return rill__error(RILL_EEXISTS, "%s: another listener is there", l->who);
        unlink(l->where);
    }
    if ((l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
        bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l->fd, 128) < 0 ||
        stat(l->where, &st) < 0)
        return rill__error(RILL_EIO, "%s: cannot listen: %s", l->who, strerror(errno));
    l->dev = st.st_dev;
    l->ino = st.st_ino;
    return 0;
}

int rill_listen_unix(rill_pipeline *p, const char *path, const rill_live_options *opts)
{
    listener *l;
    int rc;
    if (p != NULL && (path == NULL || path[0] == '\0'))
        return rill__misuse(p, RILL_EINVAL, "rill_listen_unix: no path given");
    if ((rc = make(&l, p, "rill_listen_unix", 0, path ? path : "", opts)) < 0)
        return rc;
    snprintf(l->who, sizeof(l->who), "Unix socket listener '%.150s'", path);
    if ((rill_rank() == 0 && (rc = bind_unix(l)) < 0) ||
        (rc = rill_source_set(p, &unix_source, l)) < 0) {
        listen_free(l);
        return rc;
    }
    return 0;
}
