/* The ptrace engine against small programs compiled here (-O0/-O2, PIE and
 * not): exact hit counts, results at returns, tail calls, threads, signals,
 * fork/exec, launch failures, stop requests and detach.
 *
 * `test_ptrace bench [calls]` measures hits/s under each CPU placement. */
#include <dirent.h>
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
#include <sys/syscall.h>
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

/* cc builds srcdir/name.ext with flags into tmpdir/name-tag (extra goes
 * after the source: libraries). */
static const char *build_with(const char *cc, const char *name,
			      const char *ext, const char *flags,
			      const char *tag, const char *extra)
{
	static char out[32][256];
	static int n;
	char cmd[1024];
	char *o = out[n++ % 32];

	snprintf(o, 256, "%s/%s-%s", tmpdir, name, tag);
	snprintf(cmd, sizeof(cmd), "%s %s -o %s %s/%s.%s %s", cc, flags, o,
		 srcdir, name, ext, extra);
	if (system(cmd)) {
		fprintf(stderr, "cannot build: %s\n", cmd);
		return NULL;
	}
	return o;
}

static const char *build(const char *name, const char *flags,
			 const char *tag)
{
	return build_with("gcc", name, "c", flags, tag, "-lpthread");
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
	   CHK_HALF, CHK_ARGF, CHK_PAIR };

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
	/* Called after each hit is counted / at an exec: their non-zero
	 * stops the run. */
	int (*hook)(struct tctx *c, const struct hit *h);
	int (*exec_hook)(struct tctx *c, pid_t tid);
	long execs;
	void *data;
	/* CHK_PAIR: per thread, the entries not yet returned from, as
	 * sp | fn (sp is 8-aligned at an entry). */
	struct {
		uint64_t *v;
		size_t n, cap;
	} pairs[MAXT];
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
	case CHK_PAIR: {
		/* A return pairs with the newest entry of its function at
		 * its sp; newer ones were left by longjmp or a throw. */
		typeof(c->pairs[0]) *ps = &c->pairs[s];
		uint64_t key = h->sp | (uint64_t)fn;
		if (!h->is_return) {
			if (ps->n == ps->cap) {
				ps->cap = ps->cap ? 2 * ps->cap : 64;
				ps->v = realloc(ps->v, ps->cap * 8);
			}
			ps->v[ps->n++] = key;
			break;
		}
		size_t k = ps->n;
		while (k > 0 && ps->v[k - 1] != key)
			k--;
		if (!k)
			tp->bad++;
		else
			ps->n = k - 1;
		break;
	}
	}
	if (c->hook && c->hook(c, h))
		return 1;
	return c->stop_every && c->nhits % c->stop_every == 0;
}

static int on_exec_cb(void *ctx, pid_t tid)
{
	struct tctx *c = ctx;

	c->execs++;
	return c->exec_hook ? c->exec_hook(c, tid) : 0;
}

static void tctx_free(struct tctx *c)
{
	for (int i = 0; i < MAXT; i++)
		free(c->pairs[i].v);
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
				      .on_thread = on_thread,
				      .on_exec = on_exec_cb};
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

/* ---- --follow-forks ---- */

/* A child handed over by on_fork, traced by its own engine on its own
 * thread (a ptrace tracer is a thread). */
struct followed {
	pthread_t th;
	pid_t pid;
	const char *bin; /* its program, for the probe (NULL: none) */
	struct tctx c;
	struct fprobes w;
	struct exit_info ex;
	int attach_err, run_err;
};

struct follow_log {
	struct followed kids[4];
	int n;
	const char *bin;
};

static void *follow_main(void *arg)
{
	struct followed *f = arg;
	struct attach_opts ao = {.pid = f->pid, .follow_forks = true};
	struct errbuf eb = {{0}};
	struct engine *e = NULL;
	struct engine_callbacks cb;

	f->attach_err = ops->attach(&e, &ao, &eb);
	if (f->attach_err) {
		fprintf(stderr, "attach %d: %s\n", (int)f->pid, eb.msg);
		kill(f->pid, SIGKILL);
		return NULL;
	}
	memset(&f->c, 0, sizeof(f->c));
	f->c.ops = ops;
	f->c.e = e;
	if (f->bin)
		probe_func(&f->c, f->bin, "work", 0, CHK_NONE, CHK_NONE,
			   false, true, &f->w);
	/* It waits in the group-stop we left it in. */
	kill(f->pid, SIGCONT);
	cb = (struct engine_callbacks){.ctx = &f->c, .on_hit = on_hit};
	f->run_err = ops->run(e, &cb, &f->ex, &eb);
	ops->close(e);
	return NULL;
}

