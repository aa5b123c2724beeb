/* How a trace event looks on stderr, as Delve prints it:
 *   > thread(4711): add(1, 2)
 *   >> thread(4711): add => (3)
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "base/strbuf.h"

/* --color: the arrow and thread of a call green, of a return cyan, of a
 * system call magenta; function names bold; signal lines yellow. */
#define COLOR_CALL "\033[32m"
#define COLOR_RETURN "\033[36m"
#define COLOR_SYSCALL "\033[35m"
#define COLOR_SIGNAL "\033[33m"
#define COLOR_NAME "\033[1m"
#define COLOR_OFF "\033[0m"
#include "base/xalloc.h"

void printer_init(struct printer *p, FILE *out)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->cwd = getcwd(NULL, 0);
}

void printer_release(struct printer *p)
{
	summary_release(p);
	if (p->format == FMT_CHROME)
		chrome_end(p);
	free(p->cwd);
	p->cwd = NULL;
	free(p->tids);
	p->tids = NULL;
	p->ntids = p->cap = 0;
	for (size_t i = 0; i < p->npending; i++)
		free(p->pending[i].fn);
	free(p->pending);
	p->pending = NULL;
	p->npending = p->pending_cap = 0;
	strbuf_release(&p->line);
}

/* Whose calls an event belongs to: its goroutine (a goroutine moves
 * between threads), else its thread. */
static int64_t flow_of(const struct api_tracepoint_result *ev)
{
	return ev->goroutine_id > 0 ? -ev->goroutine_id : ev->thread_id;
}

/* --durations: an entry waits for the return of the same function on the
 * same thread or goroutine; the innermost one matches (recursion). An
 * entry whose return never comes (longjmp, a recovered panic) is dropped
 * when an outer call of that thread returns past it. */
void printer_duration_enter(struct printer *p,
			    const struct api_tracepoint_result *ev)
{
	struct pending_call c = {.flow = flow_of(ev),
				 .fn = xstrdup(ev->function_name ? ev->function_name : ""),
				 .time_ns = ev->time_ns};

	xgrow((void **)&p->pending, &p->pending_cap, p->npending + 1,
	      sizeof(*p->pending));
	p->pending[p->npending++] = c;
}

/* The entry time of the call this return ends, or 0 when unknown. */
uint64_t printer_duration_leave(struct printer *p,
				const struct api_tracepoint_result *ev)
{
	const char *fn = ev->function_name ? ev->function_name : "";

	for (size_t i = p->npending; i-- > 0;) {
		struct pending_call *c = &p->pending[i];
		if (c->flow != flow_of(ev) || strcmp(c->fn, fn))
			continue;
		uint64_t t = c->time_ns;
		/* Drop it and this thread's entries above it (skipped). */
		size_t k = i;
		for (size_t j = i; j < p->npending; j++) {
			if (p->pending[j].flow == flow_of(ev)) {
				free(p->pending[j].fn);
				continue;
			}
			p->pending[k++] = p->pending[j];
		}
		p->npending = k;
		return t ? t : 1;
	}
	return 0;
}

/* Go's time.Duration text: 850ns, 1.234µs, 12.5ms, 1.5s. */
static void add_duration(struct strbuf *sb, uint64_t ns)
{
	static const struct { uint64_t unit; const char *name; } units[] = {
		{1000000000ull, "s"}, {1000000ull, "ms"}, {1000ull, "µs"},
	};
	char frac[16];

	for (size_t i = 0; i < 3; i++) {
		if (ns < units[i].unit)
			continue;
		int digits = i == 0 ? 9 : i == 1 ? 6 : 3;
		int len = snprintf(frac, sizeof(frac), "%0*llu", digits,
				   (unsigned long long)(ns % units[i].unit));
		while (len > 0 && frac[len - 1] == '0')
			frac[--len] = 0;
		strbuf_addf(sb, " <%llu%s%s%s>",
			    (unsigned long long)(ns / units[i].unit),
			    len ? "." : "", frac, units[i].name);
		return;
	}
	strbuf_addf(sb, " <%lluns>", (unsigned long long)ns);
}

int printer_thread_id(struct printer *p, int tid)
{
	if (!p->seq_ids)
		return tid;
	for (size_t i = 0; i < p->ntids; i++)
		if (p->tids[i] == tid)
			return (int)i + 1;
	xgrow((void **)&p->tids, &p->cap, p->ntids + 1, sizeof(*p->tids));
	p->tids[p->ntids++] = tid;
	return (int)p->ntids;
}

/* Go's time.RFC3339Nano: trailing zeros of the fraction dropped, the zone as
 * Z or ±hh:mm. */
