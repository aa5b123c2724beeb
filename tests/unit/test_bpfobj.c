/* The eBPF object (src/engine/ebpf/bpfobj.c) against programs compiled
 * here: a plan of every kind of op run at a uprobe and a uretprobe, its
 * record checked byte for byte; a thousand probes attached and detached
 * (multi-uprobe links, timed); a probe the kernel refuses, named; all of
 * it again with one link per probe. Needs root (CI is): skipped without.
 *
 * `test_bpfobj bench [calls]` prints the per-event cost of a 4-op plan. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "engine/ebpf/bpfobj.h"

static char tmpdir[64];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* name's file offset in the ELF file path (what a uprobe takes). */
static uint64_t file_offset(const char *path, const char *name)
{
	int fd = open(path, O_RDONLY);
	uint64_t addr = 0, off = 0;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t nph;
	Elf *elf;

	if (fd < 0)
		return 0;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while (elf && (scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;

		gelf_getshdr(scn, &sh);
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;

			gelf_getsym(d, (int)i, &s);
			if (GELF_ST_TYPE(s.st_info) == STT_FUNC &&
			    !strcmp(elf_strptr(elf, sh.sh_link, s.st_name),
				    name))
				addr = s.st_value;
		}
	}
	if (elf && addr && !elf_getphdrnum(elf, &nph))
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;

			gelf_getphdr(elf, (int)i, &ph);
			if (ph.p_type == PT_LOAD && addr >= ph.p_vaddr &&
			    addr < ph.p_vaddr + ph.p_filesz)
				off = addr - ph.p_vaddr + ph.p_offset;
		}
	if (elf)
		elf_end(elf);
	close(fd);
	return off;
}

/* A child running path (args), stopped until go() writes its stdin; its
 * first line of stdout in line. */
struct child {
	pid_t pid;
	int in;
	char line[512];
};