static void on_fork_cb(void *ctx, pid_t parent, pid_t child)
{
	struct follow_log *l = ((struct tctx *)ctx)->data;
	struct followed *f;

	(void)parent;
	if (l->n >= 4) {
		kill(child, SIGKILL);
		return;
	}
	f = &l->kids[l->n++];
	memset(f, 0, sizeof(*f));
	f->pid = child;
	/* The first is the fork child (our program); then /bin/true. */
	f->bin = l->n == 1 ? l->bin : NULL;
	pthread_create(&f->th, NULL, follow_main, f);
}

/* With follow_forks, each child is handed over stopped and clean: traced
 * by an engine of its own it makes its 100 calls of work() and exits 0;
 * the posix_spawn'ed /bin/true is handed over at its exec and runs; the
 * parent's own 3 calls are its engine's. */
static void test_follow(void)
{
	const char *bin = build("forker", "-O0", "O0");
	char *argv[] = {(char *)bin, NULL};
	struct launch_opts o = {.argv = argv, .disable_aslr = true,
				.follow_forks = true};
	struct follow_log log = {.bin = bin};
	struct engine_callbacks cb;
	struct errbuf eb = {{0}};
	struct exit_info ex;
	struct engine *e = NULL;
	struct fprobes w;
	struct tctx c;

	if (!bin)
		return;
	CHECK_INT(ops->launch(&e, &o, &eb), 0);
	if (!e)
		return;
	memset(&c, 0, sizeof(c));
	c.ops = ops;
	c.e = e;
	c.data = &log;
	probe_func(&c, bin, "work", 0, CHK_NONE, CHK_NONE, true, true, &w);
	cb = (struct engine_callbacks){.ctx = &c, .on_hit = on_hit,
				       .on_fork = on_fork_cb};
	CHECK_INT(ops->run(e, &cb, &ex, &eb), 0);
	CHECK(ex.kind == EXIT_STATUS && ex.code == 0);
	ops->close(e);
	CHECK_INT(w.entry->hits, 3);
	CHECK_INT(log.n, 2);
	for (int i = 0; i < log.n; i++) {
		struct followed *f = &log.kids[i];

		pthread_join(f->th, NULL);
		CHECK_INT(f->attach_err, 0);
		CHECK_INT(f->run_err, 0);
		CHECK(f->ex.kind == EXIT_STATUS && f->ex.code == 0);
		if (f->bin && f->w.entry) {
			CHECK_INT(f->w.entry->hits, 100);
			CHECK_INT(rets_hits(&f->w), 100);
		}
	}
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

	CHECK_INT(ops->attach(&e, &(struct attach_opts){.pid = 999999999}, &eb), -ESRCH);
	CHECK(strstr(eb.msg, "no such process") != NULL);
	if (!bin)
		return;
	pid = fork();
	if (pid == 0) {
		execl(bin, bin, "10000", (char *)NULL);
		_exit(127);
	}
	usleep(50000);
	CHECK_INT(ops->attach(&e, &(struct attach_opts){.pid = pid}, &eb), 0);
	if (!e)
		return;
	memset(&c, 0, sizeof(c));
	c.ops = ops;
	c.e = e;
	/* A second tracer is refused, and told who holds it. */
	CHECK_INT(ops->attach(&e2, &(struct attach_opts){.pid = pid}, &eb), -EPERM);
	{
		char want[64];
		snprintf(want, sizeof(want), "already traced by %d (",
			 (int)getpid());
		if (!strstr(eb.msg, want))
			fprintf(stderr, "attach twice: %s\n", eb.msg);
		CHECK(strstr(eb.msg, want) != NULL);
	}
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

/* ---- faults and corner cases ---- */

static long entries_and_rets(const struct fprobes *fp)
{
	return fp->entry->hits * 100000 + rets_hits(fp);
}

/* The program's own SIGTRAPs are delivered: handled, or its death. */
static void test_selftrap(bool handle)
{
	const char *bin = build("selftrap", "-O2", "O2");
	struct fprobes w;
	struct exit_info ex;
	struct tctx c;
	struct engine *e;

	if (!bin)
		return;
	e = launch(bin, handle ? "handle" : NULL, NULL, &c);
	if (!e)
		return;
	probe_func(&c, bin, "work", 0, CHK_NONE, CHK_NONE, true, true, &w);
	if (handle) {
		expect_exit0(e, &c, "selftrap");
		CHECK_INT(entries_and_rets(&w), 10 * 100000 + 10);
		CHECK_INT(w.second->hits, 10);
		return;
	}
	CHECK_INT(run(e, &c, &ex), 0);
	CHECK_INT(ex.kind, EXIT_SIGNAL);
	CHECK_INT(ex.code, SIGTRAP);
	CHECK_INT(entries_and_rets(&w), 1 * 100000 + 1);
	ops->close(e);
}

struct sender {
	pid_t pid;
	int sig, ms;
};

static void *send_later(void *arg)
{
	struct sender *s = arg;
	struct timespec ts = {0, s->ms * 1000000L};

	nanosleep(&ts, NULL);
	kill(s->pid, s->sig);
	return NULL;
}

/* A SIGINT from outside reaches the program. */
static void test_sigint(bool handle)
{
	const char *bin = build("sigint", "-O2", "O2");
	struct sender snd;
	struct fprobes w;
	struct exit_info ex;
	struct tctx c;
	struct engine *e;
	pthread_t th;

	if (!bin)
		return;
	e = launch(bin, handle ? "handle" : NULL, NULL, &c);
	if (!e)
		return;
	probe_func(&c, bin, "work", 0, CHK_NONE, CHK_NONE, false, true, &w);
	snd.pid = ops->pid(e);
	snd.sig = SIGINT;
	snd.ms = 100;
	pthread_create(&th, NULL, send_later, &snd);
	CHECK_INT(run(e, &c, &ex), 0);
	pthread_join(th, NULL);
	CHECK_INT(ex.kind, handle ? EXIT_STATUS : EXIT_SIGNAL);
	CHECK_INT(ex.code, handle ? 0 : SIGINT);
	CHECK(w.entry->hits > 0);
	if (handle)
		CHECK_INT(rets_hits(&w), w.entry->hits);
	else
		CHECK(w.entry->hits - rets_hits(&w) <= 1);
	ops->close(e);
}

/* The original bytes of fn, from the file, written back into the target
 * (what a dlclose and a new mapping there would leave). */
static void write_back(struct tctx *c, const char *bin, const char *fn)
{
	struct fsym s;
	char path[64];
	int fd;

	if (find_sym(bin, fn, &s))
		return;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)ops->pid(c->e));
	fd = open(path, O_WRONLY);
	CHECK(fd >= 0 && pwrite(fd, s.code, s.size,
				(off_t)(s.addr + ops->load_bias(c->e))) ==
			       (ssize_t)s.size);
	if (fd >= 0)
		close(fd);
}

