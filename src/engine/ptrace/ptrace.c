/* The ptrace engine's ops table, its thread list, target memory access and
 * CPU placement. */
#include "engine/ptrace/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <unistd.h>

struct engine *pt_engine_new(pid_t pid)
{
	struct engine *e = xcalloc(1, sizeof(*e));

	e->pid = pid;
	e->memfd = -1;
	e->guard_fd = -1;
	e->cpu = -1;
	atomic_init(&e->in_run, false);
	atomic_init(&e->stop, false);
	return e;
}

/* Threads are few and a hit looks its thread up: remember the last one. */
struct pt_thread *pt_thread_find(struct engine *e, pid_t tid)
{
	static __thread size_t last;

	if (last < e->threads.len && e->threads.items[last].tid == tid)
		return &e->threads.items[last];
	for (size_t i = 0; i < e->threads.len; i++)
		if (e->threads.items[i].tid == tid)
			return &e->threads.items[last = i];
	return NULL;
}

struct pt_thread *pt_thread_add(struct engine *e, pid_t tid,
				enum pt_tstate st)
{
	struct pt_thread t = {.tid = tid, .state = st};
	struct pt_thread *old = pt_thread_find(e, tid);

	if (old) {
		old->state = st;
		return old;
	}
	VEC_PUSH(&e->threads, t);
	return &e->threads.items[e->threads.len - 1];
}

void pt_thread_remove(struct engine *e, pid_t tid)
{
	pt_pin_forget(e, tid);
	for (size_t i = 0; i < e->threads.len; i++) {
		if (e->threads.items[i].tid != tid)
			continue;
		VEC_FREE(&e->threads.items[i].pending);
		e->threads.items[i] = e->threads.items[--e->threads.len];
		return;
	}
}

bool pt_is_zombie(pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && (p[2] == 'Z' || p[2] == 'X');
}

int pt_memfd_open(struct engine *e, struct errbuf *eb)
{
	char path[64];

	if (e->memfd >= 0)
		close(e->memfd);
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)e->pid);
	e->memfd = open(path, O_RDWR | O_CLOEXEC);
	if (e->memfd < 0)
		return errbuf_set(eb, -errno, "opening %s: %s", path,
				  strerror(errno));
	return 0;
}

/* process_vm_readv costs one syscall and no page-table walk of our own; it
 * fails on pages the target cannot read itself (r-x is fine, --x is not), so
 * /proc/PID/mem, which reads with the tracer's FOLL_FORCE, backs it up. */
int pt_mem_read(struct engine *e, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = {buf, len}, remote = {(void *)addr, len};
	ssize_t n = process_vm_readv(e->pid, &local, 1, &remote, 1, 0);

	if (n == (ssize_t)len)
		return 0;
	if (e->memfd < 0)
		return n < 0 ? -errno : -EIO;
	n = pread(e->memfd, buf, len, (off_t)addr);
	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? -errno : -EIO;
}

/* Stacks are writable: process_vm_writev. Code is not, and /proc/PID/mem
 * writes it anyway (FOLL_FORCE), with no thread needing to be stopped. */
int pt_mem_write(struct engine *e, uint64_t addr, const void *buf,
		 size_t len)
{
	struct iovec local = {(void *)buf, len}, remote = {(void *)addr, len};
	ssize_t n = process_vm_writev(e->pid, &local, 1, &remote, 1, 0);

	if (n == (ssize_t)len)
		return 0;
	if (e->memfd < 0)
		return n < 0 ? -errno : -EIO;
	n = pwrite(e->memfd, buf, len, (off_t)addr);
	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? -errno : -EIO;
}

