/* Probes: the int3s, how each displaced instruction is got past, and the
 * out-of-line area (mapped in the target by an injected mmap syscall). */
#include "engine/ptrace/internal.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* The out-of-line area: the trampoline at its start, then one slot per
 * probe executed out of line: [instruction (<= 15)][jmp rel32 back (5)]. */
#define XOL_SIZE (256u << 10)
#define XOL_SLOT 32u
#define XOL_FIRST 16u

static size_t probe_hash(uint64_t addr, size_t cap)
{
	return (size_t)((addr * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
}

struct pt_probe *pt_probe_find(struct engine *e, uint64_t addr)
{
	if (!e->probe_cap)
		return NULL;
	for (size_t i = probe_hash(addr, e->probe_cap);;
	     i = (i + 1) & (e->probe_cap - 1)) {
		struct pt_probe *pp = &e->probes[i];
		if (!pp->p)
			return NULL;
		if (pp->addr == addr)
			return pp;
	}
}

static void probe_put(struct engine *e, const struct pt_probe *np)
{
	if ((e->nprobes + 1) * 2 > e->probe_cap) {
		struct pt_probe *old = e->probes;
		size_t oldcap = e->probe_cap;

		e->probe_cap = oldcap ? oldcap * 2 : 64;
		e->probes = xcalloc(e->probe_cap, sizeof(*e->probes));
		e->nprobes = 0;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].p)
				probe_put(e, &old[i]);
		free(old);
	}
	size_t i = probe_hash(np->addr, e->probe_cap);
	while (e->probes[i].p)
		i = (i + 1) & (e->probe_cap - 1);
	e->probes[i] = *np;
	e->nprobes++;
}

void pt_probes_forget(struct engine *e)
{
	free(e->probes);
	e->probes = NULL;
	e->probe_cap = e->nprobes = 0;
	e->xol = e->tramp = 0;
	e->xol_size = e->xol_used = 0;
	for (size_t i = 0; i < e->threads.len; i++)
		e->threads.items[i].shadow.len = 0;
}

/* A thread to run injected code on: one already held, or one we stop. A
 * stop that is not the interrupt we asked for (a signal, a hit) is kept for
 * the run loop to handle after the injection. */
static struct pt_thread *hold_one(struct engine *e, struct errbuf *eb)
{
	for (size_t i = 0; i < e->threads.len; i++) {
		struct pt_thread *t = &e->threads.items[i];
		if (t->state == TS_HELD &&
		    (!t->has_stash || WIFSTOPPED(t->stash)))
			return t;
	}
	for (size_t i = 0; i < e->threads.len; i++) {
		struct pt_thread *t = &e->threads.items[i];
		pid_t tid = t->tid;
		int st = 0;
		pid_t got;

		if (t->state != TS_RUNNING)
			continue;
		if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0)
			continue;
		while ((got = waitpid(tid, &st, __WALL)) < 0 && errno == EINTR)
			;
		if (got < 0)
			continue;
		if (!WIFSTOPPED(st)) {
			/* Gone: its exit is for the run loop to see. */
			t->has_stash = true;
			t->stash = st;
			t->state = TS_HELD;
			continue;
		}
		t->state = TS_HELD;
		if (!(st >> 16 == PTRACE_EVENT_STOP && WSTOPSIG(st) == SIGTRAP)) {
			t->has_stash = true;
			t->stash = st;
		}
		return t;
	}
	errbuf_set(eb, -ESRCH, "no thread of process %d can be stopped",
		   (int)e->pid);
	return NULL;
}

/* Runs `mov $nr,%eax; syscall; int3` on a held thread and restores it.
 *
 * The code goes at the executable's entry point (_start): only the main
 * thread runs it, once, before any probe can be hit, so other threads never
 * execute our bytes. The number is loaded by the code, not set in rax, and
 * orig_rax is -1: a thread stopped inside a syscall (the exec stop, an
 * interrupted sleep) would otherwise have rax overwritten by that syscall's
 * return or be restarted into it. Restoring every register afterwards
 * lets such a syscall restart as it would have. */
static int inject_syscall(struct engine *e, struct pt_thread *t, int nr,
			  const uint64_t args[6], uint64_t *ret,
			  struct errbuf *eb)
{
	struct user_regs_struct saved, r;
	uint8_t code[8] = {0xb8, 0, 0, 0, 0, 0x0f, 0x05, INT3}, orig[8];
	uint64_t at = 0;
	char path[64];
	uint64_t av[2];
	pid_t tid = t->tid;
	int fd, st, err;