struct forget_data {
	const char *bin;
	bool restore;
	long at; /* hits when the probes were forgotten (0: not yet) */
};

static int forget_hook(struct tctx *c, const struct hit *h)
{
	struct forget_data *fd = c->data;
	struct fsym s;
	uint64_t bias = ops->load_bias(c->e);

	if (fd->at || c->nhits < 3000 || find_sym(fd->bin, "work", &s))
		return 0;
	/* Other threads have likely trapped on these probes already. */
	if (fd->restore)
		write_back(c, fd->bin, "work");
	ops->forget_probes(c->e, s.addr + bias, s.addr + s.size + bias);
	fd->at = c->nhits;
	return 0;
}

/* Threads hitting probes forgotten under them go on as if nothing was
 * there: with the code restored meanwhile, or with the int3s still in
 * place. */
static void test_forget(bool restore)
{
	const char *bin = build("threads", "-O2", "forget");
	struct forget_data fd = {.bin = bin, .restore = restore};
	struct fprobes w;
	struct tctx c;
	struct engine *e;

	if (!bin)
		return;
	e = launch(bin, "3000", NULL, &c);
	if (!e)
		return;
	probe_func(&c, bin, "work", 0, CHK_NONE, CHK_NONE, true, true, &w);
	c.hook = forget_hook;
	c.data = &fd;
	expect_exit0(e, &c, restore ? "forget restored" : "forget");
	CHECK(fd.at >= 3000);
	CHECK_INT(c.nhits, fd.at);
}

