/* plan: a tracepoint's capture plan — everything debugger_on_hit reads at
 * a hit of it, as ops an engine that does not stop the thread runs there
 * (capture/capture.h): the values it loads, the return address (callers
 * with --follow-calls, IFUNC call sites), the goroutine, an indirect
 * call's operand, the stack for --stack. */
#include "debugger/internal.h"

#include <errno.h>
#include <stdlib.h>

#include "capture/capture.h"

/* Bytes above the stack pointer always copied: the return address sits at
 * cfa_off - 8, and a few more cost nothing. */
#define PLAN_WINDOW 64
/* --stack: the top of the stack the unwinder walks; it ends "(truncated)"
 * where the copy does. It starts at the red zone below the stack pointer:
 * at a ret, gcc's CFI still says the caller's rbp is saved at CFA - 16,
 * below rsp once it is popped, and the unwinder reads it there. */
#define PLAN_STACK (16 * 1024)
#define PLAN_REDZONE 128

/* goroutine_of (events.c) from g in r14: the g's span, then m->curg->goid
 * for a goroutine on a system stack. g from TLS (fs_base) is beyond a
 * plan. */
static int plan_goroutine(struct cap_plan *p, const struct tracepoint *tp)
{
	const struct go_g_layout *l = &tp->mod->g;
	struct cap_op o = {.len = 8};
	uint64_t span = l->goid_off;
	int g, m;

	if (!tp->probe.g_in_r14)
		return -ENOTSUP;
	if (l->stack_hi_off > span)
		span = l->stack_hi_off;
	if (l->m_off > span)
		span = l->m_off;
	span += 8;
	if (span > 64 * 8)
		return 0; /* goroutine_of reads nothing */
	/* g, its m, m's curg: the runtime's, read directly in-process. */
	if ((g = capture_add_mem(p, DREG_R14, 0, (uint32_t)span,
				 CAP_OP_RUNTIME)) < 0)
		return g;
	o.flags = CAP_OP_RUNTIME;
	if (p->nops + 2 > CAP_MAX_OPS)
		return -ENOTSUP;
	o.addr = (struct cap_num){.src = CAP_SRC_DATA, .op = (__u16)g,
				  .off = (__u32)l->m_off,
				  .disp = (int64_t)l->curg_off};
	m = (int)p->nops;
	p->ops[p->nops++] = o;
	o.addr = (struct cap_num){.src = CAP_SRC_DATA, .op = (__u16)m,
				  .disp = (int64_t)l->goid_off};
	p->ops[p->nops++] = o;
	return 0;
}

/* follow.c's call_target: the memory operand of an indirect call. */
static int plan_call_operand(struct cap_plan *p, const struct insn *in)
{
	struct cap_op o = {.len = 8};

	if (!in->op.mem)
		return 0; /* call *%reg: the registers say it all */
	if (in->op.index >= 0 || p->nops >= CAP_MAX_OPS)
		return -ENOTSUP;
	if (in->op.base == DREG_RIP)
		o.addr = (struct cap_num){
			.disp = (int64_t)(in->addr + in->len) + in->op.disp};
	else if (in->op.base >= 0 && in->op.base < CAP_NREGS)
		o.addr = (struct cap_num){.src = CAP_SRC_REG,
					  .reg = (__u8)in->op.base,
					  .disp = in->op.disp};
	else if (in->op.base < 0)
		o.addr = (struct cap_num){.disp = in->op.disp};
	else
		return -ENOTSUP;
	p->ops[p->nops++] = o;
	return 0;
}

/* load_params (events.c) for Go: a generic function's type parameters
 * through its dictionary at dict (NULL: it has none). */
static int plan_go_params(struct cap_plan *p, const struct param *ps,
			  size_t n, const struct loc *dict,
			  const struct load_config *cfg, uint64_t bias)
{
	int err;

	for (size_t i = 0; i < n; i++)
		if ((err = capture_add_go_param(p, ps[i].type, &ps[i].loc,
						dict, cfg, bias)))
			return err;
	return 0;
}

