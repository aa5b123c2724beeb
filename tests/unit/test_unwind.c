/* The unwinder against real stopped processes: fixtures (tests/fixtures/
 * unwind/) built here with gcc -O0, gcc -O2 (no frame pointers), clang -O2
 * and Go, run under the ptrace engine with probes on their functions; each
 * hit's stack is unwound from the hit's registers and memory, and its
 * frames named through the symtabs of the process's modules.
 *
 * Covered: every instruction of a leaf and of its caller (prologue and
 * epilogue rows included), signal handlers entered by raise() (interrupting
 * libc) and by a timer (interrupting user code at any instruction), code
 * without CFI (the frame pointer fallback), Go goroutines, the walk's ends,
 * and the cost of one unwind, printed. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arch/x86.h"
#include "check.h"
#include "engine/engine.h"
#include "sym/symtab.h"
#include "unwind/unwind.h"

static const struct engine_ops *ops;
static char tmpdir[64];
static const char *srcdir = "tests/fixtures/unwind";

#define MAXF 32

/* ---- the target's modules, from /proc/PID/maps ---- */

struct mod {
	char path[256];
	struct symtab *st;
	uint64_t bias, lo, hi;
};

struct mods {
	struct mod m[32];
	int n;
};

/* The link-time address of path's first loadable segment, page aligned:
 * the module's bias is where its offset 0 is mapped, less this. */
static int first_vaddr(const char *path, uint64_t *out)
{
	int fd = open(path, O_RDONLY), err = -1;
	Elf *elf;
	size_t n;

	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf && !elf_getphdrnum(elf, &n))
		for (size_t i = 0; i < n; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(elf, (int)i, &ph) &&
			    ph.p_type == PT_LOAD) {
				*out = ph.p_vaddr & ~0xfffull;
				err = 0;
				break;
			}
		}
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

static void mods_scan(struct mods *ms, pid_t pid)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, off;
		char file[256] = "";
		struct mod *m = NULL;
		uint64_t v0;

		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %255s", &lo, &hi,
			   &off, file) < 3 || file[0] != '/')
			continue;
		for (int i = 0; i < ms->n; i++)
			if (!strcmp(ms->m[i].path, file))
				m = &ms->m[i];
		if (!m) {
			struct errbuf eb;
			if (ms->n == 32 || off || first_vaddr(file, &v0))
				continue;
			m = &ms->m[ms->n];
			memset(m, 0, sizeof(*m));
			snprintf(m->path, sizeof(m->path), "%s", file);
			if (symtab_open(&m->st, file, &eb))
				continue;
			ms->n++;
			m->bias = lo - v0;
			m->lo = lo;
		}
		if (hi > m->hi)
			m->hi = hi;
	}
	fclose(f);
}

static void mods_close(struct mods *ms)
{
	for (int i = 0; i < ms->n; i++)
		symtab_close(ms->m[i].st);
	ms->n = 0;
}

static int module_at(void *ctx, uint64_t pc, struct symtab **st,
		     uint64_t *bias)
{
	struct mods *ms = ctx;

	for (int i = 0; i < ms->n; i++)
		if (pc >= ms->m[i].lo && pc < ms->m[i].hi) {
			*st = ms->m[i].st;
			*bias = ms->m[i].bias;
			return 0;
		}
	return -ENOENT;
}

static const char *frame_name(struct mods *ms, const struct unwind_frame *f)
{
	uint64_t pc = unwind_frame_lookup_pc(f), bias;
	struct symtab *st;

	if (module_at(ms, pc, &st, &bias))
		return NULL;
	return symtab_name_at(st, pc - bias);
}

/* ---- building and launching fixtures ---- */

static const char *build(const char *cc, const char *flags, const char *tag)
{
	static char out[16][256];
	static int n;
	char cmd[1024];
	char *o = out[n++ % 16];

	snprintf(o, 256, "%s/stack-%s", tmpdir, tag);
	snprintf(cmd, sizeof(cmd), "%s %s -o %s %s/stack.c", cc, flags, o,
		 srcdir);
	if (system(cmd)) {
		fprintf(stderr, "cannot build: %s\n", cmd);
		return NULL;
	}
	return o;
}