static void test_manythreads(void)
{
	const char *bin = build("manythreads", "-O2", "O2");
	struct fprobes w;
	struct tctx c;
	struct engine *e;

	if (!bin)
		return;
	e = launch(bin, "2000", NULL, &c);
	if (!e)
		return;
	probe_func(&c, bin, "work", 0, CHK_NONE, CHK_NONE, true, true, &w);
	expect_exit0(e, &c, "manythreads");
	CHECK_INT(w.entry->hits, 2000);
	CHECK_INT(w.second->hits, 2000);
	CHECK_INT(rets_hits(&w), 2000);
	CHECK_INT(c.started, 2000);
	CHECK_INT(c.ended, 2000);
}

/* The main thread leaves first; the status comes with the last thread. */
static void test_mainexit(void)
{
	const char *bin = build("mainexit", "-O2", "O2");
	struct exit_info ex;
	struct fprobes w;
	struct tctx c;
	struct engine *e;

	if (!bin)
		return;
	e = launch(bin, NULL, NULL, &c);
	if (!e)
		return;
	probe_func(&c, bin, "work", 0, CHK_NONE, CHK_NONE, true, true, &w);
	CHECK_INT(run(e, &c, &ex), 0);
	CHECK_INT(ex.kind, EXIT_STATUS);
	CHECK_INT(ex.code, 42);
	CHECK_INT(w.entry->hits, 3000);
	CHECK_INT(rets_hits(&w), 3000);
	ops->close(e);
}

static void test_vfork(void)
{
	const char *bin = build("vforker", "-O0", "O0");
	struct fprobes w;
	struct tctx c;
	struct engine *e;

	if (!bin)
		return;
	e = launch(bin, NULL, NULL, &c);
	if (!e)
		return;
	probe_func(&c, bin, "work", 0, CHK_NONE, CHK_NONE, true, true, &w);
	expect_exit0(e, &c, "vfork");
	CHECK_INT(entries_and_rets(&w), 4 * 100000 + 4);
}

struct exec_data {
	const char *bin;
	struct fprobes after;
};

static int reprobe(struct tctx *c, pid_t tid)
{
	struct exec_data *xd = c->data;

	CHECK_INT(tid, ops->pid(c->e));
	probe_func(c, xd->bin, "work", 1, CHK_NONE, CHK_NONE, true, true,
		   &xd->after);
	return 0;
}

/* An exec from a non-main thread (or the main one): on_exec probes the new
 * image, whose hits come in. */
static void test_threxec(const char *how, const char *flags)
{
	const char *bin = build("threxec", flags, how ? how : "thr");
	struct exec_data xd = {.bin = bin};
	struct fprobes w;
	struct tctx c;
	struct engine *e;

	if (!bin)
		return;
	e = launch(bin, how, NULL, &c);
	if (!e)
		return;
	probe_func(&c, bin, "work", 0, CHK_NONE, CHK_NONE, true, true, &w);
	c.exec_hook = reprobe;
	c.data = &xd;
	expect_exit0(e, &c, "threxec");
	CHECK_INT(c.execs, 1);
	CHECK_INT(entries_and_rets(&w), 3 * 100000 + 3);
	CHECK_INT(w.second->hits, 3);
	if (xd.after.entry) {
		CHECK_INT(entries_and_rets(&xd.after), 5 * 100000 + 5);
		CHECK_INT(xd.after.second->hits, 5);
	}
	if (!how) {
		CHECK_INT(c.started, 1);
		CHECK_INT(c.ended, 1);
	}
}

