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

/* An out-of-line page: one slot per probe executed out of line,
 * [instruction (<= 15)][jmp rel32 back (5)]. Pages are never unmapped: after a detach, a signal handler
 * may still return into a slot (which then does what the code did). */
#define XOL_SIZE (64u << 10)
#define XOL_SLOT 32u

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
	VEC_FREE(&e->dead);
	VEC_FREE(&e->xols);
	for (size_t i = 0; i < e->threads.len; i++)
		e->threads.items[i].pending.len = 0;
}

struct pt_probe *pt_dead_find(struct engine *e, uint64_t addr)
{
	for (size_t i = 0; i < e->dead.len; i++)
		if (e->dead.items[i].addr == addr)
			return &e->dead.items[i];
	return NULL;
}

static const struct pt_probe *slot_match(const struct pt_probe *pp,
					 uint64_t rip, bool *done)
{
	if (pp->how != HOW_XOL)
		return NULL;
	if (rip == pp->slot) {
		*done = false;
		return pp;
	}
	if (rip == pp->slot + pp->insn.len) {
		*done = true;
		return pp;
	}
	return NULL;
}

const struct pt_probe *pt_slot_find(struct engine *e, uint64_t rip,
				    bool *done)
{
	const struct pt_probe *pp;
	bool in = false;

	for (size_t i = 0; i < e->xols.len && !in; i++)
		in = rip >= e->xols.items[i].base &&
		     rip < e->xols.items[i].base + e->xols.items[i].size;
	if (!in)
		return NULL;
	for (size_t i = 0; i < e->probe_cap; i++)
		if (e->probes[i].p && (pp = slot_match(&e->probes[i], rip, done)))
			return pp;
	for (size_t i = 0; i < e->dead.len; i++)
		if ((pp = slot_match(&e->dead.items[i], rip, done)))
			return pp;
	return NULL;
}

static bool forgotten(const struct probe *p, const struct pt_probe *gone,
		      size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p == gone[i].p || p == gone[i].entry)
			return true;
	return false;
}

/* Drops the pending tail-call returns of forgotten probes: they will not be
 * reported (their tracepoint is gone). */
static void pending_forget(struct engine *e, struct pt_thread *t,
			   const struct pt_probe *gone, size_t n)
{
	size_t keep = 0;

	for (size_t i = 0; i < t->pending.len; i++) {
		const struct pt_pending *rec = &t->pending.items[i];

		if (forgotten(rec->probe, gone, n))
			pt_catch_drop(e, rec->ret);
		else
			t->pending.items[keep++] = *rec;
	}
	t->pending.len = keep;
}

void pt_forget_range(struct engine *e, uint64_t lo, uint64_t hi)
{
	struct pt_probe *old = e->probes;
	size_t oldcap = e->probe_cap, first = e->dead.len;

	if (!oldcap)
		return;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].p && old[i].addr >= lo && old[i].addr < hi)
			VEC_PUSH(&e->dead, old[i]);
	if (e->dead.len == first)
		return;
	for (size_t i = 0; i < e->threads.len; i++)
		pending_forget(e, &e->threads.items[i], e->dead.items + first,
			       e->dead.len - first);
	/* Only the machine part stays: the probes may be freed by now. */
	for (size_t i = first; i < e->dead.len; i++)
		e->dead.items[i].p = e->dead.items[i].entry = NULL;
	/* Rebuilt, since open addressing cannot simply clear a slot. */
	e->probes = xcalloc(oldcap, sizeof(*e->probes));
	e->nprobes = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].p && (old[i].addr < lo || old[i].addr >= hi))
			probe_put(e, &old[i]);
	free(old);
}

/* A thread to run injected code on: one already held, or one we stop. A
 * stop that is not the interrupt we asked for (a signal, a hit) is kept for
 * the run loop to handle after the injection. A thread held in a group-stop
 * is the last choice: running code takes it out of the group-stop, and
 * putting it back costs another stop (group_retrap). */
static struct pt_thread *hold_one(struct engine *e, struct errbuf *eb)
{
	struct pt_thread *gs = NULL;

	for (size_t i = 0; i < e->threads.len; i++) {
		struct pt_thread *t = &e->threads.items[i];
		if (t->state != TS_HELD ||
		    (t->has_stash && !WIFSTOPPED(t->stash)))
			continue;
		if (t->group_stop ||
		    (t->has_stash && pt_is_group_stop(t->stash))) {
			if (!gs)
				gs = t;
			continue;
		}
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
		if (pt_is_group_stop(st)) {
			if (!gs)
				gs = t;
			continue;
		}
		return t;
	}
	if (gs)
		return gs;
	errbuf_set(eb, -ESRCH, "no thread of process %d can be stopped",
		   (int)e->pid);
	return NULL;
}