static const char *build_go(const char *gcflags, const char *tag)
{
	static char out[4][256];
	static int n;
	char cmd[1024];
	char *o = out[n++ % 4];

	snprintf(o, 256, "%s/gostack-%s", tmpdir, tag);
	/* go needs a cache directory: its default is under $HOME. */
	snprintf(cmd, sizeof(cmd),
		 "cd %s/gostack && GOCACHE=${GOCACHE:-${HOME:-%s}/.cache/go-build} "
		 "go build %s -o %s . >%s.log 2>&1",
		 srcdir, tmpdir, gcflags, o, o);
	if (system(cmd)) {
		fprintf(stderr, "cannot build: %s\n", cmd);
		return NULL;
	}
	return o;
}

/* The link-time range of function name, from the symtab. */
static int func_range(const char *bin, const char *name, uint64_t *lo,
		      uint64_t *hi)
{
	struct symtab *st;
	struct errbuf eb;
	int err = -ENOENT;

	if (symtab_open(&st, bin, &eb))
		return -1;
	for (size_t i = 0; i < symtab_nfuncs(st); i++) {
		const struct func *f = symtab_func(st, i);
		if (strcmp(f->name, name) || !f->nranges)
			continue;
		*lo = f->ranges[0].lo;
		*hi = f->ranges[0].hi;
		err = 0;
		break;
	}
	symtab_close(st);
	return err;
}

/* ---- the hit callback ---- */

struct stack {
	struct unwind_frame f[MAXF];
	const char *name[MAXF];
	size_t n;
	enum unwind_end end;
	int err;
};

struct tctx {
	struct engine *e;
	struct mods mods;
	bool scanned;
	struct unwinder *u;
	struct probe probes[512];
	int nprobes;
	struct stack stacks[256];
	int nstacks;
	long hits;
	/* time the unwind at the first hit: repeats, and the result */
	int bench;
	double ns_cached, ns_cold;
	size_t bench_frames;
	long bench_reads;
	/* ends on a hit whose acc or modules are broken on purpose */
	bool edge_cases;
	/* 1: hits only counted; 2: each unwound, 10 frames at most */
	int timed;
};

static void unwind_into(struct tctx *c, const struct target_access *acc,
			struct stack *s, size_t max)
{
	struct unwind_modules um = {.ctx = &c->mods, .module_at = module_at};

	s->err = unwind_stack(c->u, acc, &um, s->f, max, &s->n, &s->end);
	for (size_t i = 0; i < s->n; i++)
		s->name[i] = frame_name(&c->mods, &s->f[i]);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Counts the reads of target memory an unwind makes. */
static const struct target_access *counted_acc;
static long nreads;

static int counting_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	nreads++;
	return counted_acc->read_mem(ctx, addr, buf, len);
}

static void time_unwinds(struct tctx *c, const struct target_access *acc)
{
	struct unwind_modules um = {.ctx = &c->mods, .module_at = module_at};
	struct target_access counting = *acc;
	struct unwind_frame f[MAXF];
	size_t n = 0;
	double t0;

	counted_acc = acc;
	counting.read_mem = counting_read;
	unwind_stack(c->u, &counting, &um, f, MAXF, &n, NULL);
	c->bench_reads = nreads;
	t0 = now_ns();
	for (int i = 0; i < c->bench; i++)
		unwind_stack(c->u, acc, &um, f, MAXF, &n, NULL);
	c->ns_cached = (now_ns() - t0) / c->bench;
	c->bench_frames = n;
	/* Cold: every row parsed by libdw again. */
	t0 = now_ns();
	for (int i = 0; i < c->bench / 10; i++) {
		unwinder_forget(c->u, NULL);
		unwind_stack(c->u, acc, &um, f, MAXF, &n, NULL);
	}
	c->ns_cold = (now_ns() - t0) / (c->bench / 10);
}

/* Accessors that fail, wrapping the hit's. */
static int fail_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return -EIO;
}

static int no_module(void *ctx, uint64_t pc, struct symtab **st,
		     uint64_t *bias)
{
	return -ENOENT;
}