static void test_recurse(void)
{
	const char *bin = build("recurse", "-O0", "O0");
	struct fprobes r;
	struct tctx c;
	struct engine *e;

	if (!bin)
		return;
	e = launch(bin, "10000", NULL, &c);
	if (!e)
		return;
	probe_func(&c, bin, "rec", 0, CHK_PAIR, CHK_PAIR, true, true, &r);
	expect_exit0(e, &c, "recurse");
	CHECK_INT(r.entry->hits, 20002);
	CHECK_INT(r.second->hits, 20002);
	CHECK_INT(rets_hits(&r), 20002);
	CHECK_INT(bad(&c), 0);
	CHECK_INT(c.pairs[0].n, 0);
	tctx_free(&c);
}

/* longjmp (C) and exceptions (C++) out of traced frames: the returns that
 * happen pair with their entries, by sp. */
static void test_unwind(bool cxx, const char *flags, const char *tag)
{
	const char *bin = cxx ? build_with("g++", "exc", "cpp", flags, tag, "")
			      : build("jmp", flags, tag);
	struct fprobes a, b, d;
	struct tctx c;
	struct engine *e;

	if (!bin)
		return;
	e = launch(bin, NULL, NULL, &c);
	if (!e)
		return;
	if (cxx) {
		probe_func(&c, bin, "_Z3midl", 0, CHK_PAIR, CHK_PAIR, false,
			   true, &a);
		probe_func(&c, bin, "_Z4leafl", 1, CHK_PAIR, CHK_PAIR, false,
			   true, &d);
	} else {
		probe_func(&c, bin, "traced", 0, CHK_PAIR, CHK_PAIR, false,
			   true, &a);
		probe_func(&c, bin, "tailer", 1, CHK_PAIR, CHK_PAIR, false,
			   true, &b);
		probe_func(&c, bin, "deep", 2, CHK_PAIR, CHK_PAIR, false, true,
			   &d);
	}
	expect_exit0(e, &c, tag);
	if (cxx) {
		CHECK_INT(entries_and_rets(&a), 30 * 100000 + 20);
		CHECK_INT(entries_and_rets(&d), 30 * 100000 + 20);
	} else {
		CHECK_INT(entries_and_rets(&a), 30 * 100000 + 20);
		CHECK_INT(entries_and_rets(&b), 20 * 100000 + 10);
		CHECK_INT(entries_and_rets(&d), 50 * 100000 + 30);
	}
	CHECK_INT(bad(&c), 0);
	tctx_free(&c);
}

struct far_data {
	const char *lib;
	struct fsym fw;
	int n;
};

/* Probes every instruction of farwork(), from inside the hit of
 * main_ready (the library is loaded by then). */
static int far_hook(struct tctx *c, const struct hit *h)
{
	struct far_data *fd = c->data;
	struct tp *tp = h->probe->cookie;
	char path[64], line[512];
	uint64_t base = 0, lo;
	struct insn in;
	FILE *f;

	if (tp != &c->tps[0] || fd->n)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)ops->pid(c->e));
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long s, off;
		if (strstr(line, "libfarlib.so") &&
		    sscanf(line, "%lx-%*x %*s %lx", &s, &off) == 2 && !off) {
			base = s;
			break;
		}
	}
	if (f)
		fclose(f);
	CHECK(base != 0);
	if (!base)
		return 0;
	/* More than 2 GiB away from the executable's page. */
	CHECK(base - h->acc->bias > (3ull << 30));
	lo = base + fd->fw.addr;
	for (uint64_t off = 0; off < fd->fw.size; off += in.len) {
		if (x86_decode(fd->fw.code + off, fd->fw.size - off, lo + off,
			       &in))
			break;
		add_tp(c, lo + off, in.cls == INSN_RET ? PROBE_RETURN
						       : PROBE_ENTRY,
		       1, CHK_NONE, lo, lo + fd->fw.size);
		fd->n++;
	}
	return 0;
}

/* Probes in a shared library far from the executable, rip-relative
 * instructions among them, inserted while the target runs. */
