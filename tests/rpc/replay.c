/* replay: drives the server through its protocol from transcript files.
 *
 *	replay [--target PROG [ARGS...] --] FILE.rpc...
 *
 * A transcript is a list of lines:
 *	# comment
 *	C> bytes          sent to the server as they are, plus "\n" (they may
 *	                  be malformed JSON: that is the point)
 *	S> {json}         an answer expected, found by its "id" among the
 *	                  answers received (they may come out of order), and
 *	                  compared whole: same keys, same values; the string
 *	                  "*" in the expected text matches any value
 *	S> EOF            the server closes the connection
 *	SLEEP ms
 *	SEND text         text sent as it is, with no "\n"
 *	REPEAT n text     text sent n times, with no "\n" (a huge request,
 *	                  deep nesting), write errors ignored
 *	SHUT              the client shuts its sending side (a request cut)
 *	RECONNECT         the client closes and connects again (--socket: the
 *	                  server is multiclient): it is still serving
 *	MAXRSS_MB n       the process (server included) has never held more
 *	                  than n MB
 * A string "$name" in an S> line matches any value the first time and
 * binds name to it (then only that value); "$name" in a later C> line is
 * replaced by the bound value's JSON text, and so is "$name" inside a
 * longer expected string. So a request can use what an answer gave, e.g. a
 * return address: S> {"Addrs":["$ret"]}, then C> {..."addr":$ret...}.
 * Bindings last until the end of the file.
 * Each file gets its own server (server_start_local) and must end with the
 * server gone within a few seconds: a hang is a failure. With --socket
 * (before --target), the server is a headless one instead: it listens on a
 * unix socket (server_listen_run, --accept-multiclient), checks the peer
 * and treats it as a remote client (capped requests, stall timeouts).
 *
 * Built against the real debugger by `make build/replay`, and run by
 * tests/e2e/rpc.sh against tests/fixtures/c/rpc_target.c, whose answers
 * the transcripts spell out:
 *	build/replay --target PROG -- tests/rpc/NAME.rpc...
 * or, to test the protocol layer alone, against the fake debugger below:
 *	cc -DREPLAY_FAKE_DEBUGGER -Isrc -D_GNU_SOURCE -o /tmp/replay \
 *		tests/rpc/replay.c src/server/server.c src/rpc/conn.c \
 *		src/rpc/msg.c src/rpc/wire.c src/api/api.c src/base/errbuf.c \
 *		src/base/strbuf.c src/base/xalloc.c \
 *		$(pkg-config --cflags --libs json-c) -lpthread
 * (the fake answers like the real backend only roughly: the protocol-level
 * transcripts, basics and close_*, pass against it; the others do not). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/xalloc.h"
#include "debugger/debugger.h"
#include "rpc/conn.h"
#include "rpc/transport.h"
#include "server/server.h"

#ifdef REPLAY_FAKE_DEBUGGER
/* A debugger that owns no process: pid 4242, functions add, fib, main;
 * continue runs until halted or detached, and queues one event. */
struct debugger {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool running, halt, detached;
	int next_id;
	int queued;
};

int debugger_new(struct debugger **out, const struct debugger_config *cfg,
		 struct errbuf *eb)
{
	struct debugger *d;

	if (cfg->argv && !strcmp(cfg->argv[0], "/nonexistent"))
		return errbuf_set(eb, -ENOENT, "no such file %s", cfg->argv[0]);
	d = xcalloc(1, sizeof(*d));
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	d->next_id = 1;
	*out = d;
	return 0;
}

void debugger_free(struct debugger *d)
{
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	free(d);
}

pid_t debugger_pid(const struct debugger *d) { return 4242; }
bool debugger_has_dwarf(const struct debugger *d) { return true; }

static const char *fake_funcs[] = { "add", "fib", "main" };

int debugger_list_functions(struct debugger *d, const char *filter,
			    int follow_calls, char ***names, size_t *n,
			    struct errbuf *eb)
{
	*names = NULL;
	*n = 0;
	if (strchr(filter, '['))
		return errbuf_set(eb, -EINVAL,
				  "error parsing regexp: missing closing ]");
	for (size_t i = 0; i < 3; i++) {
		if (!strstr(fake_funcs[i], filter))
			continue;
		*names = xrealloc(*names, (*n + 1) * sizeof(char *));
		(*names)[(*n)++] = xstrdup(fake_funcs[i]);
	}
	return 0;
}

