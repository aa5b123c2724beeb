/* Starting a target under the engine (launch) or taking one over (attach),
 * and finding where its executable was loaded. */
#include "engine/ptrace/internal.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PT_OPTIONS                                                             \
	(PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC |        \
	 PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACESYSGOOD)

long pt_options(const struct engine *e)
{
	long o = PT_OPTIONS;

	/* A process we attached to is not ours to kill when we die: its
	 * guardian restores it (guardian.c). */
	if (!e->launched && e->guard_fd >= 0)
		o &= ~(long)PTRACE_O_EXITKILL;

	if (e->order || (e->has_syscalls && !e->sys_stops) || e->filtered)
		o |= PTRACE_O_TRACESECCOMP;
	/* An engine whose events wait in a ring (eBPF) drains it at every
	 * stop: a stop at each thread's exit drains it while the process's
	 * memory is still there to read (what the debugger reads live). */
	if (e->drain)
		o |= PTRACE_O_TRACEEXIT;
	return o;
}

/* bias = AT_ENTRY (where the entry point is now) - e_entry (where the file
 * says it is). The file is read through /proc/PID/exe so that a path that
 * changed since the exec does not matter. */
int pt_read_bias(struct engine *e, struct errbuf *eb)
{
	char path[64];
	uint64_t av[2], at_entry = 0;
	Elf64_Ehdr eh;
	int fd, err = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)e->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errbuf_set(eb, -errno, "opening %s: %s", path,
				  strerror(errno));
	while ((n = read(fd, av, sizeof(av))) == sizeof(av) && av[0]) {
		if (av[0] == AT_ENTRY) {
			at_entry = av[1];
			break;
		}
	}
	close(fd);
	if (!at_entry)
		return errbuf_set(eb, -ENOENT, "no AT_ENTRY in %s", path);

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)e->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errbuf_set(eb, -errno, "opening %s: %s", path,
				  strerror(errno));
	n = pread(fd, &eh, sizeof(eh), 0);
	if (n != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64) {
		err = errbuf_set(eb, -ENOEXEC, "%s is not a 64-bit ELF file",
				 path);
		goto out;
	}
	e->bias = at_entry - eh.e_entry;
out:
	close(fd);
	return err;
}

static const char *exec_hint(int err)
{
	switch (err) {
	case ENOENT:
		return " (no such file, or its interpreter is missing)";
	case EACCES:
		return " (not executable, or a directory)";
	case ENOEXEC:
		return " (not an executable format the kernel knows)";
	default:
		return "";
	}
}

/* The syscalls that write to the fd in their first argument. Writes
 * through other means (splice, io_uring, a mapping) are not seen. */
/* The child: runs until its exec. Only async-signal-safe calls here, since
 * the tracer may be multi-threaded. */
static void __attribute__((noreturn))
launch_child(const struct launch_opts *o, int errfd)
{
	int err;
	sigset_t none;

	/* The program must start as it would from a shell, not with the
	 * tracer's signal state: our threads block the signals the frontend
	 * handles, and we ignore SIGPIPE. A mask and ignored dispositions
	 * survive exec (handlers do not). */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (o->disable_aslr) {
		int pers = personality(0xffffffff);
		if (pers != -1)
			personality((unsigned long)pers | ADDR_NO_RANDOMIZE);
	}
	/* Wait here until the parent has seized us: everything from the
	 * exec on is then traced. The filter only after that: its stops
	 * need a tracer. */
	raise(SIGSTOP);
	if ((o->order_fds & 6) || o->syscalls)
		pt_filter_install(o->order_fds & 6, o->syscalls);
	execv(o->argv[0], o->argv);
	err = errno;
	if (write(errfd, &err, sizeof(err)) < 0)
		_exit(126);
	_exit(127);
}

/* Reaps a child we could not take over. */
static void launch_kill(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR)
		;
}

int pt_launch(struct engine **out, const struct launch_opts *o,
	      struct errbuf *eb)
{
	const char *path;
	struct engine *e = NULL;
	int fds[2], st, err, child_err = 0;
	pid_t pid;
	ssize_t n;