/* load_event (events.c): the params at an entry, the results at a
 * return. */
static int plan_values(struct cap_plan *p, const struct tracepoint *tp)
{
	const struct func *fn = tp->fn;
	bool go = fn->lang == LANG_GO;
	uint64_t bias = tp->mod->bias;
	int err;

	if (!func_typed(fn))
		return 0;
	if (!tp->is_ret && go)
		return plan_go_params(p, fn->params, fn->nparams,
				      fn->has_go_dict ? &fn->go_dict : NULL,
				      &tp->load, bias);
	if (!tp->is_ret) {
		for (size_t i = 0; i < fn->nparams; i++)
			if ((err = capture_add_value(p, fn->params[i].type,
						     &fn->params[i].loc,
						     &tp->load, false, bias)))
				return err;
		return 0;
	}
	if (!tp->ret_known && fn->ret_type)
		return 0;
	if (go)
		return plan_go_params(p, fn->results, fn->nresults,
				      fn->has_go_dict ? &fn->go_dict_ret : NULL,
				      &tp->load, bias);
	if (!fn->ret_type)
		return 0;
	return capture_add_value(p, fn->ret_type, &tp->ret_loc, &tp->load,
				 false, bias);
}

void plan_compile(struct tracepoint *tp)
{
	struct cap_plan *p;
	int64_t win;
	int err = -ENOTSUP;

	free(tp->plan);
	tp->plan = NULL;
	tp->probe.plan = NULL;
	/* The loader's rendezvous, the launch's entry, an IFUNC resolver's
	 * return: they change probes, which needs the thread stopped. */
	if ((tp->kind != TP_USER && tp->kind != TP_CALLSITE) || !tp->fn ||
	    tp->cfa_off < 0)
		return;
	p = xmalloc(sizeof(*p));
	capture_plan_init(p);
	win = tp->cfa_off + PLAN_WINDOW;
	if (tp->stack > 0 && !tp->mod->go)
		err = capture_add_mem(p, DREG_RSP, -PLAN_REDZONE, PLAN_STACK,
				      CAP_OP_PARTIAL);
	else if (win <= CAP_MAX_CHUNK)
		err = capture_add_mem(p, DREG_RSP, 0, (uint32_t)win,
				      CAP_OP_PARTIAL);
	/* Go keeps frame pointers: the callers' frames are the chain of
	 * (saved rbp, return address) records from rbp, which are exactly
	 * the slots the CFI unwinder reads (each frame's return address
	 * below its CFA) — a few hundred bytes, not the 16 KiB copy C at
	 * -O2 needs. One frame more than shown: the unwinder reads the
	 * last frame's caller to end it. */
	if (err >= 0 && tp->stack > 0 && tp->mod->go)
		err = capture_add_chain(p, DREG_RBP, (uint32_t)tp->stack + 2);
	if (err < 0)
		goto fail;
	if (tp->mod->go && (err = plan_goroutine(p, tp)))
		goto fail;
	if (tp->kind == TP_CALLSITE)
		err = plan_call_operand(p, &tp->call);
	else
		err = plan_values(p, tp);
	if (err)
		goto fail;
	/* What debugger_on_hit reads besides the values and the ops: the
	 * stack pointer and the address (every hit), g (goroutine_of), an
	 * indirect call's register (follow.c's call_target) and the first
	 * frame's registers the unwinder starts from (--stack). */
	capture_plan_need(p, 1u << DREG_RSP | 1u << DREG_RIP);
	if (tp->mod->go)
		capture_plan_need(p, 1u << DREG_R14);
	if (tp->kind == TP_CALLSITE || tp->stack > 0)
		capture_plan_need(p, CAP_REGS_ALL);
	tp->plan = p;
	tp->probe.plan = p;
	return;
fail:
	free(p);
}