static void test_far(void)
{
	char flags[512];
	const char *lib, *bin;
	struct far_data fd = {0};
	struct fprobes m;
	struct tctx c;
	struct engine *e;
	bool riprel = false;
	struct insn in;

	lib = build_with("gcc", "farlib", "c", "-O2 -fpic -shared", "so", "");
	if (!lib)
		return;
	snprintf(flags, sizeof(flags), "%s/libfarlib.so", tmpdir);
	if (rename(lib, flags))
		return;
	fd.lib = flags;
	CHECK_INT(find_sym(fd.lib, "farwork", &fd.fw), 0);
	for (uint64_t off = 0; off < fd.fw.size; off += in.len) {
		if (x86_decode(fd.fw.code + off, fd.fw.size - off, off, &in))
			break;
		riprel |= in.cls == INSN_RIPREL;
	}
	CHECK(riprel);
	snprintf(flags, sizeof(flags), "-O2 -fno-pie -no-pie -L%s -Wl,-rpath,%s",
		 tmpdir, tmpdir);
	bin = build_with("gcc", "farmain", "c", flags, "far", "-lfarlib");
	if (!bin)
		return;
	e = launch(bin, "1000", NULL, &c);
	if (!e)
		return;
	probe_func(&c, bin, "main_ready", 0, CHK_NONE, CHK_NONE, false, false,
		   &m);
	c.hook = far_hook;
	c.data = &fd;
	expect_exit0(e, &c, "far");
	CHECK(fd.n >= 3);
	for (int i = 1; i < c.ntps; i++)
		CHECK_INT(c.tps[i].hits, 1000);
}

/* State letter of /proc/pid/task/tid/stat, and the task's TracerPid. */
static char task_state(pid_t pid, pid_t tid, int *tracer)
{
	char path[96], buf[512], *p;
	char st = '?';
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid,
		 (int)tid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
			st = p[2];
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid,
		 (int)tid);
	f = fopen(path, "r");
	*tracer = -1;
	while (f && fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "TracerPid: %d", tracer) == 1)
			break;
	if (f)
		fclose(f);
	return st;
}

/* Every task of pid: untraced, and stopped (want 'T') or not. */
static bool tasks_ok(pid_t pid, bool stopped)
{
	char path[64];
	struct dirent *de;
	bool ok = true;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return false;
	while ((de = readdir(d))) {
		pid_t tid = atoi(de->d_name);
		int tr;
		char st;
		if (tid <= 0)
			continue;
		st = task_state(pid, tid, &tr);
		if (st == '?' || tr < 0)
			continue; /* ended meanwhile (churn) */
		if (tr != 0 || (stopped ? st != 'T' : (st == 'T' || st == 't'))) {
			fprintf(stderr, "task %d: state %c, tracer %d\n",
				(int)tid, st, tr);
			ok = false;
		}
	}
	closedir(d);
	return ok;
}