	/* AT_ENTRY again: cheap, and right after an exec too. */
	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)e->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		while (read(fd, av, sizeof(av)) == sizeof(av) && av[0])
			if (av[0] == AT_ENTRY)
				at = av[1];
		close(fd);
	}
	if (!at)
		return errbuf_set(eb, -ENOENT, "no entry point for process %d",
				  (int)e->pid);
	memcpy(code + 1, &nr, 4);
	if (ptrace(PTRACE_GETREGS, tid, NULL, &saved) < 0)
		return errbuf_set(eb, -errno, "PTRACE_GETREGS %d: %s",
				  (int)tid, strerror(errno));
	err = pt_mem_read(e, at, orig, sizeof(orig));
	if (!err)
		err = pt_mem_write(e, at, code, sizeof(code));
	if (err)
		return errbuf_set(eb, err, "writing code at 0x%" PRIx64 ": %s",
				  at, strerror(-err));
	r = saved;
	r.rip = at;
	r.orig_rax = (uint64_t)-1;
	r.rdi = args[0];
	r.rsi = args[1];
	r.rdx = args[2];
	r.r10 = args[3];
	r.r8 = args[4];
	r.r9 = args[5];
	if (ptrace(PTRACE_SETREGS, tid, NULL, &r) < 0 ||
	    ptrace(PTRACE_CONT, tid, NULL, NULL) < 0) {
		err = errbuf_set(eb, -errno, "running injected code: %s",
				 strerror(errno));
		goto restore;
	}
	for (;;) {
		if (waitpid(tid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			err = errbuf_set(eb, -errno, "waitpid %d: %s",
					 (int)tid, strerror(errno));
			goto restore;
		}
		if (!WIFSTOPPED(st)) {
			t = pt_thread_find(e, tid);
			t->has_stash = true;
			t->stash = st;
			err = errbuf_set(eb, -ESRCH, "thread %d ended during "
					 "an injected syscall", (int)tid);
			goto restore;
		}
		if (!(st >> 16) && WSTOPSIG(st) == SIGTRAP)
			break;
		/* A signal that came first: deliver it after. */
		if (!(st >> 16) && WSTOPSIG(st) != (SIGTRAP | 0x80)) {
			t = pt_thread_find(e, tid);
			if (!t->resume_sig)
				t->resume_sig = WSTOPSIG(st);
		}
		ptrace(PTRACE_CONT, tid, NULL, NULL);
	}
	if (ptrace(PTRACE_GETREGS, tid, NULL, &r) < 0) {
		err = errbuf_set(eb, -errno, "PTRACE_GETREGS %d: %s",
				 (int)tid, strerror(errno));
		goto restore;
	}
	if (r.rip != at + sizeof(code)) {
		err = errbuf_set(eb, -EFAULT, "injected syscall stopped at "
				 "0x%llx, not 0x%" PRIx64, r.rip,
				 at + sizeof(code));
		goto restore;
	}
	*ret = r.rax;
	err = 0;
restore:
	pt_mem_write(e, at, orig, sizeof(orig));
	ptrace(PTRACE_SETREGS, tid, NULL, &saved);
	return err;
}

/* The lowest and highest addresses the main executable is mapped at. */
static int exe_span(struct engine *e, uint64_t *lo, uint64_t *hi)
{
	char path[64], exe[PATH_MAX], line[PATH_MAX + 128];
	ssize_t n;
	FILE *f;

	*lo = UINT64_MAX;
	*hi = 0;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)e->pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return -errno;
	exe[n] = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)e->pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, t;
		int off = 0;
		char *name;

		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &s, &t,
			   &off) < 2 || !off)
			continue;
		name = line + off;
		name[strcspn(name, "\n")] = 0;
		if (strcmp(name, exe))
			continue;
		if (s < *lo)
			*lo = s;
		if (t > *hi)
			*hi = t;
	}
	fclose(f);
	return *hi ? 0 : -ENOENT;
}

/* Maps the out-of-line area within rel32 reach of the executable's code:
 * just below its lowest mapping (nothing grows down there), else just above
 * its highest (where the heap may be: MAP_FIXED_NOREPLACE skips it). */
