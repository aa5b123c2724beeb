/* bpfobj: loads capture.bpf.c (through its skeleton), keeps the plans and
 * probes maps in step with the engine, and owns the uprobe links.
 *
 * Probes live in slots (the `probes` map, indexed by the slot number the
 * cookie carries): a slot is switched on once every link of an attach
 * exists and off at detach, so a probe's records start and stop exactly
 * there even while a multi-uprobe link it shares stays in the kernel. */
#include "engine/ebpf/bpfobj.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "base/xalloc.h"
#include "capture.skel.h"
#include "engine/ebpf/bpf/capture.bpf.h"

/* Not in the uapi headers of Debian 12 (kernel 6.1) nor known to libbpf
 * 1.1: the kernel's (6.6+) values and BPF_LINK_CREATE's attr layout for
 * uprobe_multi. */
#define BOBJ_TRACE_UPROBE_MULTI 48
#define BOBJ_F_UPROBE_MULTI_RETURN 1u

struct bobj_umulti_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 umulti_flags;
	__u32 pid;
	__u32 pad;
};

#define HINT "; the ptrace engine (the default) works without it"

/* strerror, knowing the kernel's ENOTSUPP (524), which uprobes return for
 * an instruction they cannot probe (int3, for one). */
static const char *bobj_strerror(int err)
{
	return err == 524 ? "the kernel cannot probe the instruction there"
			  : strerror(err);
}

struct bobj_link {
	int fd;                /* a multi-uprobe link, or -1 */
	struct bpf_link *link; /* a perf-event uprobe link, or NULL */
	uint32_t *slots;
	size_t nslots;
	size_t live; /* slots still on */
};

struct bobj_slot {
	uint32_t id;
	uint32_t link; /* index in links */
	bool used, on;
};

struct bpfobj {
	struct capture_bpf *skel;
	struct ring_buffer *rb;
	bool multi_ok;   /* the kernel has (fixed) multi-uprobe links */
	bool multi_used; /* an attach used them */
	int ncpus;
	/* plans, deduplicated through an open-addressed table of ids + 1 */
	struct cap_plan *plans;
	uint32_t nplans;
	uint32_t plan_ht[2 * CAPBPF_MAX_PLANS];
	VEC(struct bobj_slot) slots;
	VEC(uint32_t) free_slots;
	VEC(struct bobj_link) links;
	struct bpf_link *sys_links[2]; /* raw_syscalls sys_enter, sys_exit */
	/* bpfobj_consume's callback, for the ring's adaptor */
	int (*cb)(void *ctx, const void *rec, size_t len);
	void *cb_ctx;
	int consumed;
};

/* ---- libbpf's messages: kept (never printed), the verifier's log in
 * them quoted when loading fails ---- */

static char bobj_log[16384];
static size_t bobj_log_len;

static int bobj_print(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	int n;

	if (level == LIBBPF_DEBUG)
		return 0;
	if (bobj_log_len > sizeof(bobj_log) - 1024) {
		/* keep the newest half: the refusal is at the end */
		memmove(bobj_log, bobj_log + sizeof(bobj_log) / 2,
			bobj_log_len - sizeof(bobj_log) / 2);
		bobj_log_len -= sizeof(bobj_log) / 2;
	}
	n = vsnprintf(bobj_log + bobj_log_len, sizeof(bobj_log) - bobj_log_len,
		      fmt, ap);
	if (n > 0)
		bobj_log_len += (size_t)n < sizeof(bobj_log) - bobj_log_len
					? (size_t)n
					: sizeof(bobj_log) - bobj_log_len - 1;
	return 0;
}

/* The last few lines of the verifier's log (before libbpf's end marker),
 * joined with " | ", into out. */
static void bobj_verifier_tail(char *out, size_t cap)
{
	char *end = strstr(bobj_log, "-- END PROG LOAD LOG --"), *lines[5];
	char *p, *q;
	int n = 0, i;

	out[0] = 0;
	if (!end)
		end = bobj_log + bobj_log_len;
	*end = 0;
	/* walk back over lines, skipping libbpf's and the statistics */
	p = end;
	while (p > bobj_log && n < 5) {
		q = p - 1;
		while (q > bobj_log && q[-1] != '\n')
			q--;
		if (p[-1] == '\n')
			p[-1] = 0;
		if (*q && strncmp(q, "processed ", 10) &&
		    strncmp(q, "verification time", 17) &&
		    strncmp(q, "stack depth", 11) && strncmp(q, "libbpf:", 7))
			lines[n++] = q;
		if (strstr(q, "BEGIN PROG LOAD LOG"))
			break;
		p = q;
	}
	for (i = n - 1; i >= 0; i--)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s",
			 i == n - 1 ? "" : " | ", lines[i]);
}