static void add_timestamp(struct strbuf *sb, uint64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000ull);
	unsigned frac = (unsigned)(ns % 1000000000ull);
	struct tm tm;
	char buf[64], digits[16];
	long off;

	localtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	strbuf_adds(sb, buf);
	if (frac) {
		int len = snprintf(digits, sizeof(digits), "%09u", frac);
		while (len > 0 && digits[len - 1] == '0')
			digits[--len] = 0;
		strbuf_addf(sb, ".%s", digits);
	}
	off = tm.tm_gmtoff;
	if (!off) {
		strbuf_addch(sb, 'Z');
	} else {
		char sign = off < 0 ? '-' : '+';
		off = labs(off);
		strbuf_addf(sb, "%c%02ld:%02ld", sign, off / 3600,
			    (off % 3600) / 60);
	}
	strbuf_addch(sb, ' ');
}

/* Results, joined by "," as Delve does (no space). */
static void add_values(struct strbuf *sb, const struct value *v, size_t n,
		       int verbose)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_addch(sb, ',');
		value_format_trace(&v[i], verbose, sb);
	}
}

/* Arguments at a -v level, as Delve's printTracepoint: level 0 the values;
 * 1 and 2 "name: text"; 3 and 4 one "  name: text" a line, the first on
 * the line after the "(" and the ")" right after the last. */
static void add_args(struct strbuf *sb, const struct value *v, size_t n,
		     int verbose)
{
	if (verbose >= 3)
		strbuf_addch(sb, '\n');
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_adds(sb, verbose >= 3 ? "\n" : ", ");
		if (verbose >= 3)
			strbuf_adds(sb, "  ");
		if (verbose)
			strbuf_addf(sb, "%s: ", v[i].name ? v[i].name : "");
		value_format_trace(&v[i], verbose, sb);
	}
}

/* A source path as Delve shows it: below the working directory, as
 * ./path. */
static void add_path(struct strbuf *sb, const struct printer *p,
		     const char *file)
{
	size_t n = p->cwd ? strlen(p->cwd) : 0;

	if (n > 1 && !strncmp(file, p->cwd, n) && file[n] == '/')
		strbuf_addf(sb, ".%s", file + n);
	else
		strbuf_adds(sb, file);
}

/* --stack: as Delve's PrintStack, indented by two tabs, once per event. */
static void add_stack(struct strbuf *sb, const struct printer *p,
		      const struct api_tracepoint_result *ev)
{
	int width = 1;

	if (!ev->nstack)
		return;
	for (size_t n = ev->nstack - 1; n >= 10; n /= 10)
		width++;
	/* Delve's printTracepoint leaves a blank line after an entry's line
	 * only when it knows the function has results, which it checks at
	 * -v 0 only (its ShortLoadConfig); otherwise "\tStack:" follows
	 * the line directly. */
	if (!ev->is_ret && ev->has_results && !p->verbose)
		strbuf_addch(sb, '\n');
	strbuf_adds(sb, "\tStack:\n");
	for (size_t i = 0; i < ev->nstack; i++) {
		const struct api_frame *f = &ev->stack[i];

		strbuf_addf(sb, "\t\t%*zu  0x%016llx in %s\n", width, i,
			    (unsigned long long)f->pc,
			    f->function ? f->function : "?");
		/* Delve indents it by its index width + 2 + its prefix's
		 * length (two tabs). */
		strbuf_addf(sb, "\t\t%*sat ", width + 4, "");
		add_path(sb, p, f->file ? f->file : "?");
		strbuf_addf(sb, ":%d\n", f->line);
	}
	if (ev->stack_truncated)
		strbuf_adds(sb, "\t\t(truncated)\n");
}

struct strbuf *printer_line(struct printer *p)
{
	if (!p->line.buf)
		strbuf_init(&p->line);
	strbuf_reset(&p->line);
	return &p->line;
}

