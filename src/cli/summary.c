/* summary: --summary's table and --folded's stacks, from the events as
 * they are printed.
 *
 * Each track (a goroutine, else a thread) keeps the calls open on it; a
 * return ends the innermost open call of its function (those above it
 * never returned: a throw, a longjmp) and gives its time to the function's
 * row: total, self (less the traced calls made inside it), min, max. A
 * system call's row counts the calls that failed (a negative result). A
 * folded line is the open calls' names joined by ';' and the call's self
 * time in µs, summed per stack, as flame graph tools read them. */
#include "cli/cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/xalloc.h"

struct sum_row {
	char *name;
	bool syscall;
	uint64_t calls, errors, total, self, min, max;
};

struct sum_open {
	int64_t track;
	char *name;
	bool syscall;
	uint64_t t0, child;
};

struct sum_fold {
	char *stack;
	uint64_t ns;
};

struct summary {
	VEC(struct sum_row) rows;
	VEC(struct sum_open) open;
	VEC(struct sum_fold) folds;
};

static struct summary *state(struct printer *p)
{
	if (!p->summary_state)
		p->summary_state = xcalloc(1, sizeof(struct summary));
	return p->summary_state;
}

static struct sum_row *row(struct summary *s, const char *name, bool sc)
{
	struct sum_row r = {0};

	for (size_t i = 0; i < s->rows.len; i++)
		if (s->rows.items[i].syscall == sc &&
		    !strcmp(s->rows.items[i].name, name))
			return &s->rows.items[i];
	r.name = xstrdup(name);
	r.syscall = sc;
	r.min = UINT64_MAX;
	VEC_PUSH(&s->rows, r);
	return &s->rows.items[s->rows.len - 1];
}

/* The folded stack of open call i on its track: its callers' names first. */
static char *stack_of(struct summary *s, size_t i)
{
	struct strbuf sb = STRBUF_INIT;
	int64_t track = s->open.items[i].track;

	strbuf_init(&sb);
	for (size_t k = 0; k <= i; k++) {
		if (s->open.items[k].track != track)
			continue;
		if (sb.len)
			strbuf_addch(&sb, ';');
		strbuf_adds(&sb, s->open.items[k].name);
	}
	return strbuf_detach(&sb);
}

static void fold_add(struct summary *s, char *stack, uint64_t ns)
{
	for (size_t i = 0; i < s->folds.len; i++)
		if (!strcmp(s->folds.items[i].stack, stack)) {
			s->folds.items[i].ns += ns;
			free(stack);
			return;
		}
	VEC_PUSH(&s->folds, ((struct sum_fold){stack, ns}));
}

/* A failed system call: its result is -1 and an errno name. */
static bool failed(const struct api_tracepoint_result *ev)
{
	const char *v = ev->nreturn && ev->return_params[0].value
				? ev->return_params[0].value
				: NULL;

	return v && !strncmp(v, "-1", 2);
}

void summary_event(struct printer *p, const struct api_tracepoint_result *ev)
{
	struct summary *s = state(p);
	int64_t track;
	const char *name = ev->function_name ? ev->function_name : "?";

	if (ev->note || ev->signal)
		return;
	track = ev->goroutine_id >= 0 ? -ev->goroutine_id : ev->thread_id;
	if (!ev->is_ret) {
		struct sum_open o = {track, xstrdup(name), ev->is_syscall,
				     ev->time_ns, 0};

		VEC_PUSH(&s->open, o);
		return;
	}
	for (size_t i = s->open.len; i-- > 0;) {
		struct sum_open *o = &s->open.items[i];
		uint64_t dur, self;
		struct sum_row *r;

		if (o->track != track || o->syscall != ev->is_syscall ||
		    strcmp(o->name, name))
			continue;
		dur = ev->time_ns > o->t0 ? ev->time_ns - o->t0 : 0;
		self = dur > o->child ? dur - o->child : 0;
		r = row(s, name, ev->is_syscall);
		r->calls++;
		r->errors += ev->is_syscall && failed(ev);
		r->total += dur;
		r->self += self;
		if (dur < r->min)
			r->min = dur;
		if (dur > r->max)
			r->max = dur;
		if (p->folded)
			fold_add(s, stack_of(s, i), self);
		/* Its caller on this track spent dur in it. */
		for (size_t k = i; k-- > 0;)
			if (s->open.items[k].track == track) {
				s->open.items[k].child += dur;
				break;
			}
		/* It and the calls above it on this track (which never
		 * returned) are done. */
		for (size_t j = s->open.len; j-- > i;) {
			if (s->open.items[j].track != track)
				continue;
			free(s->open.items[j].name);
			memmove(&s->open.items[j], &s->open.items[j + 1],
				(s->open.len - j - 1) * sizeof(s->open.items[0]));
			s->open.len--;
		}
		return;
	}
}

static int by_total(const void *a, const void *b)
{
	const struct sum_row *x = a, *y = b;

	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void us(struct strbuf *sb, uint64_t ns)
{
	strbuf_addf(sb, " %12.3f", (double)ns / 1e3);
}

void summary_print(struct printer *p, FILE *out)
{
	struct summary *s = state(p);
	struct strbuf sb = STRBUF_INIT;

	qsort(s->rows.items, s->rows.len, sizeof(*s->rows.items), by_total);
	strbuf_init(&sb);
	strbuf_addf(&sb, "%-40s %8s %8s %12s %12s %12s %12s %12s\n",
		    "function (time in us)", "calls", "errors", "total", "self",
		    "avg", "min", "max");
	for (size_t i = 0; i < s->rows.len; i++) {
		const struct sum_row *r = &s->rows.items[i];
		char name[256];

		snprintf(name, sizeof(name), "%s%s", r->syscall ? "syscall " : "",
			 r->name);
		strbuf_addf(&sb, "%-40s %8" PRIu64 " %8" PRIu64, name, r->calls,
			    r->errors);
		us(&sb, r->total);
		us(&sb, r->self);
		us(&sb, r->calls ? r->total / r->calls : 0);
		us(&sb, r->calls ? r->min : 0);
		us(&sb, r->max);
		strbuf_addch(&sb, '\n');
	}
	fwrite(sb.buf, 1, sb.len, out);
	strbuf_release(&sb);
}

int summary_write_folded(struct printer *p, const char *path)
{
	struct summary *s = state(p);
	FILE *f = fopen(path, "we");
	int err = 0;

	if (!f)
		return -errno;
	for (size_t i = 0; i < s->folds.len; i++)
		fprintf(f, "%s %" PRIu64 "\n", s->folds.items[i].stack,
			(s->folds.items[i].ns + 500) / 1000);
	if (fclose(f) == EOF)
		err = -errno;
	return err;
}

void summary_release(struct printer *p)
{
	struct summary *s = p->summary_state;

	if (!s)
		return;
	for (size_t i = 0; i < s->rows.len; i++)
		free(s->rows.items[i].name);
	for (size_t i = 0; i < s->open.len; i++)
		free(s->open.items[i].name);
	for (size_t i = 0; i < s->folds.len; i++)
		free(s->folds.items[i].stack);
	VEC_FREE(&s->rows);
	VEC_FREE(&s->open);
	VEC_FREE(&s->folds);
	free(s);
	p->summary_state = NULL;
}