/* ---- multi-uprobe links (raw BPF_LINK_CREATE: libbpf 1.1 predates
 * them) ---- */

static int bobj_umulti_create(int prog_fd, const char *path,
			      const uint64_t *offsets, const uint64_t *cookies,
			      uint32_t cnt, bool ret, int pid)
{
	struct bobj_umulti_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.prog_fd = (__u32)prog_fd;
	a.attach_type = BOBJ_TRACE_UPROBE_MULTI;
	a.path = (__u64)(uintptr_t)path;
	a.offsets = (__u64)(uintptr_t)offsets;
	a.cookies = (__u64)(uintptr_t)cookies;
	a.cnt = cnt;
	a.umulti_flags = ret ? BOBJ_F_UPROBE_MULTI_RETURN : 0;
	a.pid = (__u32)pid;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : (int)fd;
}

/* Whether this kernel has multi-uprobe links whose pid filter takes a
 * process (6.6 to 6.9 filtered one thread: unusable here). As libbpf's
 * own probe: a link on "/" fails with EBADF where the kind exists, and a
 * pid of -1 with EINVAL where the filter was fixed. -EPERM when bpf() is
 * refused outright. */
static int bobj_probe_multi(void)
{
	struct bpf_insn insns[2];
	LIBBPF_OPTS(bpf_prog_load_opts, lo);
	uint64_t off = 0;
	int prog, fd, ok = 0;

	memset(insns, 0, sizeof(insns));
	insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K; /* r0 = 0 */
	insns[1].code = BPF_JMP | BPF_EXIT;
	lo.expected_attach_type = (enum bpf_attach_type)BOBJ_TRACE_UPROBE_MULTI;
	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, 2, &lo);
	if (prog < 0)
		return errno == EPERM ? -EPERM : 0;
	fd = bobj_umulti_create(prog, "/", &off, NULL, 1, false, 0);
	if (fd >= 0)
		close(fd);
	else if (fd == -EBADF) {
		fd = bobj_umulti_create(prog, "/", &off, NULL, 1, false, -1);
		if (fd >= 0)
			close(fd);
		ok = fd == -EINVAL;
	}
	close(prog);
	return ok;
}

/* ---- open / close ---- */

static int bobj_ring_cb(void *ctx, void *data, size_t len)
{
	struct bpfobj *o = ctx;

	o->consumed++;
	/* libbpf stops on a negative return only */
	return o->cb(o->cb_ctx, data, len) ? -ECANCELED : 0;
}

int bpfobj_open(struct bpfobj **out, const struct bpfobj_opts *opts,
		struct errbuf *eb)
{
	size_t ring = opts && opts->ring_bytes ? opts->ring_bytes : 8u << 20;
	long page = sysconf(_SC_PAGESIZE);
	struct bpfobj *o;
	char tail[600];
	int err, m;