int pt_poke(pid_t tid, uint64_t addr, const void *buf, size_t len)
{
	const uint8_t *src = buf;

	while (len) {
		uint64_t a = addr & ~7ull, off = addr - a;
		size_t n = 8 - off < len ? 8 - off : len;
		long w;

		errno = 0;
		w = ptrace(PTRACE_PEEKDATA, tid, (void *)a, NULL);
		if (w == -1 && errno)
			return -errno;
		memcpy((uint8_t *)&w + off, src, n);
		if (ptrace(PTRACE_POKEDATA, tid, (void *)a, (void *)w) < 0)
			return -errno;
		addr += n;
		src += n;
		len -= n;
	}
	return 0;
}

/* CPU placement. A stop handed from a target thread to the tracer and back
 * is cheap when both share a CPU and slow across CPUs on a VM, where an
 * idle vCPU halts and its wake-up crosses the hypervisor. Measured with
 * `test_ptrace bench` (2 vCPUs, entry + return probes):
 *
 *                     1 thread     4 threads      4 busy threads (wall)
 *   none              ~16k hits/s  ~55k hits/s    0.21-0.27 s
 *   tracer only       ~15k         ~58-78k        0.19-0.20 s
 *   tracer + target   ~90k         ~103k          0.29 s (serialised)
 *   auto              ~87k         ~67-87k        0.16-0.18 s
 *
 * So PIN_AUTO (the default) pins the tracer and a launched target to one
 * CPU while the target has one thread, and lets go of both when a second
 * thread appears. A program that sizes itself by its CPUs at start-up (Go's
 * GOMAXPROCS) is not pinned then (launch_opts.sizes_by_cpus).
 *
 * Then, in a launched multi-threaded target, the hot thread: when one
 * thread makes HOT_HITS hits in a row (a Go program's main goroutine, with
 * sysmon and idle threads beside it), it alone is moved to the tracer's
 * CPU; it gets its CPUs back as soon as another thread hits, since
 * serialising busy threads costs more than it saves. TINYDBG_PTRACE_PIN=
 * none|tracer|both|auto overrides the policy. */
#define HOT_HITS 256

static enum pt_pin pin_policy(void)
{
	const char *s = getenv("TINYDBG_PTRACE_PIN");

	if (!s || !*s || !strcmp(s, "auto"))
		return PIN_AUTO;
	if (!strcmp(s, "none"))
		return PIN_NONE;
	if (!strcmp(s, "tracer"))
		return PIN_TRACER;
	if (!strcmp(s, "both"))
		return PIN_BOTH;
	return PIN_AUTO;
}

/* Pins the tracer thread to the CPU it runs on; false if it cannot. */
static bool pin_tracer(struct engine *e)
{
	cpu_set_t one;
	int cpu;

	if (e->cpu >= 0)
		return true;
	cpu = sched_getcpu();
	if (cpu < 0 || !CPU_ISSET(cpu, &e->orig_cpus))
		return false;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one) < 0)
		return false;
	e->cpu = cpu;
	return true;
}

static void pin_thread(struct engine *e, pid_t tid)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(e->cpu, &one);
	sched_setaffinity(tid, sizeof(one), &one);
}

void pt_pin_setup(struct engine *e)
{
	e->pin = e->no_pin ? PIN_NONE : pin_policy();
	/* Pinning the tracer alone gains nothing measurable (the target is
	 * woken where it last ran), so auto leaves an attached target and
	 * its tracer where they are. */
	if (e->pin == PIN_NONE || (e->pin == PIN_AUTO && !e->launched))
		return;
	if (sched_getaffinity(0, sizeof(e->orig_cpus), &e->orig_cpus) < 0)
		return;
	/* A single CPU gains nothing. */
	if (CPU_COUNT(&e->orig_cpus) < 2) {
		e->pin = PIN_NONE;
		return;
	}
	e->have_orig = true;
	if (e->pin == PIN_AUTO && e->sizes_by_cpus)
		return; /* the hot thread may be pinned later */
	if (!pin_tracer(e) || e->pin == PIN_TRACER)
		return;
	/* The target: only one we launched (an attached process's placement
	 * is its owner's business), and in auto mode only while it has one
	 * thread. */
	if (!e->launched)
		return;
	for (size_t i = 0; i < e->threads.len; i++)
		pin_thread(e, e->threads.items[i].tid);
	e->pinned = true;
}

