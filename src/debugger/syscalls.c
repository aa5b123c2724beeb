/* syscalls: --syscalls events. The engine reports a matched system call
 * at its entry and exit on the stopped thread; here they become trace
 * events like a function's (the call's name, its arguments formatted by
 * the value layer from the call's prototype, its result), flagged as
 * system calls, in the same queue and order as the hits. */
#include "debugger/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "syscall/syscall.h"

/* The arguments are in the event, read as the registers the kernel took
 * them in; memory is the thread's. */
struct sc_ctx {
	const struct syscall_event *s;
};

static int sc_read_reg(void *ctx, int reg, void *buf, size_t len)
{
	static const int regs[6] = {5, 4, 1, 10, 8, 9};
	const struct sc_ctx *c = ctx;

	memset(buf, 0, len);
	for (int i = 0; i < 6; i++)
		if (regs[i] == reg) {
			memcpy(buf, &c->s->args[i], len < 8 ? len : 8);
			return 0;
		}
	return -EINVAL;
}

static int sc_read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct sc_ctx *c = ctx;

	return c->s->acc->read_mem(c->s->acc->ctx, addr, buf, len);
}

static struct value hex_value(const char *name, uint64_t x, uint32_t flags)
{
	struct value v = {0};

	v.name = xstrdup(name);
	v.type = xstrdup("unsigned long");
	v.value = xasprintf("%#" PRIx64, x);
	v.flags = flags | VF_C;
	return v;
}

static void entry_values(struct api_tracepoint_result *ev,
			 const struct syscall_event *s)
{
	const struct proto *p = syscall_proto(s->nr);
	struct sc_ctx c = {s};
	struct target_access acc = {.ctx = &c, .read_mem = sc_read_mem,
				    .read_reg = sc_read_reg};

	if (!p) {
		/* Known by name only: its registers, as strace shows an
		 * undecoded call. */
		ev->input_params = xcalloc(6, sizeof(struct value));
		for (int i = 0; i < 6; i++) {
			char name[8];

			snprintf(name, sizeof(name), "arg%d", i + 1);
			ev->input_params[i] =
				hex_value(name, s->args[i], VF_ARGUMENT);
		}
		ev->ninput = 6;
		return;
	}
	ev->input_params = xcalloc(p->nparams ? p->nparams : 1,
				   sizeof(struct value));
	for (size_t i = 0; i < p->nparams && i < 6; i++) {
		struct loc l;

		syscall_arg_loc((int)i, &l);
		value_load(&ev->input_params[i], p->names[i], p->params[i], &l,
			   &acc, &LOAD_SHORT);
		ev->input_params[i].flags |= VF_ARGUMENT;
		loc_release(&l);
	}
	ev->ninput = p->nparams;
	/* open's and openat's mode is read only with O_CREAT or O_TMPFILE
	 * (whatever the register holds otherwise): shown then only, as
	 * strace does. */
	if ((!strcmp(p->name, "open") || !strcmp(p->name, "openat")) &&
	    ev->ninput >= 2) {
		uint64_t fl = s->args[ev->ninput - 2];

		if (!(fl & 0100) && (fl & 020200000) != 020200000) {
			value_release(&ev->input_params[ev->ninput - 1]);
			ev->ninput--;
		}
	}
}

static void exit_value(struct api_tracepoint_result *ev,
		       const struct syscall_event *s)
{
	const struct proto *p = syscall_proto(s->nr);
	char *err = syscall_error_text(s->ret);
	struct value *v = xcalloc(1, sizeof(*v));

	ev->return_params = v;
	ev->nreturn = 1;
	if (err) {
		v->name = xstrdup("");
		v->type = xstrdup("long");
		v->value = err;
		v->flags = VF_RETURN | VF_C;
		return;
	}
	if (p && p->ret && (p->ret->kind == CT_INT || p->ret->kind == CT_ENUM ||
			    p->ret->kind == CT_PTR || p->ret->kind == CT_BOOL)) {
		struct sc_ctx c;
		struct syscall_event r = *s;
		struct target_access acc = {.ctx = &c, .read_mem = sc_read_mem,
					    .read_reg = sc_read_reg};
		struct loc l;

		/* The result as the first "register" of a copy. */
		r.args[0] = (uint64_t)s->ret;
		c.s = &r;
		syscall_arg_loc(0, &l);
		value_load(v, "", p->ret, &l, &acc, &LOAD_SHORT);
		v->flags |= VF_RETURN;
		loc_release(&l);
		return;
	}
	*v = hex_value("", (uint64_t)s->ret, VF_RETURN);
	if (!p || !p->ret || p->ret->kind == CT_INT) {
		free(v->value);
		v->value = xasprintf("%" PRId64, s->ret);
	}
}

void debugger_on_syscall(void *ctx, const struct syscall_event *s)
{
	struct debugger *d = ctx;
	struct api_tracepoint_result ev;
	const char *name = syscall_name(s->nr);

	memset(&ev, 0, sizeof(ev));
	ev.is_syscall = true;
	ev.is_ret = s->is_exit;
	ev.function_name = name ? xstrdup(name)
				: xasprintf("syscall_%d", s->nr);
	ev.goroutine_id = -1;
	ev.thread_id = s->tid;
	ev.time_ns = s->time_ns;
	ev.has_results = true;
	if (!s->is_exit)
		entry_values(&ev, s);
	else
		exit_value(&ev, s);
	debugger_enqueue(d, &ev);
}
