/* The ptrace engine against small programs compiled here (-O0/-O2, PIE and
 * not): exact hit counts, results at returns, tail calls, threads, signals,
 * fork/exec, launch failures, stop requests and detach.
 *
 * `test_ptrace bench [calls]` measures hits/s under each CPU placement. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arch/x86.h"
#include "check.h"
#include "engine/engine.h"

static const struct engine_ops *ops;
static char tmpdir[64];
static const char *srcdir = "tests/fixtures/engine";

/* ---- building fixtures and reading their symbols ---- */

static const char *build(const char *name, const char *flags,
			 const char *tag)
{
	static char out[32][256];
	static int n;
	char cmd[1024];
	char *o = out[n++ % 32];

	snprintf(o, 256, "%s/%s-%s", tmpdir, name, tag);
	snprintf(cmd, sizeof(cmd), "gcc %s -o %s %s/%s.c -lpthread", flags, o,
		 srcdir, name);
	if (system(cmd)) {
		fprintf(stderr, "cannot build: %s\n", cmd);
		return NULL;
	}
	return o;
}

struct fsym {
	uint64_t addr, size;
	uint8_t code[4096];
};

/* name's link-time address, size and bytes, from .symtab. */
static int find_sym(const char *path, const char *name, struct fsym *out)
{
	int fd = open(path, O_RDONLY), found = -1;
	Elf *elf;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	if (fd < 0)
		return -1;
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
			if (GELF_ST_TYPE(s.st_info) != STT_FUNC ||
			    strcmp(elf_strptr(elf, sh.sh_link, s.st_name), name))
				continue;
			out->addr = s.st_value;
			out->size = s.st_size;
			found = 0;
		}
	}
	/* Its bytes, from the section that holds it. */
	scn = NULL;
	while (!found && elf && (scn = elf_nextscn(elf, scn))) {
		gelf_getshdr(scn, &sh);
		if (sh.sh_type != SHT_PROGBITS || out->addr < sh.sh_addr ||
		    out->addr >= sh.sh_addr + sh.sh_size)
			continue;
		size_t n = out->size < sizeof(out->code) ? out->size
							 : sizeof(out->code);
		if (pread(fd, out->code, n,
			  (off_t)(sh.sh_offset + out->addr - sh.sh_addr)) !=
		    (ssize_t)n)
			found = -1;
		break;
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return found;
}

/* ---- what the callback checks ---- */

enum chk { CHK_NONE, CHK_ARG, CHK_3X1, CHK_2X1, CHK_2X2, CHK_THR,
	   CHK_HALF, CHK_ARGF };

struct tp {
	struct probe probe;
	struct addr_range range;
	int fn;        /* which function: per-thread argument slot */
	enum chk chk;
	long hits, bad;
};

#define MAXT 64
struct tctx {
	struct tp tps[32];
	int ntps;
	struct {
		pid_t tid;
		uint64_t a0[4], a1[4], sp[4];
		double f[4];
	} th[MAXT];
	long started, ended;
	long nhits, stop_every; /* on_hit asks to stop every stop_every hits */
	const struct engine_ops *ops;
	struct engine *e;
};

static int slot_of(struct tctx *c, pid_t tid)
{
	for (int i = 0; i < MAXT; i++) {
		if (c->th[i].tid == tid)
			return i;
		if (!c->th[i].tid) {
			c->th[i].tid = tid;
			return i;
		}
	}
	return 0;
}

static uint64_t reg(const struct hit *h, int r)
{
	uint64_t v = 0;

	h->acc->read_reg(h->acc->ctx, r, &v, 8);
	return v;
}