int debugger_list_inlined(struct debugger *d, const char *filter,
			  char ***names, size_t *n, struct errbuf *eb)
{
	*names = NULL;
	*n = 0;
	return 0;
}

int debugger_create_breakpoint(struct debugger *d,
			       const struct api_breakpoint *req,
			       struct api_breakpoint *out, struct errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	if (!req->addr && strcmp(req->function_name, "add"))
		return errbuf_set(eb, -ENOENT, "could not find function %s",
				  req->function_name);
	out->id = d->next_id++;
	out->addr = req->addr ? req->addr : 0x401000;
	out->addrs = xmalloc(sizeof(uint64_t));
	out->addrs[0] = out->addr;
	out->naddrs = 1;
	out->file = xstrdup("add.c");
	out->line = 3;
	out->function_name = xstrdup("add");
	out->tracepoint = req->tracepoint;
	out->trace_return = req->trace_return;
	out->load_args = req->load_args;
	return 0;
}

int debugger_return_locations(struct debugger *d, const char *fn,
			      uint64_t **addrs, size_t *n, struct errbuf *eb)
{
	if (strcmp(fn, "add"))
		return errbuf_set(eb, -ENOENT, "could not find function %s", fn);
	*addrs = xmalloc(2 * sizeof(uint64_t));
	(*addrs)[0] = 0x401020;
	(*addrs)[1] = 0x401030;
	*n = 2;
	return 0;
}

void debugger_state(struct debugger *d, struct api_state *st)
{
	pthread_mutex_lock(&d->mu);
	memset(st, 0, sizeof(*st));
	st->pid = 4242;
	st->running = d->running;
	st->exited = d->detached;
	pthread_mutex_unlock(&d->mu);
}

int debugger_continue(struct debugger *d, struct api_state *st,
		      struct errbuf *eb)
{
	pthread_mutex_lock(&d->mu);
	if (d->running) {
		pthread_mutex_unlock(&d->mu);
		return errbuf_set(eb, -EBUSY, "the target is running");
	}
	d->running = true;
	d->halt = false;
	d->queued++;
	pthread_cond_broadcast(&d->cv);
	while (!d->halt && !d->detached)
		pthread_cond_wait(&d->cv, &d->mu);
	d->running = false;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	debugger_state(d, st);
	return 0;
}

void debugger_halt(struct debugger *d)
{
	pthread_mutex_lock(&d->mu);
	d->halt = true;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

int debugger_detach(struct debugger *d, bool kill, struct errbuf *eb)
{
	pthread_mutex_lock(&d->mu);
	d->detached = true;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	return 0;
}

/* Never forks: the replayed transcripts have none. */
size_t debugger_take_forked(struct debugger *d, int **pids)
{
	(void)d;
	*pids = NULL;
	return 0;
}

size_t debugger_take_events(struct debugger *d, int wait_ms,
			    struct api_tracepoint_result **out,
			    uint64_t *lost)
{
	struct timespec ts;
	size_t n;

	*lost = 0;
	*out = NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += wait_ms / 1000;
	ts.tv_nsec += (wait_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&d->mu);
	while (!d->queued && d->running &&
	       pthread_cond_timedwait(&d->cv, &d->mu, &ts) == 0)
		;
	n = (size_t)d->queued;
	d->queued = 0;
	pthread_mutex_unlock(&d->mu);
	if (!n)
		return 0;
	*out = xcalloc(n, sizeof(**out));
	for (size_t i = 0; i < n; i++) {
		struct api_tracepoint_result *r = &(*out)[i];

		r->addr = 0x401000;
		r->file = xstrdup("add.c");
		r->line = 3;
		r->function_name = xstrdup("add");
		r->goroutine_id = -1;
		r->thread_id = 4242;
		r->ninput = 1;
		r->input_params = xcalloc(1, sizeof(struct value));
		r->input_params[0].name = xstrdup("a");
		r->input_params[0].type = xstrdup("int");
		r->input_params[0].kind = VK_INT;
		r->input_params[0].flags = VF_ARGUMENT | VF_C;
		r->input_params[0].value = xstrdup("1");
	}
	return n;
}

void value_release(struct value *v)
{
	for (size_t i = 0; i < v->nchildren; i++)
		value_release(&v->children[i]);
	free(v->children);
	free(v->name);
	free(v->type);
	free(v->value);
	free(v->unreadable);
	memset(v, 0, sizeof(*v));
}
#endif

/* The "$name" bindings of the file being played. */
#define MAX_VARS 32
static struct var {
	char *name;
	struct json_object *v;
} vars[MAX_VARS];
static size_t nvars;

static struct var *var_find(const char *name, size_t len)
{
	for (size_t i = 0; i < nvars; i++)
		if (strlen(vars[i].name) == len &&
		    !strncmp(vars[i].name, name, len))
			return &vars[i];
	return NULL;
}

/* Forgets the bindings from the n-th on. */
static void vars_drop(size_t n)
{
	while (nvars > n) {
		nvars--;
		free(vars[nvars].name);
		json_object_put(vars[nvars].v);
	}
}

static bool var_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_';
}