static void edge_cases(struct tctx *c, const struct target_access *acc)
{
	struct unwind_modules um = {.ctx = &c->mods, .module_at = module_at};
	struct unwind_modules none = {.module_at = no_module};
	struct target_access bad = *acc;
	struct unwind_frame f[MAXF];
	enum unwind_end end;
	size_t n;

	/* max frames: the last one still has its CFA */
	CHECK_INT(unwind_stack(c->u, acc, &um, f, 2, &n, &end), 0);
	CHECK_INT(n, 2);
	CHECK_INT(end, UNWIND_END_MAX);
	CHECK(f[1].cfa > f[0].cfa);
	CHECK_INT(unwind_stack(c->u, acc, &um, f, 0, &n, &end), 0);
	CHECK_INT(n, 0);
	/* no module: the hit's frame only */
	CHECK_INT(unwind_stack(c->u, acc, &none, f, MAXF, &n, &end), 0);
	CHECK_INT(n, 1);
	CHECK_INT(end, UNWIND_END_NO_MODULE);
	/* at leaf's entry the CFA is rsp + 8, no memory needed; the return
	 * address is unreadable */
	bad.read_mem = fail_mem;
	CHECK_INT(unwind_stack(c->u, &bad, &um, f, MAXF, &n, &end), 0);
	CHECK_INT(n, 1);
	CHECK_INT(end, UNWIND_END_UNREADABLE);
	CHECK(f[0].cfa != 0);
	/* the executable's rows forgotten, libc's kept: the same stack */
	struct unwind_frame g[MAXF];
	size_t m;
	CHECK_INT(unwind_stack(c->u, acc, &um, f, MAXF, &n, &end), 0);
	unwinder_forget(c->u, c->mods.m[0].st);
	CHECK_INT(unwind_stack(c->u, acc, &um, g, MAXF, &m, &end), 0);
	CHECK_INT(m, n);
	CHECK(!memcmp(f, g, n * sizeof(*f)));
	CHECK_INT(end, UNWIND_END_OUTERMOST);
}

static int on_hit(void *ctx, const struct hit *h)
{
	struct tctx *c = ctx;

	if (!c->scanned) {
		mods_scan(&c->mods, ops->pid(c->e));
		c->scanned = true;
	}
	if (c->bench && !c->hits)
		time_unwinds(c, h->acc);
	if (c->edge_cases && !c->hits)
		edge_cases(c, h->acc);
	c->hits++;
	if (c->timed) {
		/* --stack 10, as the debugger would ask for it */
		struct unwind_modules um = {.ctx = &c->mods,
					    .module_at = module_at};
		struct unwind_frame f[10];
		size_t n;
		if (c->timed > 1)
			unwind_stack(c->u, h->acc, &um, f, 10, &n, NULL);
		return 0;
	}
	if (c->nstacks < 256)
		unwind_into(c, h->acc, &c->stacks[c->nstacks++], MAXF);
	return 0;
}

static struct engine *launch(const char *bin, const char *a1, const char *a2,
			     struct tctx *c)
{
	char *argv[] = {(char *)bin, (char *)a1, (char *)a2, NULL};
	struct launch_opts o = {.argv = argv, .disable_aslr = true};
	struct errbuf eb = {{0}};
	int err;

	memset(c, 0, sizeof(*c));
	c->u = unwinder_new();
	err = ops->launch(&c->e, &o, &eb);
	if (err)
		fprintf(stderr, "launch %s: %s\n", bin, eb.msg);
	CHECK_INT(err, 0);
	return err ? NULL : c->e;
}

static void add_probe(struct tctx *c, uint64_t addr)
{
	struct probe *p = &c->probes[c->nprobes++];
	struct errbuf eb = {{0}};
	int err;

	p->addr = addr;
	p->kind = PROBE_ENTRY;
	p->cookie = c;
	err = ops->insert_probe(c->e, p, &eb);
	if (err)
		fprintf(stderr, "insert_probe 0x%llx: %s\n",
			(unsigned long long)addr, eb.msg);
	CHECK_INT(err, 0);
}