static int on_hit(void *ctx, const struct hit *h)
{
	struct tctx *c = ctx;
	struct tp *tp = h->probe->cookie;
	int s = slot_of(c, h->tid), fn = tp->fn;
	uint64_t rax = reg(h, DREG_RAX), a = c->th[s].a0[fn];
	double x;
	uint8_t xmm[16];

	__atomic_fetch_add(&tp->hits, 1, __ATOMIC_RELAXED);
	c->nhits++;
	switch (tp->chk) {
	case CHK_NONE:
		break;
	case CHK_ARG:
		c->th[s].a0[fn] = reg(h, DREG_RDI);
		c->th[s].a1[fn] = reg(h, DREG_RSI);
		c->th[s].sp[fn] = h->sp;
		if (h->is_return)
			tp->bad++;
		break;
	case CHK_ARGF:
		h->acc->read_reg(h->acc->ctx, DREG_XMM0, xmm, 16);
		memcpy(&c->th[s].f[fn], xmm, 8);
		c->th[s].sp[fn] = h->sp;
		break;
	case CHK_3X1:
	case CHK_2X1:
	case CHK_2X2:
	case CHK_THR:
		if (!h->is_return || h->sp != c->th[s].sp[fn])
			tp->bad++;
		if ((tp->chk == CHK_3X1 && rax != 3 * a + 1) ||
		    (tp->chk == CHK_2X1 && rax != 2 * (a + 1)) ||
		    (tp->chk == CHK_2X2 && rax != 2 * (a + 2)) ||
		    (tp->chk == CHK_THR &&
		     rax != c->th[s].a0[fn] * 1000000 + c->th[s].a1[fn]))
			tp->bad++;
		break;
	case CHK_HALF:
		h->acc->read_reg(h->acc->ctx, DREG_XMM0, xmm, 16);
		memcpy(&x, xmm, 8);
		if (x != c->th[s].f[fn] / 2 || h->sp != c->th[s].sp[fn])
			tp->bad++;
		break;
	}
	return c->stop_every && c->nhits % c->stop_every == 0;
}

static void on_thread(void *ctx, pid_t tid, bool started)
{
	struct tctx *c = ctx;

	if (started)
		c->started++;
	else
		c->ended++;
}

static struct tp *add_tp(struct tctx *c, uint64_t addr,
			 enum probe_kind kind, int fn, enum chk chk,
			 uint64_t lo, uint64_t hi)
{
	struct tp *tp = &c->tps[c->ntps++];
	struct errbuf eb = {{0}};

	tp->probe.addr = addr;
	tp->probe.kind = kind;
	tp->range.lo = lo;
	tp->range.hi = hi;
	tp->probe.ranges = &tp->range;
	tp->probe.nranges = 1;
	tp->probe.cookie = tp;
	tp->fn = fn;
	tp->chk = chk;
	int err = c->ops->insert_probe(c->e, &tp->probe, &eb);
	if (err)
		fprintf(stderr, "insert_probe 0x%llx: %s\n",
			(unsigned long long)addr, eb.msg);
	CHECK_INT(err, 0);
	return tp;
}

/* Probes on fn: entry (and the second instruction when second), every ret,
 * every jump leaving it. */
struct fprobes {
	struct tp *entry, *second, *ret[8], *tail[8];
	int nret, ntail;
};

static void probe_func(struct tctx *c, const char *bin, const char *name,
		       int fn, enum chk entry_chk, enum chk ret_chk,
		       bool second, bool rets, struct fprobes *fp)
{
	struct fsym s;
	uint64_t bias = c->ops->load_bias(c->e);
	struct insn in;

	memset(fp, 0, sizeof(*fp));
	if (find_sym(bin, name, &s)) {
		CHECK(!"symbol found");
		return;
	}
	uint64_t lo = s.addr + bias, hi = s.addr + s.size + bias;
	fp->entry = add_tp(c, lo, PROBE_ENTRY, fn, entry_chk, lo, hi);
	for (uint64_t off = 0; off < s.size; off += in.len) {
		if (x86_decode(s.code + off, s.size - off, lo + off, &in)) {
			CHECK(!"decodable");
			return;
		}
		if (off && second && !fp->second)
			fp->second = add_tp(c, lo + off, PROBE_ENTRY, fn,
					    CHK_NONE, lo, hi);
		if (!rets)
			continue;
		if (in.cls == INSN_RET && fp->nret < 8)
			fp->ret[fp->nret++] = add_tp(c, lo + off, PROBE_RETURN,
						     fn, ret_chk, lo, hi);
		if (((in.cls == INSN_JMP || in.cls == INSN_JCC) &&
		     (in.target < lo || in.target >= hi)) ||
		    in.cls == INSN_JMP_IND)
			fp->tail[fp->ntail++] = add_tp(c, lo + off,
						       PROBE_TAILJMP, fn,
						       ret_chk, lo, hi);
	}
}