/* Replaces each $name of src by its value's JSON text; NULL (with the
 * name in *bad) when one is unbound. */
static char *vars_subst(const char *src, char *bad, size_t badsz)
{
	size_t cap = strlen(src) + 1, len = 0;
	char *out = xmalloc(cap);

	while (*src) {
		const char *text;
		struct var *v;
		size_t n = 0, tl;

		if (*src != '$' || !var_name_char(src[1])) {
			out[len++] = *src++;
			continue;
		}
		while (var_name_char(src[1 + n]))
			n++;
		v = var_find(src + 1, n);
		if (!v) {
			snprintf(bad, badsz, "%.*s", (int)n, src + 1);
			free(out);
			return NULL;
		}
		text = json_object_to_json_string_ext(v->v,
						      JSON_C_TO_STRING_PLAIN);
		tl = strlen(text);
		cap += tl;
		out = xrealloc(out, cap);
		memcpy(out + len, text, tl);
		len += tl;
		src += 1 + n;
	}
	out[len] = 0;
	return out;
}

/* exp matches got: same shape, "*" matches anything, "$name" binds. */
static bool match(struct json_object *exp, struct json_object *got)
{
	enum json_type t = json_object_get_type(exp);

	if (t == json_type_string && !strcmp(json_object_get_string(exp), "*"))
		return true;
	if (t == json_type_string && json_object_get_string(exp)[0] == '$' &&
	    json_object_get_string(exp)[1]) {
		const char *name = json_object_get_string(exp) + 1;
		struct var *v = var_find(name, strlen(name));

		if (v)
			return json_object_equal(v->v, got);
		if (nvars == MAX_VARS)
			return false;
		vars[nvars].name = xstrdup(name);
		vars[nvars++].v = json_object_get(got);
		return true;
	}
	if (t == json_type_string && strchr(json_object_get_string(exp), '$') &&
	    json_object_is_type(got, json_type_string)) {
		/* "Process $pid has exited": bound values, as text. */
		char bad[64], *want = vars_subst(json_object_get_string(exp),
						 bad, sizeof(bad));
		bool same = want && !strcmp(want, json_object_get_string(got));

		free(want);
		return same;
	}
	if (t != json_object_get_type(got))
		return false;
	if (t == json_type_object) {
		if (json_object_object_length(exp) !=
		    json_object_object_length(got))
			return false;
		json_object_object_foreach(exp, k, ev) {
			struct json_object *gv;

			if (!json_object_object_get_ex(got, k, &gv) ||
			    !match(ev, gv))
				return false;
		}
		return true;
	}
	if (t == json_type_array) {
		size_t n = json_object_array_length(exp);

		if (n != json_object_array_length(got))
			return false;
		for (size_t i = 0; i < n; i++)
			if (!match(json_object_array_get_idx(exp, i),
				   json_object_array_get_idx(got, i)))
				return false;
		return true;
	}
	return json_object_equal(exp, got);
}