static pid_t spawn(const char *bin, const char *arg)
{
	pid_t pid = fork();

	if (pid == 0) {
		execl(bin, bin, arg, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Attach, trace a moment, detach: twenty times in a row on four threads
 * calling the traced function flat out (churn: threads ending and starting
 * all the while). Each time the code must be the file's, no task traced or
 * stopped, and the program right at its end. */
static void test_detach_many(const char *mode)
{
	const char *bin = build("busy", "-O2", "O2");
	int st = 0, bad_rounds = 0;
	pid_t pid;

	if (!bin)
		return;
	pid = spawn(bin, mode);
	usleep(50000);
	for (int round = 0; round < 20; round++) {
		struct errbuf eb = {{0}};
		struct exit_info ex;
		struct engine *e = NULL;
		struct fprobes w;
		struct stopper s;
		struct tctx c;
		pthread_t th;

		if (ops->attach(&e, &(struct attach_opts){.pid = pid}, &eb)) {
			fprintf(stderr, "attach round %d: %s\n", round, eb.msg);
			CHECK(!"attach");
			break;
		}
		memset(&c, 0, sizeof(c));
		c.ops = ops;
		c.e = e;
		probe_func(&c, bin, "work", 0, CHK_NONE, CHK_NONE, true, true,
			   &w);
		s.e = e;
		s.ms = 10 + round * 3;
		pthread_create(&th, NULL, stop_later, &s);
		CHECK_INT(run(e, &c, &ex), 0);
		pthread_join(th, NULL);
		CHECK_INT(ex.kind, EXIT_NONE);
		CHECK(w.entry->hits > 0);
		CHECK_INT(ops->detach(e, false, &ex, &eb), 0);
		if (!code_intact(pid, bin, "work", ops->load_bias(e)) ||
		    !tasks_ok(pid, false)) {
			fprintf(stderr, "detach round %d: not clean\n", round);
			bad_rounds++;
		}
		ops->close(e);
		usleep(5000);
		if (waitpid(pid, &st, WNOHANG) != 0) {
			fprintf(stderr, "round %d: target gone, status 0x%x\n",
				round, st);
			bad_rounds++;
			break;
		}
	}
	CHECK_INT(bad_rounds, 0);
	kill(pid, SIGUSR1);
	CHECK_INT(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fprintf(stderr, "detach_many: status 0x%x\n", st);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* A process stopped before the attach stays stopped while traced and after
 * the detach; SIGCONT then lets it finish normally. */
static void test_attach_stopped(void)
{
	const char *bin = build("spin", "-O2", "stopped");
	struct errbuf eb = {{0}};
	struct exit_info ex;
	struct engine *e = NULL;
	struct fprobes w;
	struct stopper s;
	struct tctx c;
	pthread_t th;
	pid_t pid;
	int st = 0, tr;

	if (!bin)
		return;
	pid = spawn(bin, "10000");
	usleep(50000);
	kill(pid, SIGSTOP);
	for (int i = 0; i < 100 && task_state(pid, pid, &tr) != 'T'; i++)
		usleep(10000);
	CHECK_INT(ops->attach(&e, &(struct attach_opts){.pid = pid}, &eb), 0);
	if (!e)
		return;
	memset(&c, 0, sizeof(c));
	c.ops = ops;
	c.e = e;
	probe_func(&c, bin, "work", 0, CHK_NONE, CHK_NONE, true, true, &w);
	s.e = e;
	s.ms = 100;
	pthread_create(&th, NULL, stop_later, &s);
	CHECK_INT(run(e, &c, &ex), 0);
	pthread_join(th, NULL);
	CHECK_INT(w.entry->hits, 0);
	CHECK_INT(ops->detach(e, false, &ex, &eb), 0);
	CHECK(code_intact(pid, bin, "work", ops->load_bias(e)));
	ops->close(e);
	usleep(20000);
	CHECK(tasks_ok(pid, true));
	kill(pid, SIGCONT);
	kill(pid, SIGUSR1);
	CHECK_INT(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* EPERM without another tracer: the message says what to check. */
static void test_attach_perm(void)
{
	const char *bin = build("spin", "-O2", "perm");
	int pfd[2], st = 0;
	char msg[512] = "";
	pid_t pid, kid;
	ssize_t n;

	if (!bin || getuid() != 0 || pipe(pfd))
		return;
	pid = spawn(bin, "10000");
	usleep(30000);
	kid = fork();
	if (kid == 0) {
		struct errbuf eb = {{0}};
		struct engine *e = NULL;
		int err;
		if (setgid(65534) || setuid(65534))
			_exit(2);
		err = ops->attach(&e, &(struct attach_opts){.pid = pid}, &eb);
		if (write(pfd[1], eb.msg, strlen(eb.msg)) < 0)
			_exit(3);
		_exit(err == -EPERM ? 0 : 1);
	}
	close(pfd[1]);
	n = read(pfd[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = 0;
	close(pfd[0]);
	CHECK_INT(waitpid(kid, &st, 0), kid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (!strstr(msg, "Operation not permitted") ||
	    !strstr(msg, "are you root") || !strstr(msg, "ptrace_scope"))
		fprintf(stderr, "attach perm: %s\n", msg);
	CHECK(strstr(msg, "Operation not permitted") != NULL);
	CHECK(strstr(msg, "are you root") != NULL);
	CHECK(strstr(msg, "ptrace_scope") != NULL);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
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

/* ---- --syscalls ---- */

struct sysc_log {
	int n;
	struct {
		pid_t tid;
		int nr;
		bool is_exit;
		int64_t ret;
		char path[64];
	} ev[64];
};

static void on_syscall_cb(void *ctx, const struct syscall_event *s)
{
	struct sysc_log *l = ctx;

	if (l->n >= 64)
		return;
	l->ev[l->n].tid = s->tid;
	l->ev[l->n].nr = s->nr;
	l->ev[l->n].is_exit = s->is_exit;
	l->ev[l->n].ret = s->ret;
	l->ev[l->n].path[0] = 0;
	/* openat's path, read at the entry from the stopped thread. */
	if (!s->is_exit && s->nr == SYS_openat && s->acc)
		s->acc->read_mem(s->acc->ctx, s->args[1], l->ev[l->n].path,
				 20);
	l->ev[l->n].path[20] = 0;
	l->n++;
}

/* openat and getpid reported (entry then exit, in order, on the thread
 * that made them, the failing open with -ENOENT), write not; the child's
 * calls not at all; the program unharmed. Launched: a seccomp filter;
 * attached: syscall stops. */
static void test_syscalls(bool attach)
{
	const char *bin = build("sysc", "-O1", "sysc");
	uint8_t set[128] = {0};
	struct sysc_log log = {0};
	struct engine_callbacks cb = {.ctx = &log,
				      .on_syscall = on_syscall_cb};
	struct errbuf eb = {{0}};
	struct exit_info ex;
	struct engine *e = NULL;
	int opens = 0, pids = 0, st;
	pid_t pid = 0;

	if (!bin)
		return;
	set[SYS_openat / 8] |= 1u << (SYS_openat % 8);
	set[SYS_getpid / 8] |= 1u << (SYS_getpid % 8);
	if (attach) {
		char *argv[] = {(char *)bin, "wait", NULL};
		struct attach_opts ao = {.syscalls = set};

		pid = fork();
		if (pid == 0) {
			execv(bin, argv);
			_exit(127);
		}
		usleep(100000);
		ao.pid = pid;
		CHECK_INT(ops->attach(&e, &ao, &eb), 0);
		kill(pid, SIGUSR1);
	} else {
		char *argv[] = {(char *)bin, NULL};
		struct launch_opts o = {.argv = argv, .disable_aslr = true,
					.syscalls = set};

		CHECK_INT(ops->launch(&e, &o, &eb), 0);
	}
	if (!e)
		return;
	CHECK_INT(ops->run(e, &cb, &ex, &eb), 0);
	/* Attached: our child, reaped by the engine's wait. */
	CHECK(ex.kind == EXIT_STATUS && ex.code == 0);
	(void)st;
	for (int i = 0; i < log.n; i++) {
		if (log.ev[i].is_exit)
			continue;
		/* Each entry is followed by its exit on the same thread. */
		CHECK(i + 1 < log.n && log.ev[i + 1].is_exit &&
		      log.ev[i + 1].tid == log.ev[i].tid &&
		      log.ev[i + 1].nr == log.ev[i].nr);
		if (log.ev[i].nr == SYS_openat) {
			/* The loader's opens come first when launched. */
			if (!strcmp(log.ev[i].path, "/nonexistent/tinydbg")) {
				opens++;
				CHECK_INT(log.ev[i + 1].ret, -ENOENT);
			} else if (!strcmp(log.ev[i].path, "/dev/null")) {
				opens++;
				CHECK(log.ev[i + 1].ret >= 0);
			}
			CHECK(strcmp(log.ev[i].path, "/nonexistent/child"));
		} else if (log.ev[i].nr == SYS_getpid) {
			pids++;
		} else {
			CHECK(!"only openat and getpid");
		}
	}
	CHECK_INT(opens, 2);
	CHECK_INT(pids, 2); /* main and the worker; not the child's */
	ops->close(e);
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
	test_syscalls(false);
	test_syscalls(true);
	test_follow();
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
	test_loop("-O2 -static", "static");
	test_loop("-O2 -static-pie", "spie");
	test_selftrap(true);
	test_selftrap(false);
	test_sigint(true);
	test_sigint(false);
	test_forget(true);
	test_forget(false);
	test_manythreads();
	test_mainexit();
	test_vfork();
	test_threxec(NULL, "-O2 -fpie -pie");
	test_threxec("main", "-O0 -fno-pie -no-pie");
	test_recurse();
	test_unwind(false, "-O0", "O0");
	test_unwind(false, "-O2", "O2");
	test_unwind(true, "-O0", "O0");
	/* A .cold part is outside [lo, hi): its jcc is no tail call, and the
	 * test's plan (symbol ranges only) would take it for one. */
	test_unwind(true, "-O2 -fno-reorder-blocks-and-partition", "O2");
	test_far();
	test_attach_stopped();
	test_attach_perm();
	test_detach_many(NULL);
	test_detach_many("churn");
out:
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd))
		return 1;
	return check_report();
}