static long rets_hits(const struct fprobes *fp)
{
	long n = 0;

	for (int i = 0; i < fp->nret; i++)
		n += fp->ret[i]->hits;
	for (int i = 0; i < fp->ntail; i++)
		n += fp->tail[i]->hits;
	return n;
}

static long bad(const struct tctx *c)
{
	long n = 0;

	for (int i = 0; i < c->ntps; i++)
		n += c->tps[i].bad;
	return n;
}

static struct engine *launch(const char *bin, const char *a1, const char *a2,
			     struct tctx *c)
{
	char *argv[] = {(char *)bin, (char *)a1, (char *)a2, NULL};
	struct launch_opts o = {.argv = argv, .disable_aslr = true};
	struct errbuf eb = {{0}};
	struct engine *e = NULL;
	int err = ops->launch(&e, &o, &eb);

	if (err)
		fprintf(stderr, "launch %s: %s\n", bin, eb.msg);
	CHECK_INT(err, 0);
	if (c) {
		memset(c, 0, sizeof(*c));
		c->ops = ops;
		c->e = e;
	}
	return e;
}

static int run(struct engine *e, struct tctx *c, struct exit_info *ex)
{
	struct engine_callbacks cb = {.ctx = c, .on_hit = on_hit,
				      .on_thread = on_thread};
	struct errbuf eb = {{0}};
	int err = ops->run(e, &cb, ex, &eb);

	if (err)
		fprintf(stderr, "run: %s\n", eb.msg);
	return err;
}

static void expect_exit0(struct engine *e, struct tctx *c, const char *what)
{
	struct exit_info ex;

	CHECK_INT(run(e, c, &ex), 0);
	if (ex.kind != EXIT_STATUS || ex.code != 0)
		fprintf(stderr, "%s: exit kind %d code %d\n", what, ex.kind,
			ex.code);
	CHECK_INT(ex.kind, EXIT_STATUS);
	CHECK_INT(ex.code, 0);
	ops->close(e);
}

/* ---- the tests ---- */

static void test_launch_errors(void)
{
	struct errbuf eb = {{0}};
	struct engine *e = NULL;
	char path[128], *argv[2] = {path, NULL};
	struct launch_opts o = {.argv = argv};
	int st, fd;

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	CHECK_INT(ops->launch(&e, &o, &eb), -ENOENT);
	CHECK(strstr(eb.msg, "No such file") != NULL);
	CHECK(strstr(eb.msg, path) != NULL);
	CHECK(e == NULL);

	snprintf(path, sizeof(path), "%s/noexec", tmpdir);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	CHECK(write(fd, "x\n", 2) == 2);
	close(fd);
	CHECK_INT(ops->launch(&e, &o, &eb), -EACCES);
	CHECK(strstr(eb.msg, "Permission denied") != NULL);

	snprintf(path, sizeof(path), "%s/garbage", tmpdir);
	fd = open(path, O_CREAT | O_WRONLY, 0755);
	CHECK(write(fd, "\x7f" "ELFjunk\n", 8) == 8);
	close(fd);
	CHECK_INT(ops->launch(&e, &o, &eb), -ENOEXEC);
	CHECK(strstr(eb.msg, "Exec format error") != NULL);

	/* Nothing left behind. */
	CHECK(waitpid(-1, &st, WNOHANG | __WALL) < 0 && errno == ECHILD);
}

static void test_loop(const char *flags, const char *tag)
{
	const char *bin = build("loop", flags, tag);
	struct tctx c;
	struct fprobes w, h;
	struct engine *e;
	struct errbuf eb;

	if (!bin)
		return;
	e = launch(bin, "2000", NULL, &c);
	if (!e)
		return;
	probe_func(&c, bin, "work", 0, CHK_ARG, CHK_3X1, true, true, &w);
	probe_func(&c, bin, "half", 1, CHK_ARGF, CHK_HALF, false, true, &h);
	CHECK(w.nret >= 1);
	CHECK_INT(ops->insert_probe(e, &w.entry->probe, &eb), -EEXIST);
	expect_exit0(e, &c, tag);
	CHECK_INT(w.entry->hits, 2000);
	CHECK_INT(w.second->hits, 2000);
	CHECK_INT(rets_hits(&w), 2000);
	CHECK_INT(h.entry->hits, 4);
	CHECK_INT(rets_hits(&h), 4);
	CHECK_INT(bad(&c), 0);
}