/* A probe on every instruction of [lo, hi) (link-time) of bin. */
static void probe_all(struct tctx *c, const char *bin, uint64_t lo,
		      uint64_t hi)
{
	struct symtab *st;
	struct errbuf eb;
	uint8_t code[4096];
	struct insn in;
	uint64_t bias = ops->load_bias(c->e);

	if (hi - lo > sizeof(code) || symtab_open(&st, bin, &eb)) {
		CHECK(!"function readable");
		return;
	}
	CHECK_INT(symtab_read(st, lo, code, hi - lo), 0);
	for (uint64_t a = lo; a < hi && c->nprobes < 512; a += in.len) {
		if (x86_decode(code + (a - lo), hi - a, a, &in)) {
			CHECK(!"decodable");
			break;
		}
		/* int3 padding after the last ret (clang) is never run */
		if (in.cls == INSN_INT3)
			break;
		add_probe(c, a + bias);
	}
	symtab_close(st);
}

static void run_to_exit(struct tctx *c, const char *what)
{
	struct engine_callbacks cb = {.ctx = c, .on_hit = on_hit};
	struct exit_info ex = {0};
	struct errbuf eb = {{0}};
	int err = ops->run(c->e, &cb, &ex, &eb);

	if (err || ex.kind != EXIT_STATUS || ex.code)
		fprintf(stderr, "%s: run %d (%s), exit kind %d code %d\n",
			what, err, eb.msg, ex.kind, ex.code);
	CHECK_INT(err, 0);
	CHECK_INT(ex.kind, EXIT_STATUS);
	CHECK_INT(ex.code, 0);
	ops->close(c->e);
}

static void tctx_free(struct tctx *c)
{
	mods_close(&c->mods);
	unwinder_free(c->u);
}

/* ---- checking stacks ---- */

static bool named(const struct stack *s, size_t i, const char *name)
{
	return i < s->n && s->name[i] && !strcmp(s->name[i], name);
}

/* The index of the first frame named name at or after from, or -1. */
static int find_frame(const struct stack *s, size_t from, const char *name)
{
	for (size_t i = from; i < s->n; i++)
		if (named(s, i, name))
			return (int)i;
	return -1;
}

static void dump(const struct stack *s, const char *what)
{
	fprintf(stderr, "  %s: %zu frames, end %d, err %d\n", what, s->n,
		s->end, s->err);
	for (size_t i = 0; i < s->n; i++)
		fprintf(stderr, "    %2zu 0x%016llx cfa 0x%llx %s%s%s %s\n", i,
			(unsigned long long)s->f[i].pc,
			(unsigned long long)s->f[i].cfa,
			s->f[i].flags & UNWIND_FRAME_RETADDR ? "R" : "-",
			s->f[i].flags & UNWIND_FRAME_SIGNAL ? "S" : "-",
			s->f[i].flags & UNWIND_FRAME_FP ? "F" : "-",
			s->name[i] ? s->name[i] : "?");
}

/* names[] from frame 0, then the walk goes to the thread's first frame:
 * _start (C) or the given last name (Go). CFAs grow frame by frame. */
static bool expect(const struct stack *s, const char *const *names,
		   const char *last, const char *what)
{
	bool ok = !s->err && s->end == UNWIND_END_OUTERMOST && s->n > 0 &&
		  named(s, s->n - 1, last);
	int i;

	for (i = 0; names[i]; i++)
		ok = ok && named(s, (size_t)i, names[i]);
	for (size_t k = 1; k < s->n; k++)
		ok = ok && s->f[k].cfa > s->f[k - 1].cfa &&
		     (s->f[k].flags & UNWIND_FRAME_RETADDR);
	ok = ok && !(s->f[0].flags & UNWIND_FRAME_RETADDR);
	CHECK(ok);
	if (!ok || getenv("TEST_UNWIND_DUMP"))
		dump(s, what);
	return ok;
}

/* ---- the tests ---- */

/* A probe on each instruction of leaf and of mid: from anywhere in them the
 * stack reads leaf, mid, top, main, ..., _start. */