static void unpin_hot(struct engine *e)
{
	if (e->hot_pinned)
		sched_setaffinity(e->hot_pinned, sizeof(e->orig_cpus),
				  &e->orig_cpus);
	e->hot_pinned = 0;
}

void pt_pin_note_hit(struct engine *e, pid_t tid)
{
	if (e->pin != PIN_AUTO || !e->launched || !e->have_orig ||
	    e->pinned || tid == e->hot_pinned)
		return;
	if (tid != e->hot_tid) {
		unpin_hot(e);
		e->hot_tid = tid;
		e->hot_hits = 0;
	}
	if (++e->hot_hits < HOT_HITS || !pin_tracer(e))
		return;
	pin_thread(e, tid);
	e->hot_pinned = tid;
}

void pt_pin_forget(struct engine *e, pid_t tid)
{
	if (e->hot_pinned == tid)
		e->hot_pinned = 0;
	if (e->hot_tid == tid)
		e->hot_tid = 0;
}

/* Undoes the pinning: the target's threads get the tracer's old mask back
 * (a launched target inherited it), and so does the tracer. */
void pt_pin_widen(struct engine *e)
{
	if (e->pinned) {
		for (size_t i = 0; i < e->threads.len; i++)
			sched_setaffinity(e->threads.items[i].tid,
					  sizeof(e->orig_cpus), &e->orig_cpus);
		e->pinned = false;
	}
	unpin_hot(e);
	e->hot_hits = 0;
	if (e->cpu >= 0) {
		sched_setaffinity(0, sizeof(e->orig_cpus), &e->orig_cpus);
		e->cpu = -1;
	}
}

static pid_t ops_pid(const struct engine *e)
{
	return e->pid;
}

static uint64_t ops_load_bias(const struct engine *e)
{
	return e->bias;
}

static int ops_read_mem(struct engine *e, uint64_t addr, void *buf,
			size_t len)
{
	return pt_mem_read(e, addr, buf, len);
}

static int ops_insert_probe(struct engine *e, const struct probe *p,
			    struct errbuf *eb)
{
	return pt_insert_probe(e, p, eb);
}

static void ops_forget_probes(struct engine *e, uint64_t lo, uint64_t hi)
{
	pt_forget_range(e, lo, hi);
}

static void ops_close(struct engine *e)
{
	if (!e)
		return;
	if (!e->gone) {
		struct exit_info ex;
		pt_detach(e, e->launched, &ex, NULL);
	}
	/* Without its word (a restore that failed) the guardian looks
	 * for itself. */
	if (e->guard_ok)
		pt_guardian_clean(e->guard_fd);
	else if (e->guard_fd >= 0)
		close(e->guard_fd);
	pt_pin_widen(e);
	for (size_t i = 0; i < e->threads.len; i++)
		VEC_FREE(&e->threads.items[i].pending);
	VEC_FREE(&e->threads);
	VEC_FREE(&e->orphans);
	VEC_FREE(&e->passengers);
	free(e->probes);
	VEC_FREE(&e->dead);
	VEC_FREE(&e->xols);
	if (e->memfd >= 0)
		close(e->memfd);
	free(e);
}

const struct engine_ops ptrace_engine_ops = {
	.name = "ptrace",
	.launch = pt_launch,
	.attach = pt_attach,
	.pid = ops_pid,
	.load_bias = ops_load_bias,
	.read_mem = ops_read_mem,
	.insert_probe = ops_insert_probe,
	.forget_probes = ops_forget_probes,
	.run = pt_run,
	.request_stop = pt_request_stop,
	.detach = pt_detach,
	.close = ops_close,
};