	*out = NULL;
	if (ring < (size_t)page || (ring & (ring - 1)) || ring > (1ul << 31))
		return errbuf_set(eb, -EINVAL,
				  "the ring buffer's size must be a power of "
				  "two from %ld bytes to 2 GiB, not %zu",
				  page, ring);
	libbpf_set_print(bobj_print);
	bobj_log_len = 0;
	bobj_log[0] = 0;
	if (access("/sys/bus/event_source/devices/uprobe/type", F_OK) &&
	    access("/sys/kernel/tracing/uprobe_events", F_OK) &&
	    access("/sys/kernel/debug/tracing/uprobe_events", F_OK))
		return errbuf_set(eb, -ENOTSUP,
				  "this kernel has no uprobes "
				  "(CONFIG_UPROBE_EVENTS), which the eBPF "
				  "engine needs" HINT);
	o = xcalloc(1, sizeof(*o));
	o->ncpus = libbpf_num_possible_cpus();
	if (o->ncpus <= 0) {
		err = errbuf_set(eb, o->ncpus ? o->ncpus : -EINVAL,
				 "cannot count this machine's CPUs");
		goto fail;
	}
	o->skel = capture_bpf__open();
	if (!o->skel) {
		err = errbuf_set(eb, -errno, "opening the eBPF program: %s",
				 strerror(errno));
		goto fail;
	}
	m = opts && opts->no_multi ? 0 : bobj_probe_multi();
	if (m == -EPERM) {
		err = errbuf_set(eb, -EPERM,
				 "eBPF needs root, or CAP_BPF and CAP_PERFMON"
				 HINT);
		goto fail;
	}
	o->multi_ok = m > 0;
	if (o->multi_ok)
		bpf_program__set_expected_attach_type(
			o->skel->progs.capture_multi,
			(enum bpf_attach_type)BOBJ_TRACE_UPROBE_MULTI);
	else
		bpf_program__set_autoload(o->skel->progs.capture_multi, false);
	if (!opts || !opts->syscalls) {
		bpf_program__set_autoload(o->skel->progs.sys_enter, false);
		bpf_program__set_autoload(o->skel->progs.sys_exit, false);
	}
	bpf_map__set_max_entries(o->skel->maps.ring, (uint32_t)ring);
	/* Wake the reader when the ring is an eighth full (capture.bpf.c);
	 * opts->wake_every: at every record (tests, comparisons). */
	o->skel->rodata->wake_bytes = opts && opts->wake_every ? 0 : ring / 8;
	bpf_map__set_max_entries(o->skel->maps.scratch,
				 (uint32_t)o->ncpus * CAPBPF_NEST);
	err = capture_bpf__load(o->skel);
	if (err) {
		if (err == -EPERM || err == -EACCES) {
			bobj_verifier_tail(tail, sizeof(tail));
			if (err == -EPERM || !strstr(bobj_log, "BEGIN PROG LOAD"))
				err = errbuf_set(eb, -EPERM,
						 "eBPF needs root, or CAP_BPF "
						 "and CAP_PERFMON" HINT);
			else
				err = errbuf_set(eb, err,
						 "the kernel's verifier refused "
						 "the eBPF program: %s" HINT,
						 tail);
		} else if (strstr(bobj_log, "BEGIN PROG LOAD")) {
			bobj_verifier_tail(tail, sizeof(tail));
			err = errbuf_set(eb, err,
					 "the kernel refused the eBPF program "
					 "(%s): %s" HINT,
					 strerror(-err), tail);
		} else {
			err = errbuf_set(eb, err,
					 "loading the eBPF program: %s" HINT,
					 strerror(-err));
		}
		goto fail;
	}
	o->plans = xcalloc(CAPBPF_MAX_PLANS, sizeof(*o->plans));
	o->rb = ring_buffer__new(bpf_map__fd(o->skel->maps.ring), bobj_ring_cb,
				 o, NULL);
	if (!o->rb) {
		err = errbuf_set(eb, -errno, "opening the eBPF ring buffer: %s",
				 strerror(errno));
		goto fail;
	}
	*out = o;
	return 0;
fail:
	bpfobj_close(o);
	return err;
}

void bpfobj_close(struct bpfobj *o)
{
	if (!o)
		return;
	if (o->skel)
		bpfobj_detach_all(o);
	bpfobj_sys_detach(o);
	ring_buffer__free(o->rb);
	capture_bpf__destroy(o->skel);
	free(o->plans);
	VEC_FREE(&o->slots);
	VEC_FREE(&o->free_slots);
	VEC_FREE(&o->links);
	free(o);
}

/* ---- plans ---- */