static int spawn(struct child *c, const char *path, const char *arg)
{
	int in[2], out[2];
	FILE *f;

	if (pipe(in) || pipe(out))
		return -1;
	c->pid = fork();
	if (!c->pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(path, path, arg && strcmp(arg, "-") ? arg : NULL, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->in = in[1];
	c->line[0] = 0;
	if (!arg || strcmp(arg, "-")) {
		f = fdopen(out[0], "r");
		if (f && !fgets(c->line, sizeof(c->line), f))
			c->line[0] = 0;
		if (f)
			fclose(f);
	} else {
		/* no line to wait for: wait for the exec (a uprobe is checked
		 * against the instruction only where the file is mapped) */
		char exe[256], link[64];
		ssize_t k = -1;

		close(out[0]);
		snprintf(link, sizeof(link), "/proc/%d/exe", (int)c->pid);
		for (int i = 0; i < 5000; i++) {
			k = readlink(link, exe, sizeof(exe) - 1);
			if (k > 0 && (exe[k] = 0, !strcmp(exe, path)))
				break;
			usleep(1000);
		}
		usleep(20000); /* and for its read of stdin */
	}
	return 0;
}

/* Lets the child run and waits for it; its exit status. */
static int go(struct child *c)
{
	int st = -1;

	if (write(c->in, "x", 1) != 1)
		return -1;
	close(c->in);
	waitpid(c->pid, &st, 0);
	return st;
}

/* ---- records kept for checking ---- */

struct rec {
	struct cap_record_hdr h;
	size_t nchunks;
	struct cap_chunk c[32];
	uint8_t d[32][1024];
};

struct recs {
	struct rec *r;
	size_t n, cap;
	size_t bad; /* malformed */
	size_t lost_records;
};

static int keep(void *ctx, const void *data, size_t len)
{
	struct recs *rs = ctx;
	const struct cap_record_hdr *h = data;
	const uint8_t *p = (const uint8_t *)data + sizeof(*h);
	struct rec *r;

	if (len < sizeof(*h) || h->size > len) {
		rs->bad++;
		return 0;
	}
	if (h->kind == CAP_REC_LOST) {
		rs->lost_records++;
		return 0;
	}
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 16;
		rs->r = realloc(rs->r, rs->cap * sizeof(*rs->r));
	}
	r = &rs->r[rs->n++];
	memset(r, 0, sizeof(*r));
	r->h = *h;
	for (size_t i = 0; i < h->nchunks; i++) {
		struct cap_chunk c;

		if (p + sizeof(c) > (const uint8_t *)data + h->size) {
			rs->bad++;
			return 0;
		}
		memcpy(&c, p, sizeof(c));
		p += sizeof(c);
		if (i < 32) {
			r->c[i] = c;
			memcpy(r->d[i], p, c.len < 1024 ? c.len : 1024);
			/* the padding is zero */
			for (size_t k = c.len; k < ((c.len + 7) & ~7u); k++)
				if (p[k])
					rs->bad++;
		}
		p += (c.len + 7) & ~7u;
		r->nchunks = i + 1;
	}
	if (p != (const uint8_t *)data + h->size)
		rs->bad++;
	return 0;
}

static void drain(struct bpfobj *o, struct recs *rs)
{
	while (bpfobj_consume(o, keep, rs) > 0)
		;
}

/* ---- plan building ---- */

static struct cap_op *op_mem(struct cap_plan *p, int reg, int64_t disp,
			     uint32_t len, uint16_t flags)
{
	struct cap_op *o = &p->ops[p->nops++];

	o->addr.src = CAP_SRC_REG;
	o->addr.reg = (uint8_t)reg;
	o->addr.disp = disp;
	o->len = len;
	o->flags = flags;
	return o;
}

static struct cap_op *op_data(struct cap_plan *p, uint16_t src, uint32_t off,
			      uint32_t stride, uint32_t len, uint16_t flags)
{
	struct cap_op *o = &p->ops[p->nops++];

	o->addr.src = CAP_SRC_DATA;
	o->addr.op = src;
	o->addr.off = off;
	o->addr.stride = stride;
	o->len = len;
	o->flags = flags;
	return o;
}

enum { RAX = 0, RDX = 1, RCX = 2, RSI = 4, RDI = 5, RSP = 7, R8 = 8,
       R9 = 9, RIP = 16 };

static void check_chunk(const struct rec *r, size_t i, uint64_t addr,
			const void *bytes, size_t len)
{
	if (i >= r->nchunks) {
		CHECK(i < r->nchunks);
		return;
	}
	CHECK_INT(r->c[i].err, 0);
	CHECK_INT(r->c[i].addr, addr);
	CHECK_INT(r->c[i].len, len);
	CHECK(r->c[i].len == len && !memcmp(r->d[i], bytes, len));
}

/* Every kind of op at target()'s entry, a string at its return. */
static void test_values(const char *exe, bool no_multi)
{
	struct bpfobj_opts oo = { .no_multi = no_multi };
	unsigned long long s, n, name, gs, arr, a[3], edge;
	struct bpfobj_probe pr[2];
	struct cap_plan pe, pr_ret;
	struct recs rs = { 0 };
	struct bpfobj *o;
	struct errbuf eb;
	struct child c;
	uint32_t ide, idr, id2;
	struct cap_op *op;
	int st, err;

	err = bpfobj_open(&o, &oo, &eb);
	CHECK_INT(err, 0);
	if (err) {
		fprintf(stderr, "bpfobj_open: %s\n", eb.msg);
		return;
	}
	memset(&pe, 0, sizeof(pe));
	op_mem(&pe, RDI, 0, 64, CAP_OP_STR);          /* 0: C string */
	op_mem(&pe, RSP, 0, 16, 0);                   /* 1: stack */
	op_mem(&pe, RSI, 0, 24, 0);                   /* 2: struct node */
	op_data(&pe, 2, 0, 0, 32, CAP_OP_STR);        /* 3: node->name */
	op = op_mem(&pe, RDX, 0, 64, 0);              /* 4: Go string */
	op->count.src = CAP_SRC_REG;
	op->count.reg = RCX;
	op->scale = 1;
	op = op_mem(&pe, R8, 0, 32, 0);               /* 5: arr[narr] */
	op->count.src = CAP_SRC_REG;
	op->count.reg = R9;
	op->scale = 8;
	op = op_data(&pe, 5, 0, 8, 16, CAP_OP_STR);   /* 6..8: *arr[i] */
	op->rep.src = CAP_SRC_REG;
	op->rep.reg = R9;
	op->rep_max = 8;
	op_data(&pe, 2, 16, 0, 1000, CAP_OP_PARTIAL); /* 9: node->edge */
	op = &pe.ops[pe.nops++];                      /* 10: address 0 */
	op->len = 8;
	op_data(&pe, 2, 24, 0, 8, 0);                 /* 11: past node */
	memset(&pr_ret, 0, sizeof(pr_ret));
	op_mem(&pr_ret, RAX, 0, 64, CAP_OP_STR);

	CHECK_INT(bpfobj_plan(o, &pe, &ide, &eb), 0);
	CHECK_INT(bpfobj_plan(o, &pr_ret, &idr, &eb), 0);
	CHECK_INT(bpfobj_plan(o, &pe, &id2, &eb), 0);
	CHECK_INT(id2, ide); /* stored once */
	CHECK(idr != ide);
	pe.flags = CAP_PLAN_XMM;
	CHECK_INT(bpfobj_plan(o, &pe, &id2, &eb), -ENOTSUP);

	if (spawn(&c, exe, "3")) {
		CHECK(!"spawn");
		bpfobj_close(o);
		return;
	}
	CHECK_INT(sscanf(c.line, "%llx %llx %llx %llx %llx %llx %llx %llx %llx",
			 &s, &n, &name, &gs, &arr, &a[0], &a[1], &a[2], &edge),
		  9);
	pr[0] = (struct bpfobj_probe){ exe, file_offset(exe, "target"), 7,
				       ide, false };
	pr[1] = (struct bpfobj_probe){ exe, pr[0].offset, 8, idr, true };
	CHECK(pr[0].offset != 0);
	err = bpfobj_attach(o, c.pid, pr, 2, &eb);
	CHECK_INT(err, 0);
	if (err)
		fprintf(stderr, "attach: %s\n", eb.msg);
	CHECK_INT(bpfobj_multi(o), !no_multi);
	st = go(&c);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	drain(o, &rs);
	CHECK_INT(rs.n, 6);
	CHECK_INT(rs.bad, 0);
	CHECK_INT(bpfobj_lost(o), 0);
	CHECK_INT(rs.lost_records, 0);
	for (size_t i = 0; i < rs.n; i++) {
		const struct rec *r = &rs.r[i];
		uint64_t node[3] = { name, 42, edge };
		char page[100];

		CHECK_INT(r->h.kind, CAP_REC_HIT);
		CHECK_INT(r->h.pid, c.pid);
		CHECK_INT(r->h.tid, c.pid);
		CHECK(r->h.time_ns > 0);
		CHECK_INT(r->h.probe, i % 2 ? 8 : 7);
		if (i % 2) { /* the return: rax is s, rip back in main */
			CHECK_INT(r->h.nchunks, 1);
			CHECK_INT(r->h.regs[RAX], s);
			check_chunk(r, 0, s, "hello, bpf", 11);
			CHECK(r->h.regs[RIP] != r->h.regs[RAX]);
			continue;
		}
		CHECK_INT(r->h.nchunks, 12);
		CHECK_INT(r->h.regs[RDI], s);
		CHECK_INT(r->h.regs[RSI], n);
		CHECK_INT(r->h.regs[RDX], gs);
		CHECK_INT(r->h.regs[RCX], 8);
		CHECK_INT(r->h.regs[R8], arr);
		CHECK_INT(r->h.regs[R9], 3);
		/* rip: target's address, whose page offset is the file's */
		CHECK_INT(r->h.regs[RIP] & 0xfff, pr[0].offset & 0xfff);
		check_chunk(r, 0, s, "hello, bpf", 11);
		/* the stack: the return address into main, then main's */
		CHECK_INT(r->c[1].addr, r->h.regs[RSP]);
		CHECK_INT(r->c[1].len, 16);
		CHECK_INT(r->c[1].err, 0);
		check_chunk(r, 2, n, node, 24);
		check_chunk(r, 3, name, "node-name", 10);
		check_chunk(r, 4, gs, "gostring", 8);
		check_chunk(r, 5, arr, a, 24);
		check_chunk(r, 6, a[0], "a0", 3);
		check_chunk(r, 7, a[1], "b11", 4);
		check_chunk(r, 8, a[2], "c222", 5);
		for (int k = 0; k < 100; k++)
			page[k] = (char)('A' + (4096 - 100 + k) % 26);
		check_chunk(r, 9, edge, page, 100);
		CHECK_INT(r->c[10].addr, 0);
		CHECK_INT(r->c[10].len, 0);
		CHECK_INT(r->c[10].err, -EFAULT);
		CHECK_INT(r->c[11].len, 0);
		CHECK_INT(r->c[11].err, -EFAULT);
	}
	/* the return address is where main resumes: the entry's stack */
	if (rs.n >= 2) {
		uint64_t ret;

		memcpy(&ret, rs.r[0].d[1], 8);
		CHECK_INT(rs.r[1].h.regs[RIP], ret);
		CHECK_INT(rs.r[1].h.regs[RSP], rs.r[0].h.regs[RSP] + 8);
	}
	free(rs.r);
	bpfobj_close(o);
}

/* A program with n functions f0..f(n-1), each called once, and bad(),
 * which starts with int3 (a uprobe there is refused). */
static const char *build_many(int n)
{
	static char exe[128];
	char src[128], cmd[512];
	FILE *f;

	snprintf(src, sizeof(src), "%s/many.c", tmpdir);
	snprintf(exe, sizeof(exe), "%s/many", tmpdir);
	f = fopen(src, "w");
	if (!f)
		return NULL;
	fprintf(f, "#include <unistd.h>\n");
	for (int i = 0; i < n; i++)
		fprintf(f, "__attribute__((noinline)) int f%d(int x) "
			   "{ return x + %d; }\n", i, i);
	fprintf(f, "__attribute__((naked)) void bad(void) "
		   "{ asm(\"int3\\n ret\"); }\n");
	fprintf(f, "int (*fs[])(int) = {");
	for (int i = 0; i < n; i++)
		fprintf(f, "f%d,", i);
	fprintf(f, "};\nint main(void) { char c; int s = 0;\n"
		   " if (read(0, &c, 1) != 1) return 1;\n"
		   " for (unsigned i = 0; i < sizeof(fs) / sizeof(*fs); i++)"
		   " s += fs[i](1);\n return s == 0; }\n");
	fclose(f);
	snprintf(cmd, sizeof(cmd), "gcc -O0 -o %s %s", exe, src);
	return system(cmd) ? NULL : exe;
}

/* n probes on f0..f(n-1): refused when bad() is among them (the message
 * names it, nothing stays), then attached, hit once each, detached. */
static void test_many(const char *exe, int n, bool no_multi)
{
	struct bpfobj_opts oo = { .no_multi = no_multi };
	struct bpfobj_probe *pr = calloc((size_t)n + 1, sizeof(*pr));
	struct recs rs = { 0 };
	struct cap_plan plan;
	struct bpfobj *o;
	struct errbuf eb;
	struct child c;
	char name[32], want[64];
	uint32_t id;
	double t0, t1, t2;
	int err, st;
	char *seen;

	if (bpfobj_open(&o, &oo, &eb)) {
		CHECK(!"bpfobj_open");
		fprintf(stderr, "%s\n", eb.msg);
		free(pr);
		return;
	}
	memset(&plan, 0, sizeof(plan));
	op_mem(&plan, RSP, 0, 8, 0);
	CHECK_INT(bpfobj_plan(o, &plan, &id, &eb), 0);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		pr[i] = (struct bpfobj_probe){ exe, file_offset(exe, name),
					       (uint32_t)i, id, false };
	}
	pr[n] = (struct bpfobj_probe){ exe, file_offset(exe, "bad"), 99999,
				       id, false };
	spawn(&c, exe, "-");

	/* bad() in the middle of the set: named, and none stays */
	{
		struct bpfobj_probe tmp = pr[n / 2];

		pr[n / 2] = pr[n];
		pr[n] = tmp;
		err = bpfobj_attach(o, c.pid, pr, (size_t)n, &eb);
		CHECK(err < 0);
		snprintf(want, sizeof(want), "+0x%llx:",
			 (unsigned long long)pr[n / 2].offset);
		CHECK(err < 0 && strstr(eb.msg, want));
		CHECK(err < 0 && strstr(eb.msg, "ptrace engine"));
		if (err < 0)
			printf("refused as expected: %s\n", eb.msg);
		pr[n] = pr[n / 2];
		pr[n / 2] = tmp;
	}

	t0 = now_s();
	err = bpfobj_attach(o, c.pid, pr, (size_t)n, &eb);
	t1 = now_s();
	CHECK_INT(err, 0);
	if (err)
		fprintf(stderr, "attach: %s\n", eb.msg);
	CHECK_INT(bpfobj_multi(o), !no_multi);
	st = go(&c);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	drain(o, &rs);
	CHECK_INT(rs.n, n);
	seen = calloc((size_t)n, 1);
	for (size_t i = 0; i < rs.n; i++)
		if (rs.r[i].h.probe < (uint64_t)n)
			seen[rs.r[i].h.probe]++;
	for (int i = 0; i < n; i++)
		if (seen[i] != 1) {
			CHECK_INT(seen[i], 1);
			break;
		}
	CHECK_INT(bpfobj_lost(o), 0);
	t2 = now_s();
	bpfobj_detach_all(o);
	t2 = now_s() - t2;
	printf("%d probes, %s: attach %.3f s, detach %.3f s\n", n,
	       bpfobj_multi(o) ? "multi-uprobe links" : "one link each",
	       t1 - t0, t2);
	CHECK(t1 - t0 + t2 < 3.0);
	free(seen);
	free(rs.r);
	free(pr);
	bpfobj_close(o);
}