static void test_c(const char *cc, const char *flags, const char *tag)
{
	static const char *const from_leaf[] = {"leaf", "mid", "top", "main",
						NULL};
	static const char *const from_mid[] = {"mid", "top", "main", NULL};
	const char *bin = build(cc, flags, tag);
	uint64_t llo, lhi, mlo, mhi;
	static struct tctx c;
	int bad = 0;

	if (!bin || func_range(bin, "leaf", &llo, &lhi) ||
	    func_range(bin, "mid", &mlo, &mhi)) {
		CHECK(!"fixture built");
		return;
	}
	if (!launch(bin, "plain", "2", &c))
		return;
	probe_all(&c, bin, llo, lhi);
	int nleaf = c.nprobes;
	probe_all(&c, bin, mlo, mhi);
	int nmid = c.nprobes - nleaf;
	run_to_exit(&c, tag);
	/* Two calls: every instruction of leaf runs; mid's all but none. */
	CHECK(c.hits >= 2 * (nleaf + nmid) - 4);
	for (int i = 0; i < c.nstacks; i++) {
		const struct stack *s = &c.stacks[i];
		char what[64];
		snprintf(what, sizeof(what), "%s hit %d", tag, i);
		if (!expect(s, named(s, 0, "leaf") ? from_leaf : from_mid,
			    "_start", what))
			bad++;
	}
	CHECK_INT(bad, 0);
	printf("%s %s: %d stacks from every instruction of leaf and mid, "
	       "each down to _start\n", cc, tag, c.nstacks);
	tctx_free(&c);
}

/* ---- the row cache, without a process ---- */

/* Frame 0 only, at a pc of our own executable: registers from regs[],
 * memory all zeros (the return address 0 ends the walk). */
struct fake {
	uint64_t regs[17];
	struct symtab *st;
};

static int fake_reg(void *ctx, int reg, void *buf, size_t len)
{
	struct fake *fk = ctx;

	if (reg < 0 || reg > 16 || len != 8)
		return -EINVAL;
	memcpy(buf, &fk->regs[reg], 8);
	return 0;
}

static int fake_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	memset(buf, 0, len);
	return 0;
}

static int fake_module(void *ctx, uint64_t pc, struct symtab **st,
		       uint64_t *bias)
{
	*st = ((struct fake *)ctx)->st;
	*bias = 0;
	return 0;
}

/* At every function's first instruction the CFA is rsp + 8, whether the
 * row is parsed, cached, or parsed again after the cache overflowed
 * (thousands of pcs: it grows to its cap, then empties). */
static void test_cache(void)
{
	static struct fake fk;
	struct target_access acc = {.ctx = &fk, .read_mem = fake_mem,
				    .read_reg = fake_reg};
	struct unwind_modules um = {.ctx = &fk, .module_at = fake_module};
	struct unwinder *u = unwinder_new();
	struct unwind_frame f[2];
	enum unwind_end end;
	struct errbuf eb;
	size_t n, nf = 0;
	long bad = 0, checked = 0;

	if (symtab_open(&fk.st, "/proc/self/exe", &eb)) {
		CHECK(!"own executable opened");
		unwinder_free(u);
		return;
	}
	fk.regs[7] = 0x7ff000001000;
	for (int pass = 0; pass < 3; pass++) {
		nf = 0;
		for (size_t i = 0; i < symtab_nfuncs(fk.st); i++) {
			const struct func *fn = symtab_func(fk.st, i);
			if (!fn->has_dwarf || !fn->nranges)
				continue;
			nf++;
			/* pcs inside each function too: thousands */
			for (uint64_t a = fn->low_pc;
			     a < fn->low_pc + 64 && a < fn->ranges[0].hi; a++) {
				fk.regs[16] = a;
				unwind_stack(u, &acc, &um, f, 2, &n, &end);
			}
			fk.regs[16] = fn->low_pc;
			if (unwind_stack(u, &acc, &um, f, 2, &n, &end) || n != 1 ||
			    end != UNWIND_END_OUTERMOST ||
			    f[0].cfa != fk.regs[7] + 8)
				bad++;
			checked++;
		}
	}
	CHECK(nf > 100);
	CHECK_INT(bad, 0);
	unwinder_forget(u, fk.st);
	unwinder_free(u);
	symtab_close(fk.st);
	printf("row cache: %ld function entries checked, CFA = rsp + 8\n",
	       checked);
}

