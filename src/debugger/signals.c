/* signals: --signals' events. The engine reports each signal's delivery
 * on the stopped thread; here it becomes a line's worth of text, as strace
 * shows a signal ("SIGUSR1 {si_code=SI_USER, si_pid=4700, si_uid=0}"),
 * and the handler that runs it by name, queued in order with the hits. */
#include "debugger/internal.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/xalloc.h"

struct code_name {
	int sig, code; /* sig 0: any signal */
	const char *name;
};

static const struct code_name codes[] = {
	{0, SI_USER, "SI_USER"},       {0, SI_KERNEL, "SI_KERNEL"},
	{0, SI_QUEUE, "SI_QUEUE"},     {0, SI_TIMER, "SI_TIMER"},
	{0, SI_MESGQ, "SI_MESGQ"},     {0, SI_ASYNCIO, "SI_ASYNCIO"},
	{0, SI_SIGIO, "SI_SIGIO"},     {0, SI_TKILL, "SI_TKILL"},
	{SIGSEGV, SEGV_MAPERR, "SEGV_MAPERR"},
	{SIGSEGV, SEGV_ACCERR, "SEGV_ACCERR"},
	{SIGBUS, BUS_ADRALN, "BUS_ADRALN"}, {SIGBUS, BUS_ADRERR, "BUS_ADRERR"},
	{SIGBUS, BUS_OBJERR, "BUS_OBJERR"},
	{SIGILL, ILL_ILLOPC, "ILL_ILLOPC"}, {SIGILL, ILL_ILLOPN, "ILL_ILLOPN"},
	{SIGILL, ILL_ILLADR, "ILL_ILLADR"}, {SIGILL, ILL_ILLTRP, "ILL_ILLTRP"},
	{SIGILL, ILL_PRVOPC, "ILL_PRVOPC"}, {SIGILL, ILL_PRVREG, "ILL_PRVREG"},
	{SIGFPE, FPE_INTDIV, "FPE_INTDIV"}, {SIGFPE, FPE_INTOVF, "FPE_INTOVF"},
	{SIGFPE, FPE_FLTDIV, "FPE_FLTDIV"}, {SIGFPE, FPE_FLTOVF, "FPE_FLTOVF"},
	{SIGFPE, FPE_FLTUND, "FPE_FLTUND"}, {SIGFPE, FPE_FLTRES, "FPE_FLTRES"},
	{SIGFPE, FPE_FLTINV, "FPE_FLTINV"}, {SIGFPE, FPE_FLTSUB, "FPE_FLTSUB"},
	{SIGCHLD, CLD_EXITED, "CLD_EXITED"}, {SIGCHLD, CLD_KILLED, "CLD_KILLED"},
	{SIGCHLD, CLD_DUMPED, "CLD_DUMPED"}, {SIGCHLD, CLD_TRAPPED, "CLD_TRAPPED"},
	{SIGCHLD, CLD_STOPPED, "CLD_STOPPED"},
	{SIGCHLD, CLD_CONTINUED, "CLD_CONTINUED"},
	{SIGTRAP, TRAP_BRKPT, "TRAP_BRKPT"}, {SIGTRAP, TRAP_TRACE, "TRAP_TRACE"},
};

static void add_code(struct strbuf *sb, int sig, int code)
{
	/* A positive code is the signal's own (SEGV_MAPERR); zero and
	 * below, and SI_KERNEL, are any signal's. */
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code &&
		    (codes[i].sig == 0 ? code <= 0 || code == SI_KERNEL
				       : codes[i].sig == sig)) {
			strbuf_adds(sb, codes[i].name);
			return;
		}
	strbuf_addf(sb, "%d", code);
}

static char *signal_text(const struct signal_event *s)
{
	struct strbuf sb = STRBUF_INIT;
	const char *name = sigabbrev_np(s->signo);
	bool fault = (s->signo == SIGSEGV || s->signo == SIGBUS ||
		      s->signo == SIGILL || s->signo == SIGFPE) &&
		     s->code > 0 && s->code != SI_KERNEL;

	if (name)
		strbuf_addf(&sb, "SIG%s {si_code=", name);
	else
		strbuf_addf(&sb, "SIG%d {si_code=", s->signo);
	add_code(&sb, s->signo, s->code);
	if (fault) {
		if (s->addr)
			strbuf_addf(&sb, ", si_addr=%#" PRIx64, s->addr);
		else
			strbuf_adds(&sb, ", si_addr=NULL");
	} else if (s->code <= 0 || s->signo == SIGCHLD) {
		strbuf_addf(&sb, ", si_pid=%d, si_uid=%u", (int)s->pid,
			    (unsigned)s->uid);
		if (s->signo == SIGCHLD)
			strbuf_addf(&sb, ", si_status=%d", s->status);
	}
	strbuf_addch(&sb, '}');
	return strbuf_detach(&sb);
}

void debugger_on_signal(void *ctx, const struct signal_event *s)
{
	struct debugger *d = ctx;
	struct api_tracepoint_result ev;

	memset(&ev, 0, sizeof(ev));
	ev.signal = signal_text(s);
	ev.function_name = xstrdup("");
	ev.goroutine_id = -1;
	ev.thread_id = s->tid;
	ev.time_ns = s->time_ns;
	if (s->handler) {
		struct module *mod = module_at(d, s->handler);
		const struct func *fn =
			mod ? symtab_func_at(mod->st, s->handler - mod->bias)
			    : NULL;

		ev.handler = fn ? xstrdup(fn->name)
				: xasprintf("%#" PRIx64, s->handler);
	}
	debugger_enqueue(d, &ev);
}