static int xol_map(struct engine *e, struct errbuf *eb)
{
	uint64_t lo, hi, ret = 0, cand[16];
	struct pt_thread *t;
	size_t nc = 0;
	int err;

	err = exe_span(e, &lo, &hi);
	if (err)
		return errbuf_set(eb, err, "finding the executable's mappings "
				  "in process %d: %s", (int)e->pid,
				  strerror(-err));
	for (uint64_t k = 1; k <= 8; k++)
		if (lo > k * XOL_SIZE + 0x100000)
			cand[nc++] = (lo & ~0xfffull) - k * XOL_SIZE;
	for (uint64_t k = 0; k < 4; k++)
		cand[nc++] = ((hi + 0xfff) & ~0xfffull) + (64ull << 20) * k +
			     (1ull << 20);
	t = hold_one(e, eb);
	if (!t)
		return -ESRCH;
	for (size_t i = 0; i < nc; i++) {
		uint64_t args[6] = {cand[i], XOL_SIZE, PROT_READ | PROT_EXEC,
				    MAP_PRIVATE | MAP_ANONYMOUS |
					    MAP_FIXED_NOREPLACE,
				    (uint64_t)-1, 0};
		err = inject_syscall(e, t, 9 /* mmap */, args, &ret, eb);
		if (err)
			return errbuf_prefix(eb, err, "mapping the out-of-line "
					     "area");
		if (ret < (uint64_t)-4095)
			break;
		ret = 0;
	}
	if (!ret)
		return errbuf_set(eb, -ENOMEM, "no room for the out-of-line "
				  "area near 0x%" PRIx64 " in process %d", lo,
				  (int)e->pid);
	uint8_t int3 = INT3;
	err = pt_mem_write(e, ret, &int3, 1);
	if (err)
		return errbuf_set(eb, err, "writing the trampoline: %s",
				  strerror(-err));
	e->xol = ret;
	e->tramp = ret;
	e->xol_size = XOL_SIZE;
	e->xol_used = XOL_FIRST;
	return 0;
}

static bool fits32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

/* The slot for an instruction run out of line. */
static int xol_slot(struct engine *e, struct pt_probe *pp, struct errbuf *eb)
{
	const struct insn *in = &pp->insn;
	uint8_t code[XOL_SLOT];
	uint64_t slot;
	int64_t rel;
	int err;

	if (e->xol_used + XOL_SLOT > e->xol_size)
		return errbuf_set(eb, -ENOSPC, "out-of-line area full (%zu "
				  "probes)", e->nprobes);
	slot = e->xol + e->xol_used;
	memset(code, INT3, sizeof(code));
	memcpy(code, in->bytes, in->len);
	if (in->cls == INSN_RIPREL) {
		int32_t disp;
		memcpy(&disp, code + in->disp_off, 4);
		rel = (int64_t)disp + (int64_t)(pp->addr - slot);
		if (!fits32(rel))
			return errbuf_set(eb, -ERANGE, "0x%" PRIx64 " is too "
					  "far from the out-of-line area",
					  pp->addr);
		disp = (int32_t)rel;
		memcpy(code + in->disp_off, &disp, 4);
	}
	rel = (int64_t)(pp->addr + in->len) - (int64_t)(slot + in->len + 5);
	if (!fits32(rel))
		return errbuf_set(eb, -ERANGE, "0x%" PRIx64 " is too far from "
				  "the out-of-line area", pp->addr);
	int32_t r32 = (int32_t)rel;
	code[in->len] = 0xe9;
	memcpy(code + in->len + 1, &r32, 4);
	err = pt_mem_write(e, slot, code, sizeof(code));
	if (err)
		return errbuf_set(eb, err, "writing the out-of-line slot: %s",
				  strerror(-err));
	pp->slot = slot;
	e->xol_used += XOL_SLOT;
	return 0;
}

/* The few ordinary instructions worth emulating: they open most functions
 * and cost nothing to replay on the registers. */
static enum pt_how simple_how(const struct insn *in, int *reg)
{
	static const int push_regs[8] = {DREG_RAX, DREG_RCX, DREG_RDX,
					 DREG_RBX, DREG_RSP, DREG_RBP,
					 DREG_RSI, DREG_RDI};
	const uint8_t *b = in->bytes;
	size_t i = 0;

	if (in->len == 4 && b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e &&
	    b[3] == 0xfa)
		return HOW_SKIP; /* endbr64 */
	if (in->len == 1 && b[0] >= 0x50 && b[0] <= 0x57) {
		*reg = push_regs[b[0] - 0x50];
		return HOW_PUSH;
	}
	if (in->len == 2 && b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57) {
		*reg = DREG_R8 + (b[1] - 0x50);
		return HOW_PUSH;
	}
	if (in->len == 3 && b[0] == 0x48 &&
	    ((b[1] == 0x89 && b[2] == 0xe5) || (b[1] == 0x8b && b[2] == 0xec)))
		return HOW_MOVRBP;
	while (i < in->len && (b[i] == 0x66 || b[i] == 0x2e))
		i++;
	if (i + 1 == in->len && b[i] == 0x90)
		return HOW_SKIP;
	if (i + 2 <= in->len && b[i] == 0x0f && b[i + 1] == 0x1f)
		return HOW_SKIP;
	return HOW_XOL;
}

/* Legacy prefixes and REX: the bytes before an opcode. */
static bool is_prefix(uint8_t b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return true;
	default:
		return b >= 0x40 && b <= 0x4f;
	}
}