/* Detaching some probes of a multi link: they stop, the others go on. */
static void test_detach_some(const char *exe)
{
	struct bpfobj_probe pr[4];
	struct recs rs = { 0 };
	struct cap_plan plan;
	struct bpfobj *o;
	struct errbuf eb;
	struct child c;
	uint32_t id, gone[2] = { 1, 3 };
	char name[8];
	int st;

	if (bpfobj_open(&o, NULL, &eb)) {
		CHECK(!"bpfobj_open");
		return;
	}
	memset(&plan, 0, sizeof(plan));
	CHECK_INT(bpfobj_plan(o, &plan, &id, &eb), 0);
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		pr[i] = (struct bpfobj_probe){ exe, file_offset(exe, name),
					       (uint32_t)i, id, false };
	}
	spawn(&c, exe, "-");
	CHECK_INT(bpfobj_attach(o, c.pid, pr, 4, &eb), 0);
	bpfobj_detach(o, gone, 2);
	st = go(&c);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	drain(o, &rs);
	CHECK_INT(rs.n, 2);
	if (rs.n == 2) {
		CHECK_INT(rs.r[0].h.probe, 0);
		CHECK_INT(rs.r[1].h.probe, 2);
		CHECK_INT(rs.r[0].h.nchunks, 0);
		CHECK_INT(rs.r[0].h.size, sizeof(struct cap_record_hdr));
	}
	free(rs.r);
	bpfobj_close(o);
}