	*out = NULL;
	if (!o->argv || !o->argv[0])
		return errbuf_set(eb, -EINVAL, "no program to launch");
	path = o->argv[0];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return errbuf_set(eb, -errno, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		err = errbuf_set(eb, -errno, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid == 0) {
		close(fds[0]);
		launch_child(o, fds[1]);
	}
	close(fds[1]);

	while ((n = waitpid(pid, &st, WUNTRACED)) < 0 && errno == EINTR)
		;
	if (n < 0 || !WIFSTOPPED(st)) {
		err = errbuf_set(eb, -ECHILD, "launching %s: the child died "
				 "before exec", path);
		if (n >= 0 && WIFSTOPPED(st))
			launch_kill(pid);
		goto out;
	}
	if (ptrace(PTRACE_SEIZE, pid, NULL,
		   (void *)(long)(PT_OPTIONS | ((o->order_fds & 6) ||
							o->syscalls
						 ? PTRACE_O_TRACESECCOMP
						 : 0))) < 0) {
		err = errbuf_set(eb, -errno, "launching %s: PTRACE_SEIZE: %s",
				 path, strerror(errno));
		launch_kill(pid);
		goto out;
	}
	kill(pid, SIGCONT);

	/* Until the exec: pass on whatever else happens. */
	for (;;) {
		if (waitpid(pid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			err = errbuf_set(eb, -errno, "launching %s: waitpid: %s",
					 path, strerror(errno));
			launch_kill(pid);
			goto out;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			break;
		if (!WIFSTOPPED(st))
			continue;
		if (st >> 16 == PTRACE_EVENT_EXEC)
			break;
		int sig = (st >> 16) ? 0 : WSTOPSIG(st);
		if (sig == SIGSTOP)
			sig = 0; /* our own raise, seen again after the seize */
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	}
	/* The pipe is closed by the exec (CLOEXEC) or carries its errno. */
	n = read(fds[0], &child_err, sizeof(child_err));
	if (n == sizeof(child_err)) {
		if (!WIFEXITED(st) && !WIFSIGNALED(st))
			launch_kill(pid);
		err = errbuf_set(eb, -child_err, "cannot run %s: %s%s", path,
				 strerror(child_err), exec_hint(child_err));
		goto out;
	}
	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		err = errbuf_set(eb, -ECHILD, "launching %s: the child ended "
				 "before exec", path);
		goto out;
	}

	e = pt_engine_new(pid);
	e->launched = true;
	pt_thread_add(e, pid, TS_HELD);
	err = pt_memfd_open(e, eb);
	if (!err)
		err = pt_read_bias(e, eb);
	if (err) {
		launch_kill(pid);
		e->gone = true;
		ptrace_engine_ops.close(e);
		e = NULL;
		errbuf_prefix(eb, err, "launching %s", path);
		goto out;
	}
	e->sizes_by_cpus = o->sizes_by_cpus;
	e->no_pin = o->cpus_free;
	e->order = (o->order_fds & 6) != 0;
	e->follow_forks = o->follow_forks;
	e->signals = o->signals;
	if (o->syscalls) {
		memcpy(e->syscalls, o->syscalls, sizeof(e->syscalls));
		e->has_syscalls = true;
	}
	pt_pin_setup(e);
	*out = e;
out:
	close(fds[0]);
	return err;
}

/* The comm of pid, for messages ("?" when it is gone). */
static void comm_of(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	if (n <= 0) {
		snprintf(buf, len, "?");
		return;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

static int tracer_of(pid_t pid)
{
	char path[64], line[256];
	int tracer = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &tracer) == 1)
			break;
	fclose(f);
	return tracer;
}

/* Waits for the first stop of a thread we just seized and interrupted, and
 * holds it there. */
static void attach_wait(struct engine *e, pid_t tid)
{
	struct pt_thread *t;
	int st;

	while (waitpid(tid, &st, __WALL) < 0) {
		if (errno != EINTR) {
			pt_thread_remove(e, tid);
			return;
		}
	}
	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		pt_thread_remove(e, tid);
		return;
	}
	t = pt_thread_add(e, tid, TS_HELD);
	/* A signal-delivery stop: the signal must still reach the thread.
	 * The interrupt we asked for comes later and is passed over. */
	if (!(st >> 16) && WSTOPSIG(st) != (SIGTRAP | 0x80))
		t->resume_sig = WSTOPSIG(st);
	/* Stopped (state T) when we came: it must stay so, and be so when
	 * we leave. */
	t->group_stop = pt_is_group_stop(st);
	/* A clone event names a thread that reports its own first stop. */
	if (st >> 16 == PTRACE_EVENT_CLONE) {
		unsigned long msg = 0;
		ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg);
		if (msg && !pt_thread_find(e, (pid_t)msg)) {
			pt_thread_add(e, (pid_t)msg, TS_STARTING);
			attach_wait(e, (pid_t)msg);
		}
	}
}