static struct json_object *id_of(struct json_object *o)
{
	struct json_object *id = NULL;

	json_object_object_get_ex(o, "id", &id);
	return id;
}

static int failures;

static void fail(const char *file, int line, const char *fmt, const char *a,
		 const char *b)
{
	failures++;
	fprintf(stderr, "%s:%d: FAIL: ", file, line);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
}

/* --socket: a headless server, on a thread. */
static bool socket_mode;
static volatile sig_atomic_t headless_stop;

struct headless {
	struct debugger *d;
	int lfd;
	char addr[128];
	pthread_t thread;
};

static void *headless_main(void *arg)
{
	struct headless *h = arg;
	struct server_listen_opts lo = { .multiclient = true,
					 .stop = &headless_stop };
	struct errbuf eb;

	server_listen_run(h->d, h->lfd, &lo, &eb);
	return NULL;
}

static int headless_start(struct headless *h, struct debugger_config *cfg,
			  struct errbuf *eb)
{
	static int n;
	char bound[160];
	int err;

	snprintf(h->addr, sizeof(h->addr), "unix:/tmp/replay-%d-%d.sock",
		 (int)getpid(), n++);
	err = debugger_new(&h->d, cfg, eb);
	if (err)
		return err;
	h->lfd = transport_listen(h->addr, false, "", NULL, bound,
				  sizeof(bound), eb);
	if (h->lfd < 0) {
		debugger_free(h->d);
		return h->lfd;
	}
	headless_stop = 0;
	pthread_create(&h->thread, NULL, headless_main, h);
	return transport_dial(h->addr, eb);
}

static void headless_end(struct headless *h)
{
	headless_stop = 1;
	pthread_join(h->thread, NULL);
	close(h->lfd);
	unlink(h->addr + strlen("unix:"));
	debugger_free(h->d);
}

static long max_rss_mb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6))
			kb = atol(line + 6);
	if (f)
		fclose(f);
	return kb / 1024;
}