bool ptrace_engine_group_stopped(const struct engine *e)
{
	for (size_t i = 0; i < e->threads.len; i++) {
		const struct pt_thread *t = &e->threads.items[i];

		if (t->group_stop ||
		    (t->has_stash && pt_is_group_stop(t->stash)))
			return true;
	}
	return false;
}

/* A thread taken out of a group-stop to run injected code goes back into
 * it: with the group-stop still in effect, an interrupt traps as one (and
 * PTRACE_LISTEN, which the run uses on it, accepts nothing else). */
static void group_retrap(struct engine *e, struct pt_thread *t)
{
	int st;

	if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) < 0 ||
	    ptrace(PTRACE_CONT, t->tid, NULL, NULL) < 0)
		return;
	while (waitpid(t->tid, &st, __WALL) < 0)
		if (errno != EINTR)
			return;
	/* The run loop handles the stop as it comes: a group-stop is
	 * listened to, anything else (SIGCONT came meanwhile, a signal) is
	 * taken as usual. */
	t->group_stop = false;
	t->has_stash = true;
	t->stash = st;
}

/* Resumes tid and waits for its next SIGTRAP (our int3); signals that come
 * first are delivered after the injection. 0, or -errno (the thread ended:
 * its status is stashed for the run loop). */
static int inject_step(struct engine *e, pid_t tid, struct errbuf *eb)
{
	struct pt_thread *t;
	int st;

	if (ptrace(PTRACE_CONT, tid, NULL, NULL) < 0)
		return errbuf_set(eb, -errno, "running injected code: %s",
				  strerror(errno));
	for (;;) {
		if (waitpid(tid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			return errbuf_set(eb, -errno, "waitpid %d: %s",
					  (int)tid, strerror(errno));
		}
		if (!WIFSTOPPED(st)) {
			t = pt_thread_find(e, tid);
			if (t) {
				t->has_stash = true;
				t->stash = st;
			}
			return errbuf_set(eb, -ESRCH, "thread %d ended during "
					  "an injected syscall", (int)tid);
		}
		if (!(st >> 16) && WSTOPSIG(st) == SIGTRAP)
			return 0;
		/* A signal that came first: deliver it after. */
		if (!(st >> 16) && WSTOPSIG(st) != (SIGTRAP | 0x80)) {
			t = pt_thread_find(e, tid);
			if (t && !t->resume_sig)
				t->resume_sig = WSTOPSIG(st);
		}
		ptrace(PTRACE_CONT, tid, NULL, NULL);
	}
}

/* Runs the thread from regs *r to its next stop at our injected code, and
 * reads its registers back into *r. */
static int inject_run(struct engine *e, pid_t tid, struct user_regs_struct *r,
		      struct errbuf *eb)
{
	int err;

	if (ptrace(PTRACE_SETREGS, tid, NULL, r) < 0)
		return errbuf_set(eb, -errno, "running injected code: %s",
				  strerror(errno));
	err = inject_step(e, tid, eb);
	if (err)
		return err;
	if (ptrace(PTRACE_GETREGS, tid, NULL, r) < 0)
		return errbuf_set(eb, -errno, "PTRACE_GETREGS %d: %s",
				  (int)tid, strerror(errno));
	return 0;
}

/* Runs `int3; mov $nr,%eax; syscall; int3` on a held thread and restores
 * it.
 *
 * The code goes at the executable's entry point (_start): only the main
 * thread runs it, once, before any probe can be hit, so other threads never
 * execute our bytes. The number is loaded by the code, not set in rax, and
 * orig_rax is -1, so that nothing restarts a syscall into ours.
 *
 * The first int3 is for a thread stopped in the middle of a syscall: at a
 * clone, fork or exec event stop the syscall has not returned yet, and its
 * result reaches rax only when the thread resumes. Restoring the rax we saw
 * would lose it (a clone3 that seems to fail with ENOSYS: glibc then
 * creates the thread a second time with clone, on the same stack). So the
 * thread resumes into an int3 first, and the rax found there is the one to
 * restore. A thread in an ordinary stop finds its rax unchanged; one whose
 * syscall was interrupted keeps orig_rax and its -ERESTART* rax, and
 * restarts as it would have. */
static int inject_syscall(struct engine *e, struct pt_thread *t, int nr,
			  const uint64_t args[6], uint64_t *ret,
			  struct errbuf *eb)
{
	struct user_regs_struct saved, r;
	uint8_t code[9] = {INT3, 0xb8, 0, 0, 0, 0, 0x0f, 0x05, INT3};
	uint8_t orig[sizeof(code)];
	uint64_t at = 0;
	char path[64];
	uint64_t av[2];
	pid_t tid = t->tid;
	bool group = t->group_stop ||
		     (t->has_stash && pt_is_group_stop(t->stash));
	int fd, err;

	/* AT_ENTRY again: cheap, and right after an exec too. Through the
	 * thread: a leader that called pthread_exit has no auxv left. */
	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)tid);
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
	memcpy(code + 2, &nr, 4);
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
	/* Not now: an interrupted syscall restarts when the restored
	 * thread resumes (rip - 2 would be before our code). */
	r.orig_rax = (uint64_t)-1;
	err = inject_run(e, tid, &r, eb);
	if (err)
		goto restore;
	/* The syscall the thread was in has returned now. */
	saved.rax = r.rax;
	if (r.rip != at + 1) {
		err = errbuf_set(eb, -EFAULT, "injected code stopped at "
				 "0x%llx, not 0x%" PRIx64, r.rip, at + 1);
		goto restore;
	}
	if (e->hooks.inject)
		e->hooks.inject(e->hooks.ctx, tid, true);
	ptrace_syscall_args(&r, args);
	err = inject_run(e, tid, &r, eb);
	if (e->hooks.inject)
		e->hooks.inject(e->hooks.ctx, tid, false);
	if (err)
		goto restore;
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
	t = pt_thread_find(e, tid);
	if (group && t && !(t->has_stash && !WIFSTOPPED(t->stash)))
		group_retrap(e, t);
	return err;
}