static void test_tail(bool leaf_ret)
{
	const char *bin = build("tail", "-O2 -fno-pie -no-pie", "O2");
	struct fprobes m, v, l;
	struct tctx c;
	struct engine *e;

	if (!bin)
		return;
	e = launch(bin, "500", NULL, &c);
	if (!e)
		return;
	probe_func(&c, bin, "mid", 0, CHK_ARG, CHK_2X1, false, true, &m);
	probe_func(&c, bin, "viaptr", 1, CHK_ARG, CHK_2X2, false, true, &v);
	probe_func(&c, bin, "leaf", 2, CHK_NONE, CHK_NONE, false, leaf_ret,
		   &l);
	CHECK_INT(m.ntail, 1);
	CHECK_INT(v.ntail, 1);
	expect_exit0(e, &c, "tail");
	CHECK_INT(m.entry->hits, 500);
	CHECK_INT(rets_hits(&m), 500);
	CHECK_INT(v.entry->hits, 500);
	CHECK_INT(rets_hits(&v), 500);
	CHECK_INT(l.entry->hits, 1000);
	CHECK_INT(rets_hits(&l), leaf_ret ? 1000 : 0);
	CHECK_INT(bad(&c), 0);
}

static void test_threads(void)
{
	const char *bin = build("threads", "-O2 -fpie -pie", "O2");
	struct fprobes w;
	struct tctx c;
	struct engine *e;

	if (!bin)
		return;
	e = launch(bin, "2500", NULL, &c);
	if (!e)
		return;
	probe_func(&c, bin, "work", 0, CHK_ARG, CHK_THR, true, true, &w);
	expect_exit0(e, &c, "threads");
	CHECK_INT(w.entry->hits, 10000);
	CHECK_INT(w.second->hits, 10000);
	CHECK_INT(rets_hits(&w), 10000);
	CHECK_INT(c.started, 4);
	CHECK_INT(c.ended, 4);
	CHECK_INT(bad(&c), 0);
}

static void *send_cont(void *arg)
{
	pid_t pid = *(pid_t *)arg;
	struct timespec ts = {0, 300 * 1000000};

	nanosleep(&ts, NULL);
	kill(pid, SIGCONT);
	return NULL;
}

static void test_signals(bool stop)
{
	const char *bin = build("signals", "-O2", "O2");
	struct fprobes w;
	struct tctx c;
	struct engine *e;
	pthread_t th;
	pid_t pid;

	if (!bin)
		return;
	e = launch(bin, stop ? "stop" : NULL, NULL, &c);
	if (!e)
		return;
	probe_func(&c, bin, "work", 0, CHK_NONE, CHK_NONE, false, true, &w);
	pid = ops->pid(e);
	if (stop)
		pthread_create(&th, NULL, send_cont, &pid);
	expect_exit0(e, &c, "signals");
	if (stop)
		pthread_join(th, NULL);
	CHECK_INT(w.entry->hits, 111);
	CHECK_INT(rets_hits(&w), 111);
}

static void test_fork(const char *exec)
{
	const char *bin = build("forker", "-O0", "O0");
	struct fprobes w;
	struct tctx c;
	struct engine *e;

	if (!bin)
		return;
	e = launch(bin, exec, NULL, &c);
	if (!e)
		return;
	probe_func(&c, bin, "work", 0, CHK_NONE, CHK_NONE, true, true, &w);
	expect_exit0(e, &c, "fork");
	CHECK_INT(w.entry->hits, 3);
	CHECK_INT(rets_hits(&w), 3);
}

struct stopper {
	struct engine *e;
	int ms;
};

static void *stop_later(void *arg)
{
	struct stopper *s = arg;
	struct timespec ts = {0, s->ms * 1000000L};

	nanosleep(&ts, NULL);
	ops->request_stop(s->e);
	return NULL;
}