static const char *bobj_plan_check(const struct cap_plan *p)
{
	static char why[96];

	if (p->flags & CAP_PLAN_XMM)
		return "it needs the xmm registers, which eBPF cannot read";
	if (p->nops > CAP_MAX_OPS)
		return "too many ops";
	for (uint32_t k = 0; k < p->nops; k++) {
		const struct cap_op *op = &p->ops[k];
		const struct cap_num *nums[3] = { &op->addr, &op->count,
						  &op->rep };

		if (op->len > CAP_MAX_CHUNK) {
			snprintf(why, sizeof(why), "op %u copies %u bytes", k,
				 op->len);
			return why;
		}
		for (int i = 0; i < 3; i++) {
			const struct cap_num *n = nums[i];

			if (n->src > CAP_SRC_DATA32 ||
			    (n->src == CAP_SRC_REG && n->reg >= CAP_NREGS) ||
			    (n->src >= CAP_SRC_DATA && n->op >= k)) {
				snprintf(why, sizeof(why),
					 "op %u has a bad source", k);
				return why;
			}
		}
	}
	return NULL;
}

int bpfobj_plan(struct bpfobj *o, const struct cap_plan *p, uint32_t *id,
		struct errbuf *eb)
{
	const uint32_t mask = 2 * CAPBPF_MAX_PLANS - 1;
	struct cap_plan q;
	const char *why;
	uint64_t h = 1469598103934665603ull;
	uint32_t i, k;

	if ((why = bobj_plan_check(p)))
		return errbuf_set(eb, -ENOTSUP,
				  "eBPF cannot run this capture plan: %s", why);
	/* Compared whole: what follows the used ops must not tell plans
	 * apart. */
	memset(&q, 0, sizeof(q));
	q.nops = p->nops;
	q.flags = p->flags;
	memcpy(q.ops, p->ops, p->nops * sizeof(q.ops[0]));
	for (k = 0; k < sizeof(q); k++)
		h = (h ^ ((const uint8_t *)&q)[k]) * 1099511628211ull;
	for (i = (uint32_t)h & mask;; i = (i + 1) & mask) {
		uint32_t e = o->plan_ht[i];

		if (!e)
			break;
		if (!memcmp(&o->plans[e - 1], &q, sizeof(q))) {
			*id = e - 1;
			return 0;
		}
	}
	if (o->nplans >= CAPBPF_MAX_PLANS)
		return errbuf_set(eb, -ENOSPC,
				  "more than %d distinct capture plans",
				  CAPBPF_MAX_PLANS);
	k = o->nplans;
	if (bpf_map_update_elem(bpf_map__fd(o->skel->maps.plans), &k, &q, 0))
		return errbuf_set(eb, -errno, "storing a capture plan: %s",
				  strerror(errno));
	o->plans[k] = q;
	o->plan_ht[i] = k + 1;
	o->nplans++;
	*id = k;
	return 0;
}

/* ---- probes and links ---- */

static int bobj_slot_set(struct bpfobj *o, uint32_t slot, uint32_t plan,
			 int32_t sp_bias, bool on)
{
	struct capbpf_probe v = {.plan = plan, .on = on, .sp_bias = sp_bias};

	if (bpf_map_update_elem(bpf_map__fd(o->skel->maps.probes), &slot, &v,
				0))
		return -errno;
	return 0;
}

static int bobj_slot_new(struct bpfobj *o, uint32_t id, uint32_t *slot)
{
	struct bobj_slot s = { .id = id, .used = true };

	if (o->free_slots.len) {
		*slot = o->free_slots.items[--o->free_slots.len];
		o->slots.items[*slot] = s;
		return 0;
	}
	if (o->slots.len >= CAPBPF_MAX_PROBES)
		return -ENOSPC;
	*slot = (uint32_t)o->slots.len;
	VEC_PUSH(&o->slots, s);
	return 0;
}

static void bobj_link_close(struct bpfobj *o, struct bobj_link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	bpf_link__destroy(l->link);
	for (size_t i = 0; i < l->nslots; i++) {
		struct bobj_slot *s = &o->slots.items[l->slots[i]];

		if (s->on)
			bobj_slot_set(o, l->slots[i], 0, 0, false);
		s->used = s->on = false;
		VEC_PUSH(&o->free_slots, l->slots[i]);
	}
	free(l->slots);
	memset(l, 0, sizeof(*l));
	l->fd = -1;
}

/* One link (perf or multi) holding probes idx[0..n) of p, their slots in
 * slots[]; appended to o->links on success. */