/* The stack at leaf's entry, and its cost. */
static void test_cost(const char *cc, const char *flags, const char *tag)
{
	static const char *const names[] = {"leaf", "mid", "top", "main",
					     NULL};
	const char *bin = build(cc, flags, tag);
	uint64_t lo, hi;
	static struct tctx c;

	if (!bin || func_range(bin, "leaf", &lo, &hi)) {
		CHECK(!"fixture built");
		return;
	}
	if (!launch(bin, "plain", "1", &c))
		return;
	c.bench = 10000;
	c.edge_cases = true;
	add_probe(&c, lo + ops->load_bias(c.e));
	run_to_exit(&c, tag);
	CHECK_INT(c.hits, 1);
	expect(&c.stacks[0], names, "_start", tag);
	printf("%s %s: one unwind of %zu frames (%ld reads of the target): "
	       "%.2f us with cached rows, %.2f us parsing every row\n",
	       cc, tag, c.bench_frames, c.bench_reads, c.ns_cached / 1000,
	       c.ns_cold / 1000);
	tctx_free(&c);

	/* The whole hit, with and without the unwind. */
	double per_hit[2];
	for (int timed = 1; timed <= 2; timed++) {
		double t0 = now_ns();
		if (!launch(bin, "plain", "20000", &c))
			return;
		c.timed = timed;
		add_probe(&c, lo + ops->load_bias(c.e));
		run_to_exit(&c, tag);
		CHECK_INT(c.hits, 20000);
		per_hit[timed - 1] = (now_ns() - t0) / 20000;
		tctx_free(&c);
	}
	printf("%s %s: a hit costs %.2f us, %.2f us with --stack 10\n", cc,
	       tag, per_hit[0] / 1000, per_hit[1] / 1000);
}

/* leaf called from a signal handler: leaf, handler, the signal trampoline
 * (__restore_rt, unnamed in a stripped libc), then the interrupted code:
 * libc's raise (mode "raise") or spin, stopped anywhere in its loop (mode
 * "timer"), whose pc is no return address. */
static void test_signal(const char *cc, const char *flags, const char *tag,
			const char *mode)
{
	const char *bin = build(cc, flags, tag);
	const char *caller = !strcmp(mode, "raise") ? "raiser" : "spin";
	uint64_t lo, hi;
	static struct tctx c;
	bool ok;

	if (!bin || func_range(bin, "leaf", &lo, &hi)) {
		CHECK(!"fixture built");
		return;
	}
	if (!launch(bin, mode, NULL, &c))
		return;
	add_probe(&c, lo + ops->load_bias(c.e));
	run_to_exit(&c, tag);
	CHECK_INT(c.hits, 1);
	const struct stack *s = &c.stacks[0];
	int k = find_frame(s, 2, caller);
	ok = !s->err && s->n >= 5 && named(s, 0, "leaf") &&
	     named(s, 1, "handler") && s->f[2].flags == UNWIND_FRAME_SIGNAL &&
	     !(s->f[3].flags & UNWIND_FRAME_RETADDR) &&
	     (!s->name[2] || !strcmp(s->name[2], "__restore_rt")) && k >= 3 &&
	     find_frame(s, (size_t)k, "main") > k &&
	     s->end == UNWIND_END_OUTERMOST && named(s, s->n - 1, "_start");
	if (!strcmp(mode, "timer"))
		ok = ok && k == 3;
	/* libc.a keeps its local symbols */
	if (strstr(flags, "-static"))
		ok = ok && named(s, 2, "__restore_rt");
	CHECK(ok);
	if (!ok || getenv("TEST_UNWIND_DUMP"))
		dump(s, tag);
	if (ok)
		printf("%s %s %s: leaf, handler, %s, %s ... main ... _start "
		       "(%zu frames)\n",
		       cc, tag, mode, s->name[2] ? s->name[2] : "<trampoline>",
		       s->name[3] ? s->name[3] : "<libc>", s->n);
	tctx_free(&c);
}

/* No CFI for the fixture's own code (no unwind tables, no -g): the frame
 * pointer chain, from a probe past leaf's prologue. */