/* Compares the target's code with the file's, function by function. */
static bool code_intact(pid_t pid, const char *bin, const char *name,
			uint64_t bias)
{
	struct fsym s;
	uint8_t mem[4096];
	char path[64];
	int fd;
	bool ok;

	if (find_sym(bin, name, &s))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY);
	ok = fd >= 0 && pread(fd, mem, s.size, (off_t)(s.addr + bias)) ==
				(ssize_t)s.size &&
	     !memcmp(mem, s.code, s.size);
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Runs, stops after ms, detaches, checks the code, and lets the program
 * finish alone (WAIT_USR1: it waits for our signal at its end). */
static void test_detach(const char *fixture, const char *flags,
			const char *arg, const char *arg2, const char *f1,
			const char *f2, int ms)
{
	const char *bin = build(fixture, flags, "det");
	struct stopper s;
	struct fprobes a, b;
	struct exit_info ex;
	struct errbuf eb = {{0}};
	struct tctx c;
	struct engine *e;
	pthread_t th;
	pid_t pid;
	int st = 0;

	if (!bin)
		return;
	setenv("WAIT_USR1", "1", 1);
	e = launch(bin, arg, arg2, &c);
	unsetenv("WAIT_USR1");
	if (!e)
		return;
	pid = ops->pid(e);
	probe_func(&c, bin, f1, 0, CHK_NONE, CHK_NONE, true, true, &a);
	if (f2)
		probe_func(&c, bin, f2, 1, CHK_NONE, CHK_NONE, true, true, &b);
	s.e = e;
	s.ms = ms;
	pthread_create(&th, NULL, stop_later, &s);
	CHECK_INT(run(e, &c, &ex), 0);
	pthread_join(th, NULL);
	CHECK_INT(ex.kind, EXIT_NONE);
	CHECK(a.entry->hits > 0);
	CHECK_INT(ops->detach(e, false, &ex, &eb), 0);
	CHECK_INT(ex.kind, EXIT_DETACHED);
	if (!code_intact(pid, bin, f1, ops->load_bias(e)) ||
	    (f2 && !code_intact(pid, bin, f2, ops->load_bias(e)))) {
		fprintf(stderr, "detach %s: code differs from the file\n",
			fixture);
		CHECK(!"code intact after detach");
	}
	ops->close(e);
	/* The fixtures wait for this at their end. */
	kill(pid, SIGUSR1);
	CHECK_INT(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fprintf(stderr, "detach %s: status 0x%x\n", fixture, st);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_crash(void)
{
	const char *bin = build("crash", "-O0", "O0");
	struct fprobes w;
	struct exit_info ex;
	struct tctx c;
	struct engine *e;

	if (!bin)
		return;
	e = launch(bin, NULL, NULL, &c);
	if (!e)
		return;
	probe_func(&c, bin, "work", 0, CHK_ARG, CHK_NONE, true, true, &w);
	CHECK_INT(run(e, &c, &ex), 0);
	CHECK_INT(ex.kind, EXIT_SIGNAL);
	CHECK_INT(ex.code, SIGSEGV);
	CHECK_INT(w.entry->hits, 1);
	CHECK_INT(rets_hits(&w), 1);
	ops->close(e);
}

/* on_hit asking to stop: run returns with the thread held, and the next
 * run goes on without losing or repeating a hit. */
static void test_cb_stop(void)
{
	const char *bin = build("tail", "-O2 -fpie -pie", "stop");
	struct fprobes m, v;
	struct exit_info ex;
	struct tctx c;
	struct engine *e;
	int runs = 0;

	if (!bin)
		return;
	e = launch(bin, "300", NULL, &c);
	if (!e)
		return;
	probe_func(&c, bin, "mid", 0, CHK_ARG, CHK_2X1, true, true, &m);
	probe_func(&c, bin, "viaptr", 1, CHK_ARG, CHK_2X2, true, true, &v);
	c.stop_every = 97;
	do {
		CHECK_INT(run(e, &c, &ex), 0);
		runs++;
	} while (ex.kind == EXIT_NONE && runs < 100);
	CHECK_INT(ex.kind, EXIT_STATUS);
	CHECK_INT(ex.code, 0);
	CHECK(runs > 10);
	CHECK_INT(m.entry->hits + m.second->hits + rets_hits(&m), 900);
	CHECK_INT(v.entry->hits + v.second->hits + rets_hits(&v), 900);
	CHECK_INT(bad(&c), 0);
	ops->close(e);
}

/* attach to a program we started untraced: hits, then detach. */
static void test_attach(void)
{
	const char *bin = build("spin", "-O2 -fpie -pie", "attach");
	struct errbuf eb = {{0}};
	struct exit_info ex;
	struct engine *e = NULL, *e2 = NULL;
	struct fprobes w;
	struct stopper s;
	struct tctx c;
	pthread_t th;
	pid_t pid;
	int st = 0;

	CHECK_INT(ops->attach(&e, 999999999, &eb), -ESRCH);
	CHECK(strstr(eb.msg, "no such process") != NULL);
	if (!bin)
		return;
	pid = fork();
	if (pid == 0) {
		execl(bin, bin, "10000", (char *)NULL);
		_exit(127);
	}
	usleep(50000);
	CHECK_INT(ops->attach(&e, pid, &eb), 0);
	if (!e)
		return;
	memset(&c, 0, sizeof(c));
	c.ops = ops;
	c.e = e;
	/* A second tracer is refused, and told who holds it. */
	CHECK_INT(ops->attach(&e2, pid, &eb), -EPERM);
	CHECK(strstr(eb.msg, "TracerPid") != NULL);
	probe_func(&c, bin, "work", 0, CHK_NONE, CHK_NONE, true, true, &w);
	s.e = e;
	s.ms = 100;
	pthread_create(&th, NULL, stop_later, &s);
	CHECK_INT(run(e, &c, &ex), 0);
	pthread_join(th, NULL);
	CHECK(w.entry->hits > 0);
	/* The attach and the stop may each fall between the two probes. */
	CHECK(labs(w.entry->hits - w.second->hits) <= 1);
	CHECK_INT(ops->detach(e, false, &ex, &eb), 0);
	CHECK(code_intact(pid, bin, "work", ops->load_bias(e)));
	ops->close(e);
	kill(pid, SIGUSR1);
	CHECK_INT(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* The first probe inserted while the target runs: the engine must stop a
 * thread itself to map the out-of-line area. */
static void test_late_insert(void)
{
	const char *bin = build("spin", "-O2", "late");
	struct errbuf eb = {{0}};
	struct exit_info ex;
	struct fprobes w;
	struct stopper s;
	struct tctx c;
	struct engine *e;
	pthread_t th;
	pid_t pid;
	int st = 0;

	if (!bin)
		return;
	e = launch(bin, "10000", NULL, &c);
	if (!e)
		return;
	pid = ops->pid(e);
	s.e = e;
	s.ms = 30;
	pthread_create(&th, NULL, stop_later, &s);
	CHECK_INT(run(e, &c, &ex), 0);
	pthread_join(th, NULL);
	probe_func(&c, bin, "work", 0, CHK_NONE, CHK_NONE, true, true, &w);
	pthread_create(&th, NULL, stop_later, &s);
	CHECK_INT(run(e, &c, &ex), 0);
	pthread_join(th, NULL);
	CHECK(w.entry->hits > 0);
	CHECK(labs(w.entry->hits - w.second->hits) <= 1);
	CHECK_INT(ops->detach(e, false, &ex, &eb), 0);
	CHECK(code_intact(pid, bin, "work", ops->load_bias(e)));
	ops->close(e);
	kill(pid, SIGUSR1);
	CHECK_INT(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_kill(void)
{
	const char *bin = build("spin", "-O2", "kill");
	struct stopper s;
	struct fprobes a;
	struct exit_info ex;
	struct tctx c;
	struct engine *e;
	pthread_t th;
	int st;

	if (!bin)
		return;
	e = launch(bin, "5000", NULL, &c);
	if (!e)
		return;
	probe_func(&c, bin, "work", 0, CHK_NONE, CHK_NONE, false, true, &a);
	s.e = e;
	s.ms = 50;
	pthread_create(&th, NULL, stop_later, &s);
	CHECK_INT(run(e, &c, &ex), 0);
	pthread_join(th, NULL);
	CHECK_INT(ops->detach(e, true, &ex, NULL), 0);
	CHECK_INT(ex.kind, EXIT_SIGNAL);
	CHECK_INT(ex.code, SIGKILL);
	ops->close(e);
	CHECK(waitpid(-1, &st, WNOHANG | __WALL) < 0 && errno == ECHILD);
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs fixture (argv: arg1 arg2) with an entry and a return probe on
 * work() under the CPU placement `pin`; returns the seconds the run took
 * and the hits in *hits. */
static double bench_one(const char *fixture, const char *pin,
			const char *arg1, const char *arg2, long *hits)
{
	const char *bin = build(fixture, "-O2", "bench");
	struct fprobes w;
	struct exit_info ex;
	struct tctx c;
	struct engine *e;
	double t0, t;

	*hits = 0;
	if (!bin)
		return 0;
	setenv("TINYDBG_PTRACE_PIN", pin, 1);
	e = launch(bin, arg1, arg2, &c);
	unsetenv("TINYDBG_PTRACE_PIN");
	if (!e)
		return 0;
	probe_func(&c, bin, "work", 0, CHK_NONE, CHK_NONE, false, true, &w);
	t0 = seconds();
	run(e, &c, &ex);
	t = seconds() - t0;
	ops->close(e);
	*hits = w.entry->hits + rets_hits(&w);
	return t;
}

/* hits/s for a single-threaded loop and for four threads calling work()
 * back to back; and the wall time of four busy threads with few calls,
 * where serialising them on one CPU costs the most. */
static void bench(long calls, int reps)
{
	static const char *pins[] = {"none", "tracer", "both", "auto"};
	char a1[32], a4[32];
	long hits;

	snprintf(a1, sizeof(a1), "%ld", calls);
	snprintf(a4, sizeof(a4), "%ld", calls / 4);
	for (size_t i = 0; i < 4; i++) {
		printf("bench pin=%-6s 1 thread:", pins[i]);
		for (int r = 0; r < reps; r++) {
			double t = bench_one("loop", pins[i], a1, NULL, &hits);
			printf(" %7.0f", hits / t);
		}
		printf(" hits/s; 4 threads:");
		for (int r = 0; r < reps; r++) {
			double t = bench_one("threads", pins[i], a4, NULL,
					     &hits);
			printf(" %7.0f", hits / t);
		}
		printf(" hits/s; 4 busy threads:");
		for (int r = 0; r < reps; r++) {
			double t = bench_one("threads", pins[i], "500",
					     "400000", &hits);
			printf(" %5.3f", t);
		}
		printf(" s\n");
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	char cmd[128];
	const char *root = getenv("ROOT");
	static char srcbuf[512];

	if (root) {
		snprintf(srcbuf, sizeof(srcbuf), "%s/tests/fixtures/engine",
			 root);
		srcdir = srcbuf;
	}
	ops = engine_find("ptrace");
	CHECK(ops != NULL);
	if (!ops)
		return check_report();
	strcpy(tmpdir, "/tmp/tinydbg-ptrace-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;

	if (argc > 1 && !strcmp(argv[1], "bench")) {
		bench(argc > 2 ? atol(argv[2]) : 50000, 3);
		goto out;
	}

	test_launch_errors();
	test_loop("-O0 -fno-pie -no-pie", "O0");
	test_loop("-O0 -fpie -pie", "O0pie");
	test_loop("-O2 -fno-pie -no-pie", "O2");
	test_loop("-O2 -fpie -pie -fcf-protection=full", "O2pie");
	test_tail(true);
	test_tail(false);
	test_threads();
	test_signals(false);
	test_signals(true);
	test_fork(NULL);
	test_fork("/bin/true");
	test_detach("spin", "-O2", "10000", NULL, "work", NULL, 100);
	test_detach("spin", "-O0", "10000", NULL, "work", NULL, 30);
	test_detach("tail", "-O2", "3000000", NULL, "mid", "viaptr", 100);
	test_detach("tail", "-O2", "400", "1000000", "mid", "midslow", 50);
	test_detach("threads", "-O2", "200000", NULL, "work", NULL, 100);
	test_kill();
	test_crash();
	test_cb_stop();
	test_attach();
	test_late_insert();
out:
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd))
		return 1;
	return check_report();
}