static int bobj_link_add(struct bpfobj *o, int fd, struct bpf_link *bl,
			 const uint32_t *slots, size_t n)
{
	struct bobj_link l = { .fd = fd, .link = bl, .nslots = n };

	l.slots = xmalloc(n * sizeof(*l.slots));
	memcpy(l.slots, slots, n * sizeof(*l.slots));
	for (size_t i = 0; i < n; i++)
		o->slots.items[slots[i]].link = (uint32_t)o->links.len;
	VEC_PUSH(&o->links, l);
	return 0;
}

static int bobj_cmp_group(const void *a, const void *b, void *ctx)
{
	const struct bpfobj_probe *p = ctx;
	const struct bpfobj_probe *x = &p[*(const size_t *)a],
				  *y = &p[*(const size_t *)b];
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	if (x->ret != y->ret)
		return x->ret ? 1 : -1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* A multi link refused: finds a probe the kernel refuses alone (halving
 * the set), for the message. */
static size_t bobj_find_bad(int prog, const char *path, const uint64_t *offs,
			    const uint64_t *cookies, size_t n, bool ret,
			    int pid, int *err)
{
	size_t lo = 0, hi = n;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		int fd = bobj_umulti_create(prog, path, offs + lo, cookies + lo,
					    (uint32_t)(mid - lo), ret, pid);

		if (fd >= 0) {
			close(fd);
			lo = mid;
		} else {
			*err = fd;
			hi = mid;
		}
	}
	return lo;
}

static int bobj_attach_multi(struct bpfobj *o, pid_t pid,
			     const struct bpfobj_probe *p, const size_t *idx,
			     size_t n, const uint32_t *slot_of,
			     struct errbuf *eb)
{
	int prog = bpf_program__fd(o->skel->progs.capture_multi);
	uint64_t *offs = xmalloc(n * sizeof(*offs));
	uint64_t *cookies = xmalloc(n * sizeof(*cookies));
	uint32_t *slots = xmalloc(n * sizeof(*slots));
	int err = 0;

	for (size_t g = 0, e; g < n; g = e) {
		const struct bpfobj_probe *first = &p[idx[g]];
		int fd;

		for (e = g; e < n && !strcmp(p[idx[e]].path, first->path) &&
			    p[idx[e]].ret == first->ret;
		     e++) {
			offs[e - g] = p[idx[e]].offset;
			slots[e - g] = slot_of[idx[e]];
			cookies[e - g] =
				CAPBPF_COOKIE(slots[e - g], p[idx[e]].probe_id);
		}
		fd = bobj_umulti_create(prog, first->path, offs, cookies,
					(uint32_t)(e - g), first->ret, pid);
		if (fd < 0) {
			int why = fd;
			size_t bad = bobj_find_bad(prog, first->path, offs,
						   cookies, e - g, first->ret,
						   pid, &why);

			/* the set minus the last may still fail: the
			 * refusal may not be one probe's */
			err = errbuf_set(eb, why,
					 "the kernel refused a uprobe%s at "
					 "%s+0x%llx: %s" HINT,
					 first->ret ? " (return)" : "",
					 first->path,
					 (unsigned long long)offs[bad],
					 bobj_strerror(-why));
			break;
		}
		bobj_link_add(o, fd, NULL, slots, e - g);
		o->multi_used = true;
	}
	free(offs);
	free(cookies);
	free(slots);
	return err;
}