/* Bad sizes and plans fail with a message, not a crash. */
static void test_errors(void)
{
	struct bpfobj_opts oo = { .ring_bytes = 12345 };
	struct cap_plan p;
	struct bpfobj *o;
	struct errbuf eb;
	uint32_t id;

	CHECK_INT(bpfobj_open(&o, &oo, &eb), -EINVAL);
	CHECK(strstr(eb.msg, "power of two") != NULL);
	if (bpfobj_open(&o, NULL, &eb)) {
		CHECK(!"bpfobj_open");
		return;
	}
	memset(&p, 0, sizeof(p));
	p.nops = 1;
	p.ops[0].len = CAP_MAX_CHUNK + 1;
	CHECK_INT(bpfobj_plan(o, &p, &id, &eb), -ENOTSUP);
	p.ops[0].len = 8;
	p.ops[0].addr.src = CAP_SRC_DATA; /* its own op: not earlier */
	CHECK_INT(bpfobj_plan(o, &p, &id, &eb), -ENOTSUP);
	bpfobj_close(o);
}

static int count_cb(void *ctx, const void *rec, size_t len)
{
	const struct cap_record_hdr *h = rec;

	if (h->kind == CAP_REC_HIT)
		++*(long *)ctx;
	return 0;
}

/* Per-event cost: target() (entry `push %rbp`, emulated by the kernel)
 * called `calls` times, bare and under a 4-op plan, the ring drained as
 * it fills. */