/* One pass over /proc/PID/task: seizes the threads not seen yet. Returns
 * how many were new, or -errno. */
static int attach_scan(struct engine *e, struct errbuf *eb)
{
	char path[64];
	struct dirent *de;
	int added = 0, err = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)e->pid);
	d = opendir(path);
	if (!d)
		return errbuf_set(eb, errno == ENOENT ? -ESRCH : -errno,
				  "no process %d", (int)e->pid);
	while ((de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);
		if (tid <= 0 || pt_thread_find(e, tid))
			continue;
		if (ptrace(PTRACE_SEIZE, tid, NULL,
			   (void *)pt_options(e)) < 0) {
			int serr = errno, tr = tracer_of(tid);
			char comm[64];

			/* TracerPid names the tracing thread; users know the
			 * process. */
			if (tr > 0 && pt_tgid_of(tr) > 0)
				tr = pt_tgid_of(tr);

			if (serr == ESRCH)
				continue; /* it just ended */
			/* Ending: the kernel refuses to seize a thread that
			 * has exited (EPERM), and permission is the same
			 * for every thread, so one refused after another
			 * was taken is ending too. */
			if (serr == EPERM && tr <= 0 &&
			    (pt_is_zombie(tid) || e->threads.len))
				continue;
			if (serr == EPERM && tr == getpid() && tid != e->pid)
				continue; /* auto-attached from a clone */
			if (serr == EPERM && tr > 0) {
				comm_of(tr, comm, sizeof(comm));
				err = errbuf_set(eb, -EPERM, "cannot attach: "
						 "process %d is already traced "
						 "by %d (%s)", (int)e->pid, tr,
						 comm);
			} else if (serr == EPERM) {
				err = errbuf_set(eb, -EPERM, "cannot attach "
						 "to process %d: ptrace: %s (are "
						 "you root? see /proc/sys/kernel/"
						 "yama/ptrace_scope)",
						 (int)e->pid, strerror(serr));
			} else {
				err = errbuf_set(eb, -serr, "cannot attach "
						 "to process %d: %s",
						 (int)e->pid, strerror(serr));
			}
			break;
		}
		pt_thread_add(e, tid, TS_STARTING);
		ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
		attach_wait(e, tid);
		added++;
	}
	closedir(d);
	return err ? err : added;
}

int pt_attach(struct engine **out, const struct attach_opts *o,
	      struct errbuf *eb)
{
	pid_t pid = o->pid;

	struct engine *e;
	int err;

	*out = NULL;
	/* EPERM from kill: someone else's process, which the seize below
	 * explains. */
	if (pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH))
		return errbuf_set(eb, -ESRCH, "cannot attach to process %d: "
				  "no such process", (int)pid);
	e = pt_engine_new(pid);
	/* Its filter stops need a tracer that takes them (ENOSYS else). */
	e->filtered = o->filtered;
	/* Not killed with us (no PTRACE_O_EXITKILL: pt_options): if we
	 * die, the guardian puts its code back. Before the seize, whose
	 * options say so. */
	e->guard_fd = pt_guardian_start(pid);
	while ((err = attach_scan(e, eb)) > 0)
		;
	if (!err && !pt_thread_find(e, pid))
		err = errbuf_set(eb, -ESRCH, "cannot attach to process %d: "
				 "it has exited", (int)pid);
	if (!err)
		err = pt_memfd_open(e, eb);
	if (!err)
		err = pt_read_bias(e, eb);
	if (err) {
		for (size_t i = 0; i < e->threads.len; i++)
			ptrace(PTRACE_DETACH, e->threads.items[i].tid, NULL,
			       (void *)(long)e->threads.items[i].resume_sig);
		e->gone = true;
		e->guard_ok = true; /* nothing was changed */
		ptrace_engine_ops.close(e);
		return err;
	}
	e->follow_forks = o->follow_forks;
	e->signals = o->signals;
	e->order = o->filtered && (o->order_fds & 6);
	if (o->syscalls) {
		/* No filter can be put into a running process: every call
		 * stops (syscalls.c), unless it has ours already. */
		memcpy(e->syscalls, o->syscalls, sizeof(e->syscalls));
		e->has_syscalls = true;
		e->sys_stops = !o->filtered;
	}
	pt_pin_setup(e);
	*out = e;
	return 0;
}