/* A page serves code within rel32 reach of every byte of it (the jmp
 * back, a rip-relative operand), with a little to spare. */
#define XOL_REACH ((1ull << 31) - (1ull << 16))
/* Where user mappings may go on x86-64 (mmap_min_addr, 47-bit top). */
#define USER_LO 0x10000ull
#define USER_HI 0x7ffffffff000ull

static uint64_t dist(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* Can the page [at, at+size) serve code at addr, whose rip-relative
 * operand (if has_target) points at target? */
static bool xol_reaches(uint64_t at, size_t size, uint64_t addr,
			bool has_target, uint64_t target)
{
	uint64_t end = at + size;

	if (dist(at, addr) > XOL_REACH || dist(end, addr) > XOL_REACH)
		return false;
	return !has_target || (dist(at, target) <= XOL_REACH &&
			       dist(end, target) <= XOL_REACH);
}

/* Where the heap starts (field 47 of /proc/TID/stat), or 0. */
static uint64_t start_brk(pid_t tid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* The command name may hold anything but ends with the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* Field 3 (the state) follows; start_brk is 44 fields on. */
	for (int f = 2; f < 47 && p; f++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%llu", &v);
	return v;
}

struct xol_cand {
	uint64_t at, key;
};

static int cand_cmp(const void *a, const void *b)
{
	const struct xol_cand *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

/* Free places for a page near addr, from /proc/TID/maps, nearest first: the
 * top of each gap (just below a mapping: nothing grows down into it but the
 * stack) and its bottom (just above a mapping), the heap's growth room last.
 * Returns how many went in out (at most max). */
static size_t xol_candidates(pid_t tid, uint64_t addr, bool has_target,
			     uint64_t target, struct xol_cand *out,
			     size_t max)
{
	char path[64], line[4096 + 128];
	uint64_t prev_end = USER_LO, brk0 = start_brk(tid), heap_end = 0;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	for (bool last = false; !last;) {
		unsigned long s = USER_HI, t = USER_HI;
		bool stack = false;
		int off = 0;

		if (fgets(line, sizeof(line), f) &&
		    sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &s, &t, &off) >= 2) {
			stack = off && !strncmp(line + off, "[stack]", 7);
			if (off && !strncmp(line + off, "[heap]", 6))
				heap_end = t;
		} else {
			last = true;
		}
		if (s > USER_HI)
			s = USER_HI;
		uint64_t glo = prev_end, ghi = s & ~0xfffull;
		if (t > prev_end)
			prev_end = (t + 0xfff) & ~0xfffull;
		if (ghi <= glo || ghi - glo < XOL_SIZE)
			continue;
		uint64_t at[2] = {stack ? 0 : ghi - XOL_SIZE, glo};
		for (int k = 0; k < 2 && n < max; k++) {
			if (!at[k] || !xol_reaches(at[k], XOL_SIZE, addr,
						   has_target, target))
				continue;
			out[n].at = at[k];
			out[n].key = dist(at[k], addr);
			/* brk grows up from start_brk: a page there would
			 * make the program's malloc fall back to mmap. */
			if (brk0 && at[k] + XOL_SIZE > brk0 &&
			    at[k] < (heap_end > brk0 ? heap_end : brk0) +
					    (1ull << 30))
				out[n].key += 1ull << 40;
			n++;
		}
	}
	fclose(f);
	qsort(out, n, sizeof(*out), cand_cmp);
	return n;
}

/* Maps a new out-of-line page within rel32 reach of addr (and of target,
 * the operand of a rip-relative instruction there), in a free gap of the
 * address space: MAP_FIXED_NOREPLACE, so that a mapping the target made
 * since we read its maps is never clobbered. */
static int xol_map(struct engine *e, uint64_t addr, bool has_target,
		   uint64_t target, struct errbuf *eb)
{
	struct xol_cand cand[64];
	struct pt_thread *t;
	uint64_t ret = 0;
	size_t nc;
	int err;

	t = hold_one(e, eb);
	if (!t)
		return -ESRCH;
	nc = xol_candidates(t->tid, addr, has_target, target, cand, 64);
	for (size_t i = 0; i < nc && i < 8; i++) {
		uint64_t args[6] = {cand[i].at, XOL_SIZE,
				    PROT_READ | PROT_EXEC,
				    MAP_PRIVATE | MAP_ANONYMOUS |
					    MAP_FIXED_NOREPLACE,
				    (uint64_t)-1, 0};
		pid_t tid = t->tid;

		err = inject_syscall(e, t, 9 /* mmap */, args, &ret, eb);
		if (err)
			return errbuf_prefix(eb, err, "mapping an out-of-line "
					     "page");
		t = pt_thread_find(e, tid);
		if (ret == cand[i].at)
			break;
		if (ret < (uint64_t)-4095) {
			/* A kernel that took the flag for a hint. */
			uint64_t un[6] = {ret, XOL_SIZE, 0, 0, 0, 0}, r2;
			inject_syscall(e, t, 11 /* munmap */, un, &r2, NULL);
			t = pt_thread_find(e, tid);
		}
		ret = 0;
		if (!t)
			break;
	}
	if (!ret)
		return errbuf_set(eb, -ENOMEM, "no room for an out-of-line "
				  "page within 2 GiB of 0x%" PRIx64
				  " in process %d", addr, (int)e->pid);
	struct pt_xol x = {.base = ret, .size = XOL_SIZE};
	VEC_PUSH(&e->xols, x);
	return 0;
}

static bool fits32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

/* The slot for an instruction run out of line: in a page within reach of
 * it, mapped now if none is. */
static int xol_slot(struct engine *e, struct pt_probe *pp, struct errbuf *eb)
{
	const struct insn *in = &pp->insn;
	uint8_t code[XOL_SLOT];
	uint64_t slot, target = 0;
	struct pt_xol *x = NULL;
	bool riprel = in->cls == INSN_RIPREL;
	int64_t rel;
	int err;

	memset(code, INT3, sizeof(code));
	memcpy(code, in->bytes, in->len);
	if (riprel) {
		int32_t disp;
		memcpy(&disp, code + in->disp_off, 4);
		target = pp->addr + in->len + (int64_t)disp;
	}
	for (size_t i = 0; i < e->xols.len && !x; i++) {
		struct pt_xol *c = &e->xols.items[i];
		if (c->used + XOL_SLOT <= c->size &&
		    xol_reaches(c->base, c->size, pp->addr, riprel, target))
			x = c;
	}
	if (!x) {
		err = xol_map(e, pp->addr, riprel, target, eb);
		if (err)
			return err;
		x = &e->xols.items[e->xols.len - 1];
	}
	slot = x->base + x->used;
	if (riprel) {
		int32_t disp;
		memcpy(&disp, code + in->disp_off, 4);
		rel = (int64_t)disp + (int64_t)(pp->addr - slot);
		if (!fits32(rel))
			return errbuf_set(eb, -ERANGE, "0x%" PRIx64 " is too "
					  "far from the out-of-line page",
					  pp->addr);
		disp = (int32_t)rel;
		memcpy(code + in->disp_off, &disp, 4);
	}
	rel = (int64_t)(pp->addr + in->len) - (int64_t)(slot + in->len + 5);
	if (!fits32(rel))
		return errbuf_set(eb, -ERANGE, "0x%" PRIx64 " is too far from "
				  "the out-of-line page", pp->addr);
	int32_t r32 = (int32_t)rel;
	code[in->len] = 0xe9;
	memcpy(code + in->len + 1, &r32, 4);
	err = pt_mem_write(e, slot, code, sizeof(code));
	if (err)
		return errbuf_set(eb, err, "writing the out-of-line slot: %s",
				  strerror(-err));
	pp->slot = slot;
	x->used += XOL_SLOT;
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
		/* Run out of line rather than emulated: the thread pops its
		 * return address itself, which saves reading it (a system
		 * call on every return hit). */
		pp->how = HOW_XOL;
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

const struct probe pt_catch_probe = {.kind = PROBE_ENTRY};

/* Puts an int3 at addr for p (addr is p->addr, but for the catch probe). */
static int insert_at(struct engine *e, const struct probe *p, uint64_t addr,
		     struct errbuf *eb)
{
	struct pt_probe pp = {.p = p, .addr = addr};
	uint8_t code[16], int3 = INT3;
	size_t n = sizeof(code);
	int err;

	if (e->gone)
		return errbuf_set(eb, -ESRCH, "process %d is gone",
				  (int)e->pid);
	struct pt_probe *old = pt_probe_find(e, addr);
	if (old && old->p == &pt_catch_probe && p != &pt_catch_probe) {
		/* A tracepoint where tail-call returns are caught: one
		 * probe does both (catches first, see on_trap). */
		old->p = p;
		if (old->disarmed) {
			err = pt_mem_write(e, addr, &int3, 1);
			if (err)
				return errbuf_set(eb, err, "cannot write a "
						  "breakpoint at 0x%" PRIx64
						  ": %s", addr, strerror(-err));
			old->disarmed = false;
		}
		return 0;
	}
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
				  PRIx64, addr);
	}
	/* The instruction may end just before an unmapped page. */
	while ((err = pt_mem_read(e, addr, code, n)) && n > 1) {
		uint64_t page_end = (addr | 0xfff) + 1;
		n = page_end - addr < n ? page_end - addr : n - 1;
	}
	if (err)
		return errbuf_set(eb, err, "cannot read code at 0x%" PRIx64
				  ": %s", addr, strerror(-err));
	/* Decode the original code, not our int3s in it: live ones, and
	 * forgotten ones whose int3 is still there (the code was not
	 * unmapped after all). */
	for (size_t i = 0; i < n; i++) {
		struct pt_probe *o = pt_probe_find(e, addr + i);
		if (!o && code[i] == INT3)
			o = pt_dead_find(e, addr + i);
		if (o)
			code[i] = o->orig;
	}
	pp.orig = code[0];
	err = x86_decode(code, n, addr, &pp.insn);
	if (err)
		return errbuf_set(eb, err, "cannot decode the instruction at "
				  "0x%" PRIx64, addr);
	err = probe_classify(&pp, eb);
	if (err)
		return err;
	if (pp.how == HOW_XOL) {
		err = xol_slot(e, &pp, eb);
		if (err)
			return err;
	}
	err = pt_mem_write(e, addr, &int3, 1);
	if (err)
		return errbuf_set(eb, err, "cannot write a breakpoint at 0x%"
				  PRIx64 ": %s", addr, strerror(-err));
	probe_put(e, &pp);
	/* A trap at this address is the new probe's from now on. */
	for (size_t i = 0; i < e->dead.len; i++)
		if (e->dead.items[i].addr == addr)
			e->dead.items[i--] = e->dead.items[--e->dead.len];
	return 0;
}

int pt_insert_probe(struct engine *e, const struct probe *p,
		    struct errbuf *eb)
{
	return insert_at(e, p, p->addr, eb);
}

int pt_catch_add(struct engine *e, uint64_t addr, struct errbuf *eb)
{
	struct pt_probe *pp = pt_probe_find(e, addr);
	uint8_t int3 = INT3;
	int err;

	if (!pp) {
		err = insert_at(e, &pt_catch_probe, addr, eb);
		if (err)
			return err;
		pp = pt_probe_find(e, addr);
	} else if (pp->disarmed) {
		err = pt_mem_write(e, addr, &int3, 1);
		if (err)
			return errbuf_set(eb, err, "cannot write a breakpoint "
					  "at 0x%" PRIx64 ": %s", addr,
					  strerror(-err));
		pp->disarmed = false;
	}
	pp->catches++;
	return 0;
}

void pt_catch_drop(struct engine *e, uint64_t addr)
{
	struct pt_probe *pp = pt_probe_find(e, addr);

	if (!pp || !pp->catches || --pp->catches ||
	    pp->p != &pt_catch_probe)
		return;
	/* Kept in the table (its out-of-line slot is reused when a return
	 * waits here again); a thread that trapped on it before is still
	 * recognised (on_trap). */
	if (!pt_mem_write(e, addr, &pp->orig, 1))
		pp->disarmed = true;
}