static void test_fp(void)
{
	static const char *const names[] = {"leaf", "mid", "top", "main",
					    NULL};
	const char *bin = build("gcc",
				"-O0 -fno-omit-frame-pointer "
				"-fno-asynchronous-unwind-tables "
				"-fno-unwind-tables",
				"nocfi");
	uint64_t lo, hi, at = 0;
	struct symtab *st;
	struct errbuf eb;
	uint8_t code[256];
	static struct tctx c;

	if (!bin || func_range(bin, "leaf", &lo, &hi) ||
	    symtab_open(&st, bin, &eb)) {
		CHECK(!"fixture built");
		return;
	}
	/* past mov %rsp,%rbp */
	CHECK_INT(symtab_read(st, lo, code, 16), 0);
	for (int i = 0; i + 3 <= 16 && !at; i++)
		if (code[i] == 0x48 && code[i + 1] == 0x89 && code[i + 2] == 0xe5)
			at = lo + (uint64_t)i + 3;
	symtab_close(st);
	CHECK(at != 0);
	if (!at || !launch(bin, "plain", "1", &c))
		return;
	add_probe(&c, at + ops->load_bias(c.e));
	run_to_exit(&c, "nocfi");
	CHECK_INT(c.hits, 1);
	const struct stack *s = &c.stacks[0];
	if (expect(s, names, "_start", "nocfi")) {
		for (int i = 0; i < 4; i++)
			CHECK(s->f[i].flags & UNWIND_FRAME_FP);
		CHECK(!(s->f[4].flags & UNWIND_FRAME_FP));
		printf("gcc -O0 without CFI: %zu frames by the frame pointer "
		       "chain, then CFI\n", s->n);
	}
	tctx_free(&c);
}

/* Go: .debug_frame, CFA = rsp + N. main.leaf is hit twice: on the main
 * goroutine (... main.main, runtime.main, runtime.goexit) and on a
 * goroutine whose stack starts at runtime.goexit. */
static void test_go(const char *gcflags, const char *tag)
{
	static const char *const from_main[] = {"main.leaf", "main.mid",
						"main.top", "main.main",
						"runtime.main", NULL};
	static const char *const from_worker[] = {"main.leaf", "main.mid",
						  "main.top", "main.worker",
						  NULL};
	const char *bin = build_go(gcflags, tag);
	uint64_t lo, hi;
	static struct tctx c;

	if (!bin || func_range(bin, "main.leaf", &lo, &hi)) {
		CHECK(!"go fixture built");
		return;
	}
	if (!launch(bin, NULL, NULL, &c))
		return;
	add_probe(&c, lo + ops->load_bias(c.e));
	run_to_exit(&c, tag);
	CHECK_INT(c.hits, 2);
	if (c.nstacks == 2) {
		char what[64];
		snprintf(what, sizeof(what), "go %s main", tag);
		expect(&c.stacks[0], from_main, "runtime.goexit", what);
		snprintf(what, sizeof(what), "go %s worker", tag);
		expect(&c.stacks[1], from_worker, "runtime.goexit", what);
		printf("go %s: main.leaf ... runtime.goexit (%zu and %zu "
		       "frames)\n",
		       tag, c.stacks[0].n, c.stacks[1].n);
	}
	tctx_free(&c);
}

int main(int argc, char **argv)
{
	const char *root = getenv("ROOT");
	static char srcbuf[512];
	char cmd[128];

	if (root) {
		snprintf(srcbuf, sizeof(srcbuf), "%s/tests/fixtures/unwind",
			 root);
		srcdir = srcbuf;
	}
	ops = engine_find("ptrace");
	CHECK(ops != NULL);
	if (!ops)
		return check_report();
	strcpy(tmpdir, "/tmp/tinydbg-unwind-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;

	test_cache();
	test_cost("gcc", "-O2 -g", "cost-O2");
	test_c("gcc", "-O0 -g", "O0");
	test_c("gcc", "-O2 -g", "O2");
	test_c("gcc", "-O2 -g -fno-pie -no-pie", "O2nopie");
	test_c("clang", "-O2 -g", "clangO2");
	test_c("clang", "-O0 -g", "clangO0");
	test_signal("gcc", "-O0 -g", "sigO0", "raise");
	test_signal("gcc", "-O2 -g", "sigO2", "raise");
	test_signal("gcc", "-O0 -g", "sigO0", "timer");
	test_signal("gcc", "-O2 -g", "sigO2", "timer");
	test_signal("clang", "-O2 -g", "sigclangO2", "timer");
	test_signal("gcc", "-O2 -g -static", "sigstatic", "raise");
	test_fp();
	test_go("-gcflags=all=-N\\ -l", "N-l");
	test_go("", "opt");

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd))
		return 1;
	return check_report();
}