static void run(const char *path, char *const *target)
{
	struct debugger_config cfg = { .argv = target };
	struct json_object *got[256];
	size_t ngot = 0;
	struct server *srv = NULL;
	struct headless h;
	struct errbuf eb;
	struct conn *c;
	static char line[1 << 20];
	int fd, lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		fail(path, 0, "%s%s", "cannot open", "");
		return;
	}
	if (socket_mode) {
		fd = headless_start(&h, &cfg, &eb);
		if (fd < 0) {
			fail(path, 0, "headless server: %s%s", eb.msg, "");
			fclose(f);
			return;
		}
	} else if (server_start_local(&cfg, &fd, &srv, &eb)) {
		fail(path, 0, "server_start_local: %s%s", eb.msg, "");
		fclose(f);
		return;
	}
	c = conn_new(fd);
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		lineno++;
		while (len && line[len - 1] == '\n')
			line[--len] = 0;
		if (!len || line[0] == '#')
			continue;
		if (!strncmp(line, "SLEEP ", 6)) {
			usleep((useconds_t)atoi(line + 6) * 1000);
		} else if (!strncmp(line, "REPEAT ", 7)) {
			long n = atol(line + 7);
			const char *text = strchr(line + 7, ' ');
			size_t tl = text ? strlen(++text) : 0, fill = 0;
			char *buf = xmalloc(65536 + tl);

			for (long i = 0; i < n && tl; i++) {
				memcpy(buf + fill, text, tl);
				fill += tl;
				if (fill >= 65536 || i == n - 1) {
					if (write(fd, buf, fill) < 0)
						break;
					fill = 0;
				}
			}
			free(buf);
		} else if (!strncmp(line, "SEND ", 5)) {
			if (write(fd, line + 5, strlen(line + 5)) < 0) {
				/* the S> lines judge */
			}
		} else if (!strcmp(line, "SHUT")) {
			shutdown(fd, SHUT_WR);
		} else if (!strcmp(line, "RECONNECT")) {
			if (!socket_mode) {
				fail(path, lineno, "RECONNECT needs --socket%s%s", "", "");
				continue;
			}
			conn_free(c);
			close(fd);
			for (size_t i = 0; i < ngot; i++)
				json_object_put(got[i]);
			ngot = 0;
			fd = transport_dial(h.addr, &eb);
			if (fd < 0) {
				fail(path, lineno, "cannot connect again: %s%s",
				     eb.msg, "");
				fd = open("/dev/null", O_RDWR);
			}
			c = conn_new(fd);
		} else if (!strncmp(line, "MAXRSS_MB ", 10)) {
			long mb = max_rss_mb();

			if (mb > atol(line + 10)) {
				char got_mb[32];

				snprintf(got_mb, sizeof(got_mb), "%ld", mb);
				fail(path, lineno, "the process held %s MB, more than %s",
				     got_mb, line + 10);
			}
		} else if (!strncmp(line, "C> ", 3)) {
			char bad[64], *req = vars_subst(line + 3, bad,
							sizeof(bad));
			size_t rl;

			if (!req) {
				fail(path, lineno, "$%s is not bound%s", bad,
				     "");
				continue;
			}
			/* A server that has closed (on purpose, after
			 * garbage) makes this fail: the S> lines judge. */
			rl = strlen(req);
			req = xrealloc(req, rl + 2);
			req[rl] = '\n';
			if (write(fd, req, rl + 1) < 0) {
				free(req);
				continue;
			}
			free(req);
		} else if (!strcmp(line, "S> EOF")) {
			struct json_object *v;
			int r;

			/* Longer than the server's stall timeout (5 s). */
			while ((r = conn_read(c, 10000, &v, &eb)) == 1)
				json_object_put(v);
			if (r != 0)
				fail(path, lineno, "expected EOF, got %s%s",
				     eb.msg, "");
		} else if (!strncmp(line, "S> ", 3)) {
			struct json_object *exp = json_tokener_parse(line + 3);
			struct json_object *v = NULL;
			size_t i, bound = nvars;

			if (!exp) {
				fail(path, lineno, "bad expected JSON%s%s", "", "");
				continue;
			}
			for (;;) {
				for (i = 0; i < ngot; i++)
					if (json_object_equal(id_of(exp),
							      id_of(got[i])))
						break;
				if (i < ngot) {
					v = got[i];
					got[i] = got[--ngot];
					break;
				}
				if (conn_read(c, 5000, &v, &eb) != 1) {
					v = NULL;
					break;
				}
				if (ngot < 256)
					got[ngot++] = v;
				v = NULL;
			}
			if (!v) {
				fail(path, lineno, "no answer like %s (%s)",
				     line + 3, eb.msg);
			} else if (!match(exp, v)) {
				vars_drop(bound);
				fail(path, lineno, "got %s\n   want %s",
				     json_object_to_json_string(v), line + 3);
			}
			json_object_put(v);
			json_object_put(exp);
		} else {
			fail(path, lineno, "bad line %s%s", line, "");
		}
	}
	fclose(f);
	for (size_t i = 0; i < ngot; i++) {
		fail(path, lineno, "answer not expected: %s%s",
		     json_object_to_json_string(got[i]), "");
		json_object_put(got[i]);
	}
	vars_drop(0);
	conn_free(c);
	close(fd);
	if (socket_mode)
		headless_end(&h);
	else
		server_wait(srv);
}

static void on_alarm(int sig)
{
	static const char msg[] = "replay: the server hangs\n";

	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(2);
}

int main(int argc, char **argv)
{
	char *fake_target[] = { "fake", NULL };
	char **target = fake_target;
	int i = 1, n = 0;

	if (argc > 1 && !strcmp(argv[1], "--socket")) {
		socket_mode = true;
		argv++;
		argc--;
	}
	if (argc > 2 && !strcmp(argv[1], "--target")) {
		target = argv + 2;
		for (i = 2; i < argc && strcmp(argv[i], "--"); i++)
			;
		if (i < argc)
			argv[i++] = NULL;
	}
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	for (; i < argc; i++, n++) {
		alarm(30);
		run(argv[i], target);
	}
	alarm(0);
	printf("%d transcripts, %d failures\n", n, failures);
	return failures ? 1 : 0;
}