void printer_event(struct printer *p, const struct api_tracepoint_result *ev)
{
	/* One line buffer for every event, grown once: a heap block per
	 * line cost more than formatting it. */
	struct strbuf *sb = &p->line;

	if (p->summary || p->folded)
		summary_event(p, ev);
	if (p->summary_only && !ev->note)
		return;
	if (p->format == FMT_JSON) {
		json_event(p, ev);
		return;
	}
	if (p->format == FMT_CHROME) {
		chrome_event(p, ev);
		return;
	}
	/* Not a call: the engine's word on how it serves the trace. */
	if (ev->note) {
		if (!p->notes_off)
			fprintf(p->out, "tinydbg: note: %s\n", ev->note);
		return;
	}
	strbuf_reset(sb);
	if (p->timestamp)
		add_timestamp(sb, ev->time_ns);
	/* --signals: strace's line, and the handler that runs it. */
	if (ev->signal) {
		if (p->color)
			strbuf_adds(sb, COLOR_SIGNAL);
		if (p->proc)
			strbuf_addf(sb, "--- thread(%d/%d): %s", p->proc,
				    printer_thread_id(p, ev->thread_id),
				    ev->signal);
		else
			strbuf_addf(sb, "--- thread(%d): %s",
				    printer_thread_id(p, ev->thread_id),
				    ev->signal);
		if (ev->handler)
			strbuf_addf(sb, " handler %s", ev->handler);
		strbuf_adds(sb, " ---");
		if (p->color)
			strbuf_adds(sb, COLOR_OFF);
		strbuf_addch(sb, '\n');
		fwrite(sb->buf, 1, sb->len, p->out);
		return;
	}
	/* --follow-calls: indented by depth - 1, "frame(depth)" after the
	 * goroutine or thread, as Delve prints it. */
	if (ev->depth > 0)
		strbuf_addf(sb, "%*s", ev->depth - 1, "");
	if (p->color)
		strbuf_adds(sb, ev->is_syscall ? COLOR_SYSCALL
			    : ev->is_ret ? COLOR_RETURN : COLOR_CALL);
	if (ev->goroutine_id >= 0 && p->proc)
		strbuf_addf(sb, "%s goroutine(%d/%lld):",
			    ev->is_ret ? ">>" : ">", p->proc,
			    (long long)ev->goroutine_id);
	else if (ev->goroutine_id >= 0)
		strbuf_addf(sb, "%s goroutine(%lld):", ev->is_ret ? ">>" : ">",
			    (long long)ev->goroutine_id);
	else if (p->proc)
		strbuf_addf(sb, "%s thread(%d/%d):", ev->is_ret ? ">>" : ">",
			    p->proc, printer_thread_id(p, ev->thread_id));
	else
		strbuf_addf(sb, "%s thread(%d):", ev->is_ret ? ">>" : ">",
			    printer_thread_id(p, ev->thread_id));
	if (ev->depth > 0)
		strbuf_addf(sb, "frame(%d)", ev->depth);
	if (p->color)
		strbuf_adds(sb, COLOR_OFF);
	strbuf_addch(sb, ' ');
	if (ev->is_syscall)
		strbuf_adds(sb, "syscall ");
	if (p->color)
		strbuf_adds(sb, COLOR_NAME);
	strbuf_adds(sb, ev->function_name ? ev->function_name : "?");
	if (p->color)
		strbuf_adds(sb, COLOR_OFF);
	if (!ev->is_ret) {
		if (p->durations)
			printer_duration_enter(p, ev);
		strbuf_addch(sb, '(');
		add_args(sb, ev->input_params, ev->ninput, p->verbose);
		strbuf_adds(sb, ")\n");
	} else {
		strbuf_adds(sb, " => (");
		add_values(sb, ev->return_params, ev->nreturn, p->verbose);
		strbuf_addch(sb, ')');
		if (p->durations) {
			uint64_t t0 = printer_duration_leave(p, ev);
			if (t0)
				add_duration(sb, ev->time_ns > t0 ?
							  ev->time_ns - t0 : 0);
		}
		strbuf_addch(sb, '\n');
	}
	add_stack(sb, p, ev);
	fwrite(sb->buf, 1, sb->len, p->out);
}

void printer_lost(struct printer *p, uint64_t n)
{
	p->lost += n;
	if (p->format == FMT_CHROME) {
		char buf[64];

		snprintf(buf, sizeof(buf), "lost %llu events",
			 (unsigned long long)n);
		chrome_lost(p, buf);
	} else if (p->format == FMT_JSON)
		json_lost(p, n, false);
	else
		fprintf(p->out, "tinydbg: lost %llu events\n",
			(unsigned long long)n);
}

void printer_lost_total(struct printer *p)
{
	if (!p->lost || p->format == FMT_CHROME)
		return;
	if (p->format == FMT_JSON)
		json_lost(p, p->lost, true);
	else
		fprintf(p->out, "tinydbg: lost %llu events in all (the ring "
			"buffer was full: a larger --ebpf-ring keeps more)\n",
			(unsigned long long)p->lost);
}

void printer_end(struct printer *p, int pid, bool exited, int status,
		 int signo, bool launched)
{
	const char *name = signo ? sigabbrev_np(signo) : NULL;

	if (p->format == FMT_CHROME) {
		char buf[96];

		if (signo)
			snprintf(buf, sizeof(buf), "process %d killed by SIG%s",
				 pid, name ? name : "?");
		else if (exited)
			snprintf(buf, sizeof(buf),
				 "process %d exited with status %d", pid,
				 status);
		else
			snprintf(buf, sizeof(buf), "process %d %s", pid,
				 launched ? "killed" : "detached");
		chrome_instant(p, buf);
	} else if (p->format == FMT_JSON)
		json_end(p, pid, exited, status, signo, launched);
	else if (signo)
		fprintf(p->out, "Process %d was killed by signal SIG%s\n", pid,
			name ? name : "?");
	else if (exited)
		fprintf(p->out, "Process %d has exited with status %d\n", pid,
			status);
	else
		fprintf(p->out, "Process %d has been %s\n", pid,
			launched ? "killed" : "detached");
}
