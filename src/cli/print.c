/* How a trace event looks on stderr, as Delve prints it:
 *   > thread(4711): add(1, 2)
 *   >> thread(4711): add => (3)
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/strbuf.h"
#include "base/xalloc.h"

void printer_init(struct printer *p, FILE *out)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
}

void printer_release(struct printer *p)
{
	free(p->tids);
	p->tids = NULL;
	p->ntids = p->cap = 0;
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

static void add_values(struct strbuf *sb, const struct value *v, size_t n,
		       const char *sep)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_adds(sb, sep);
		value_format(&v[i], sb);
	}
}

void printer_event(struct printer *p, const struct api_tracepoint_result *ev)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_init(&sb);
	if (p->timestamp)
		add_timestamp(&sb, ev->time_ns);
	if (ev->goroutine_id >= 0)
		strbuf_addf(&sb, "%s goroutine(%lld): ", ev->is_ret ? ">>" : ">",
			    (long long)ev->goroutine_id);
	else
		strbuf_addf(&sb, "%s thread(%d): ", ev->is_ret ? ">>" : ">",
			    printer_thread_id(p, ev->thread_id));
	strbuf_adds(&sb, ev->function_name ? ev->function_name : "?");
	if (!ev->is_ret) {
		strbuf_addch(&sb, '(');
		add_values(&sb, ev->input_params, ev->ninput, ", ");
		strbuf_adds(&sb, ")\n");
	} else {
		strbuf_adds(&sb, " => (");
		add_values(&sb, ev->return_params, ev->nreturn, ",");
		strbuf_adds(&sb, ")\n");
	}
	fwrite(sb.buf, 1, sb.len, p->out);
	strbuf_release(&sb);
}