int bpfobj_attach(struct bpfobj *o, pid_t pid, const struct bpfobj_probe *p,
		  size_t n, struct errbuf *eb)
{
	size_t links0 = o->links.len, i;
	uint32_t *slot_of = xmalloc((n ? n : 1) * sizeof(*slot_of));
	size_t *idx = xmalloc((n ? n : 1) * sizeof(*idx));
	int err = 0;

	for (i = 0; i < n; i++) {
		if (!p[i].path || p[i].plan >= o->nplans) {
			err = errbuf_set(eb, -EINVAL,
					 "probe %u: no file or no such plan",
					 p[i].probe_id);
			goto undo;
		}
		if ((err = bobj_slot_new(o, p[i].probe_id, &slot_of[i]))) {
			err = errbuf_set(eb, err, "more than %u eBPF probes",
					 CAPBPF_MAX_PROBES);
			goto undo;
		}
		/* off until every link exists: nothing recorded from a
		 * failed attach */
		if ((err = bobj_slot_set(o, slot_of[i], p[i].plan,
					 p[i].sp_bias, false))) {
			err = errbuf_set(eb, err, "storing a probe: %s",
					 strerror(-err));
			i++;
			goto undo;
		}
		idx[i] = i;
	}
	if (o->multi_ok) {
		qsort_r(idx, n, sizeof(*idx), bobj_cmp_group, (void *)p);
		err = bobj_attach_multi(o, pid, p, idx, n, slot_of, eb);
	} else {
		for (i = 0; i < n && !err; i++) {
			LIBBPF_OPTS(bpf_uprobe_opts, uo);
			struct bpf_link *l;

			uo.bpf_cookie = CAPBPF_COOKIE(slot_of[i], p[i].probe_id);
			uo.retprobe = p[i].ret;
			l = bpf_program__attach_uprobe_opts(
				o->skel->progs.capture, pid, p[i].path,
				p[i].offset, &uo);
			if (!l) {
				err = errbuf_set(eb, -errno,
						 "the kernel refused a uprobe%s "
						 "at %s+0x%llx: %s" HINT,
						 p[i].ret ? " (return)" : "",
						 p[i].path,
						 (unsigned long long)p[i].offset,
						 bobj_strerror(errno));
				break;
			}
			bobj_link_add(o, -1, l, &slot_of[i], 1);
		}
	}
	i = n;
	if (err)
		goto undo;
	for (i = 0; i < n; i++) {
		if ((err = bobj_slot_set(o, slot_of[i], p[i].plan,
					 p[i].sp_bias, true))) {
			err = errbuf_set(eb, err, "switching a probe on: %s",
					 strerror(-err));
			i = n;
			goto undo;
		}
		o->slots.items[slot_of[i]].on = true;
	}
	for (size_t l = links0; l < o->links.len; l++)
		o->links.items[l].live = o->links.items[l].nslots;
	free(slot_of);
	free(idx);
	return 0;
undo:
	/* slots [0, i) were taken; those in new links go with the links */
	while (o->links.len > links0)
		bobj_link_close(o, &o->links.items[--o->links.len]);
	for (size_t j = 0; j < i; j++) {
		struct bobj_slot *s = &o->slots.items[slot_of[j]];

		if (s->used) {
			bobj_slot_set(o, slot_of[j], 0, 0, false);
			s->used = s->on = false;
			VEC_PUSH(&o->free_slots, slot_of[j]);
		}
	}
	free(slot_of);
	free(idx);
	return err;
}

static int bobj_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void bpfobj_detach(struct bpfobj *o, const uint32_t *ids, size_t n)
{
	uint32_t *sorted;

	if (!n)
		return;
	sorted = xmalloc(n * sizeof(*sorted));
	memcpy(sorted, ids, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), bobj_cmp_u32);
	for (size_t i = 0; i < o->slots.len; i++) {
		struct bobj_slot *s = &o->slots.items[i];
		struct bobj_link *l;

		if (!s->used || !s->on ||
		    !bsearch(&s->id, sorted, n, sizeof(*sorted), bobj_cmp_u32))
			continue;
		/* off first: its records stop here, whatever the link */
		bobj_slot_set(o, (uint32_t)i, 0, 0, false);
		s->on = false;
		l = &o->links.items[s->link];
		if (--l->live == 0)
			bobj_link_close(o, l);
	}
	free(sorted);
	/* closed links leave holes (fd -1, no slots): drop trailing ones */
	while (o->links.len && o->links.items[o->links.len - 1].fd < 0 &&
	       !o->links.items[o->links.len - 1].link)
		o->links.len--;
}

void bpfobj_detach_all(struct bpfobj *o)
{
	for (size_t i = 0; i < o->slots.len; i++)
		if (o->slots.items[i].on) {
			bobj_slot_set(o, (uint32_t)i, 0, 0, false);
			o->slots.items[i].on = false;
		}
	for (size_t i = 0; i < o->links.len; i++)
		bobj_link_close(o, &o->links.items[i]);
	o->links.len = 0;
	o->slots.len = 0;
	o->free_slots.len = 0;
}

/* ---- records ---- */

int bpfobj_epoll_fd(struct bpfobj *o)
{
	return ring_buffer__epoll_fd(o->rb);
}