static int bench(const char *exe, long calls)
{
	struct bpfobj_probe pr;
	struct cap_plan p;
	struct bpfobj *o;
	struct errbuf eb;
	struct child c;
	char arg[32];
	double t0, bare, traced;
	long hits = 0;
	uint32_t id;
	int st;

	snprintf(arg, sizeof(arg), "%ld", calls);
	spawn(&c, exe, arg);
	t0 = now_s();
	go(&c);
	bare = now_s() - t0;
	if (bpfobj_open(&o, NULL, &eb)) {
		fprintf(stderr, "%s\n", eb.msg);
		return 1;
	}
	memset(&p, 0, sizeof(p));
	op_mem(&p, RDI, 0, 64, CAP_OP_STR);
	op_mem(&p, RSP, 0, 16, 0);
	op_mem(&p, RSI, 0, 24, 0);
	op_data(&p, 2, 0, 0, 32, CAP_OP_STR);
	bpfobj_plan(o, &p, &id, &eb);
	spawn(&c, exe, arg);
	pr = (struct bpfobj_probe){ exe, file_offset(exe, "target"), 1, id,
				    false };
	if (bpfobj_attach(o, c.pid, &pr, 1, &eb)) {
		fprintf(stderr, "%s\n", eb.msg);
		return 1;
	}
	t0 = now_s();
	if (write(c.in, "x", 1) != 1)
		return 1;
	close(c.in);
	for (;;) {
		struct pollfd pf = { bpfobj_epoll_fd(o), POLLIN, 0 };

		poll(&pf, 1, 10);
		bpfobj_consume(o, count_cb, &hits);
		if (waitpid(c.pid, &st, WNOHANG) == c.pid)
			break;
	}
	traced = now_s() - t0;
	bpfobj_consume(o, count_cb, &hits);
	printf("%ld calls: bare %.3f s, traced %.3f s: %.2f us per event "
	       "(4 ops); %ld records, %llu lost\n",
	       calls, bare, traced, (traced - bare) * 1e6 / (double)calls,
	       hits, (unsigned long long)bpfobj_lost(o));
	bpfobj_close(o);
	return 0;
}

int main(int argc, char **argv)
{
	char cmd[512], exe[128];
	const char *many;

	if (geteuid() != 0) {
		fprintf(stderr, "test_bpfobj: skipped: eBPF needs root "
				"(CI runs this as root)\n");
		return check_report();
	}
	signal(SIGPIPE, SIG_IGN);
	strcpy(tmpdir, "/tmp/tinydbg-bpfobj-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	snprintf(exe, sizeof(exe), "%s/bpfargs", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "gcc -O0 -o %s tests/fixtures/engine/bpfargs.c", exe);
	if (system(cmd)) {
		CHECK(!"building tests/fixtures/engine/bpfargs.c");
		return check_report();
	}
	if (argc > 1 && !strcmp(argv[1], "bench"))
		return bench(exe, argc > 2 ? atol(argv[2]) : 1000000);

	test_errors();
	test_values(exe, false);
	test_values(exe, true);
	many = build_many(1000);
	CHECK(many != NULL);
	if (many) {
		test_many(many, 1000, false);
		test_many(many, 8, true);
		test_detach_some(many);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd))
		return 1;
	return check_report();
}