static int probe_classify(struct pt_probe *pp, struct errbuf *eb)
{
	const struct insn *in = &pp->insn;

	switch (in->cls) {
	case INSN_RET:
		pp->how = HOW_RET;
		return 0;
	case INSN_JMP:
		pp->how = HOW_JMP;
		return 0;
	case INSN_JCC:
		pp->how = HOW_JCC;
		return 0;
	case INSN_JMP_IND:
	case INSN_CALL_IND:
		/* A segment override (fs:/gs:) is not in the operand: run
		 * such a jmp out of line; such a call cannot be. */
		for (size_t i = 0; i < in->len && is_prefix(in->bytes[i]);
		     i++) {
			if (in->bytes[i] != 0x64 && in->bytes[i] != 0x65)
				continue;
			if (in->cls == INSN_CALL_IND)
				return errbuf_set(eb, -ENOTSUP, "cannot probe "
						  "a segment-relative call at "
						  "0x%" PRIx64, pp->addr);
			pp->how = HOW_XOL;
			return 0;
		}
		pp->how = in->cls == INSN_JMP_IND ? HOW_JMP_IND : HOW_CALL_IND;
		return 0;
	case INSN_CALL:
		pp->how = HOW_CALL;
		return 0;
	case INSN_LOOP:
		if (in->bytes[0] < 0xe0 || in->bytes[0] > 0xe3)
			return errbuf_set(eb, -ENOTSUP, "cannot probe the "
					  "loop instruction at 0x%" PRIx64,
					  pp->addr);
		pp->how = HOW_LOOP;
		return 0;
	case INSN_OTHER:
		pp->how = simple_how(in, &pp->push_reg);
		return 0;
	case INSN_RIPREL:
		pp->how = HOW_XOL;
		return 0;
	case INSN_INT3:
		return errbuf_set(eb, -EINVAL, "0x%" PRIx64 " already holds "
				  "an int3", pp->addr);
	case INSN_UNSUPPORTED:
	default:
		return errbuf_set(eb, -ENOTSUP, "cannot probe the instruction "
				  "at 0x%" PRIx64 " (system or privileged)",
				  pp->addr);
	}
}

int pt_insert_probe(struct engine *e, const struct probe *p,
		    struct errbuf *eb)
{
	struct pt_probe pp = {.p = p, .addr = p->addr};
	uint8_t code[16], int3 = INT3;
	size_t n = sizeof(code);
	int err;

	if (e->gone)
		return errbuf_set(eb, -ESRCH, "process %d is gone",
				  (int)e->pid);
	struct pt_probe *old = pt_probe_find(e, p->addr);
	if (old) {
		/* One entry and one return may share an address: a function
		 * whose first instruction is its ret. */
		bool new_entry = p->kind == PROBE_ENTRY;
		bool old_entry = old->p->kind == PROBE_ENTRY;
		if (new_entry != old_entry && !old->entry) {
			if (new_entry) {
				old->entry = p;
			} else {
				old->entry = old->p;
				old->p = p;
			}
			return 0;
		}
		return errbuf_set(eb, -EEXIST, "a probe is already at 0x%"
				  PRIx64, p->addr);
	}
	/* The instruction may end just before an unmapped page. */
	while ((err = pt_mem_read(e, p->addr, code, n)) && n > 1) {
		uint64_t page_end = (p->addr | 0xfff) + 1;
		n = page_end - p->addr < n ? page_end - p->addr : n - 1;
	}
	if (err)
		return errbuf_set(eb, err, "cannot read code at 0x%" PRIx64
				  ": %s", p->addr, strerror(-err));
	/* Decode the original code, not our int3s in it. */
	for (size_t i = 0; i < n; i++) {
		struct pt_probe *o = pt_probe_find(e, p->addr + i);
		if (o)
			code[i] = o->orig;
	}
	pp.orig = code[0];
	err = x86_decode(code, n, p->addr, &pp.insn);
	if (err)
		return errbuf_set(eb, err, "cannot decode the instruction at "
				  "0x%" PRIx64, p->addr);
	err = probe_classify(&pp, eb);
	if (err)
		return err;
	if (!e->xol) {
		err = xol_map(e, eb);
		if (err)
			return err;
	}
	if (pp.how == HOW_XOL) {
		err = xol_slot(e, &pp, eb);
		if (err)
			return err;
	}
	err = pt_mem_write(e, p->addr, &int3, 1);
	if (err)
		return errbuf_set(eb, err, "cannot write a breakpoint at 0x%"
				  PRIx64 ": %s", p->addr, strerror(-err));
	probe_put(e, &pp);
	return 0;
}