int bpfobj_consume(struct bpfobj *o,
		   int (*cb)(void *ctx, const void *rec, size_t len), void *ctx)
{
	int err;

	o->cb = cb;
	o->cb_ctx = ctx;
	o->consumed = 0;
	err = ring_buffer__consume(o->rb);
	if (err < 0 && err != -ECANCELED)
		return err;
	return o->consumed;
}

uint64_t bpfobj_made(struct bpfobj *o)
{
	struct capbpf_stats *v = xcalloc((size_t)o->ncpus, sizeof(*v));
	uint32_t zero = 0;
	uint64_t sum = 0;

	if (!bpf_map_lookup_elem(bpf_map__fd(o->skel->maps.stats), &zero, v))
		for (int i = 0; i < o->ncpus; i++)
			sum += v[i].made;
	free(v);
	return sum;
}

uint64_t bpfobj_lost(struct bpfobj *o)
{
	struct capbpf_stats *v = xcalloc((size_t)o->ncpus, sizeof(*v));
	uint32_t zero = 0;
	uint64_t sum = 0;

	if (!bpf_map_lookup_elem(bpf_map__fd(o->skel->maps.stats), &zero, v))
		for (int i = 0; i < o->ncpus; i++)
			sum += v[i].lost;
	free(v);
	return sum;
}

bool bpfobj_multi(const struct bpfobj *o)
{
	return o->multi_used;
}

/* ---- --syscalls: the raw_syscalls tracepoints ---- */

int bpfobj_sys_attach(struct bpfobj *o, struct errbuf *eb)
{
	static const char *const names[2] = {"sys_enter", "sys_exit"};
	struct bpf_program *progs[2] = {o->skel->progs.sys_enter,
					o->skel->progs.sys_exit};
	const char *hook = getenv("TINYDBG_TEST_NO_SYSCALL_TP");

	if (hook && !strcmp(hook, "1"))
		return errbuf_set(eb, -ENOTSUP,
				  "disabled by TINYDBG_TEST_NO_SYSCALL_TP=1");
	if (bpf_program__fd(progs[0]) < 0)
		return errbuf_set(eb, -EINVAL,
				  "the syscall programs were not loaded");
	for (int i = 0; i < 2; i++) {
		if (o->sys_links[i])
			continue;
		o->sys_links[i] =
			bpf_program__attach_raw_tracepoint(progs[i], names[i]);
		if (!o->sys_links[i]) {
			int err = -errno;

			bpfobj_sys_detach(o);
			return errbuf_set(eb, err,
					  "attaching the %s tracepoint: %s",
					  names[i], strerror(-err));
		}
	}
	return 0;
}

int bpfobj_sys_select(struct bpfobj *o, int nr, uint32_t entry_plan,
		      uint32_t exit_plan, struct errbuf *eb)
{
	struct capbpf_sys v = {.on = 1, .plan = {entry_plan, exit_plan}};
	uint32_t k = (uint32_t)nr;

	if (nr < 0 || nr >= CAPBPF_SYS_MAX)
		return errbuf_set(eb, -EINVAL, "system call %d out of range",
				  nr);
	if (bpf_map_update_elem(bpf_map__fd(o->skel->maps.sys), &k, &v, 0))
		return errbuf_set(eb, -errno, "selecting system call %d: %s",
				  nr, strerror(errno));
	return 0;
}

/* Puts id in (or takes it out of) a set kept as a hash map's keys. */
static int set_member(struct bpf_map *m, uint32_t id, bool in)
{
	uint32_t one = 1;
	int fd = bpf_map__fd(m);

	if (in ? bpf_map_update_elem(fd, &id, &one, 0)
	       : bpf_map_delete_elem(fd, &id))
		return -errno;
	return 0;
}

int bpfobj_sys_pid(struct bpfobj *o, pid_t tgid, bool add)
{
	return set_member(o->skel->maps.tgids, (uint32_t)tgid, add);
}

int bpfobj_sys_mute(struct bpfobj *o, pid_t tid, bool mute)
{
	return set_member(o->skel->maps.muted, (uint32_t)tid, mute);
}

void bpfobj_sys_detach(struct bpfobj *o)
{
	for (int i = 0; i < 2; i++) {
		bpf_link__destroy(o->sys_links[i]);
		o->sys_links[i] = NULL;
	}
}
