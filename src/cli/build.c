/* build: runs the toolchain that makes the program to trace (see build.h).
 *
 * Go packages are built as Delve builds them, with optimisations and
 * inlining off in every package (-gcflags='all=-N -l') so that arguments
 * live where DWARF says and every function has its own entry; the user's
 * --build-flags come after ours, so a -gcflags of theirs wins for the
 * packages it matches (the go command's rule: the last match wins). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "cli/build.h"

extern char **environ;

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

bool build_is_c_source(const char *pkg)
{
	return has_suffix(pkg, ".c") || build_is_cxx(pkg);
}

bool build_is_cxx(const char *pkg)
{
	return has_suffix(pkg, ".cc") || has_suffix(pkg, ".cpp") ||
	       has_suffix(pkg, ".cxx");
}

bool build_dir_has_go(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		found = has_suffix(e->d_name, ".go");
	closedir(d);
	return found;
}

int build_split_flags(const char *s, char ***args, size_t *n,
		      struct errbuf *eb)
{
	VEC(char *) v = {0};
	char *cur = xmalloc(strlen(s) + 1);
	size_t len = 0;
	bool in_arg = false;
	char quote = 0;
	int err = 0;

	for (const char *p = s; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			else
				cur[len++] = *p;
		} else if (*p == ' ' || *p == '\t' || *p == '\n') {
			if (in_arg) {
				VEC_PUSH(&v, xstrndup(cur, len));
				len = 0;
				in_arg = false;
			}
		} else {
			in_arg = true;
			if (*p == '\'' || *p == '"')
				quote = *p;
			else
				cur[len++] = *p;
		}
	}
	if (quote) {
		err = errbuf_set(eb, -EINVAL,
				 "unclosed %c in build flags \"%s\"", quote, s);
		for (size_t i = 0; i < v.len; i++)
			free(v.items[i]);
		VEC_FREE(&v);
		goto out;
	}
	/* '' is an argument of its own, an empty one. */
	if (in_arg)
		VEC_PUSH(&v, xstrndup(cur, len));
	*args = v.items;
	*n = v.len;
out:
	free(cur);
	return err;
}

/* The binary's file name: the package's last element, as go build names
 * it ("." is the current directory's name), with go test -c's ".test". */
static char *bin_name(const struct build_opts *o)
{
	char real[PATH_MAX], *name, *slash, *dot;
	struct stat st;

	if (!build_is_c_source(o->pkg) && !stat(o->pkg, &st) &&
	    S_ISDIR(st.st_mode) && realpath(o->pkg, real))
		name = xstrdup(real);
	else
		name = xstrdup(o->pkg);
	/* "./cmd/foo/" and "example.com/x/..." end in their last name. */
	for (;;) {
		size_t n = strlen(name);
		if (n > 1 && name[n - 1] == '/')
			name[n - 1] = 0;
		else if (n > 4 && has_suffix(name, "/..."))
			name[n - 4] = 0;
		else
			break;
	}
	slash = strrchr(name, '/');
	if (slash)
		memmove(name, slash + 1, strlen(slash + 1) + 1);
	dot = strrchr(name, '.');
	if (dot && dot != name &&
	    (build_is_c_source(name) || has_suffix(name, ".go")))
		*dot = 0;
	if (!*name || !strcmp(name, ".") || !strcmp(name, "..") ||
	    !strcmp(name, "/")) {
		free(name);
		name = xstrdup("main");
	}
	if (o->test) {
		char *t = xasprintf("%s.test", name);
		free(name);
		name = t;
	}
	return name;
}

static void describe_status(struct errbuf *eb, const char *tool, int status)
{
	if (WIFSIGNALED(status)) {
		const char *sig = sigabbrev_np(WTERMSIG(status));
		errbuf_set(eb, -ECHILD, "%s was killed by signal SIG%s", tool,
			   sig ? sig : "?");
	} else {
		errbuf_set(eb, -ECHILD, "%s exited with status %d", tool,
			   WEXITSTATUS(status));
	}
}

/* Runs argv (argv[0] looked up in PATH) to its end. tool names it in
 * messages. */
static int run_tool(char *const argv[], const char *tool,
		    volatile sig_atomic_t *stop, struct errbuf *eb)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t dfl;
	pid_t pid, r;
	int err, status;

	posix_spawn_file_actions_init(&fa);
	/* Its stdout goes to our stderr: our stdout is the traced
	 * program's. No stdin: it runs in a process group of its own, where
	 * reading the terminal would stop it. */
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);
	posix_spawnattr_init(&attr);
	/* Our ignored SIGPIPE would be inherited; the signals we catch go
	 * back to their default at exec anyway, but say so. */
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGHUP);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	/* A process group of its own, so that stopping the build reaches the
	 * compilers go runs too, whoever signalled us. */
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr,
				 POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	err = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (err == ENOENT)
		return errbuf_set(eb, -ENOENT, "%s not found in PATH",
				  argv[0]);
	if (err)
		return errbuf_set(eb, -err, "cannot run %s: %s", argv[0],
				  strerror(err));

	/* Polled rather than a blocking waitpid: a signal landing just
	 * before the waitpid would go unnoticed until the build ends. */
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			err = errbuf_set(eb, -errno, "waiting for %s: %s",
					 tool, strerror(errno));
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			return err;
		}
		if (stop && *stop) {
			kill(-pid, SIGTERM);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return errbuf_set(eb, -EINTR, "%s interrupted", tool);
		}
		nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000},
			  NULL);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		describe_status(eb, tool, status);
		return -ECHILD;
	}
	return 0;
}

/* What the toolchain left at bin is a program (not nothing, not the
 * archive go build makes of a package without main). */
static int check_output(const char *bin, const struct build_opts *o,
			const char *tool, struct errbuf *eb)
{
	char magic[8] = {0};
	int fd = open(bin, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno != ENOENT)
			return errbuf_set(eb, -errno, "%s: %s", bin,
					  strerror(errno));
		return errbuf_set(eb, -ENOEXEC, "%s made no program%s", tool,
				  o->test ? " (the package has no test files)"
					  : "");
	}
	if (read(fd, magic, sizeof(magic)) < 0)
		magic[0] = 0;
	close(fd);
	if (!memcmp(magic, "!<arch>\n", 8))
		return errbuf_set(eb, -ENOEXEC,
				  "not a main package (%s made an archive, not a program)",
				  tool);
	return 0;
}

static int make_tmpdir(struct build *b, struct errbuf *eb)
{
	const char *base = getenv("TMPDIR");
	char *tmpl;

	if (!base || !*base)
		base = "/tmp";
	tmpl = xasprintf("%s/tinydbg-build-XXXXXX", base);
	if (!mkdtemp(tmpl)) {
		int err = errbuf_set(eb, -errno,
				     "cannot make a temporary directory in %s: %s",
				     base, strerror(errno));
		free(tmpl);
		return err;
	}
	b->tmpdir = tmpl;
	return 0;
}

int build_run(struct build *b, const struct build_opts *o, struct errbuf *eb)
{
	VEC(char *) argv = {0};
	char **flags = NULL, *name = NULL;
	size_t nflags = 0;
	const char *tool;
	bool c_src = build_is_c_source(o->pkg);
	int err;

	memset(b, 0, sizeof(*b));
	if (o->flags) {
		err = build_split_flags(o->flags, &flags, &nflags, eb);
		if (err)
			goto out;
	}
	if (o->output) {
		b->bin = xstrdup(o->output);
	} else {
		err = make_tmpdir(b, eb);
		if (err)
			goto out;
		name = bin_name(o);
		b->bin = xasprintf("%s/%s", b->tmpdir, name);
	}

	if (c_src) {
		tool = build_is_cxx(o->pkg) ? "c++" : "cc";
		VEC_PUSH(&argv, (char *)tool);
		VEC_PUSH(&argv, "-g");
		VEC_PUSH(&argv, "-O0");
		VEC_PUSH(&argv, "-o");
		VEC_PUSH(&argv, b->bin);
		VEC_PUSH(&argv, (char *)o->pkg);
		/* After the source: libraries (-lm) must follow it. */
		for (size_t i = 0; i < nflags; i++)
			VEC_PUSH(&argv, flags[i]);
	} else {
		tool = o->test ? "go test -c" : "go build";
		VEC_PUSH(&argv, "go");
		VEC_PUSH(&argv, o->test ? "test" : "build");
		if (o->test)
			VEC_PUSH(&argv, "-c");
		VEC_PUSH(&argv, "-gcflags=all=-N -l");
		VEC_PUSH(&argv, "-o");
		VEC_PUSH(&argv, b->bin);
		for (size_t i = 0; i < nflags; i++)
			VEC_PUSH(&argv, flags[i]);
		VEC_PUSH(&argv, (char *)o->pkg);
	}
	VEC_PUSH(&argv, NULL);

	if (o->stop && *o->stop) {
		err = errbuf_set(eb, -EINTR, "interrupted");
		goto out;
	}
	err = run_tool(argv.items, tool, o->stop, eb);
	if (!err && o->stop && *o->stop)
		err = errbuf_set(eb, -EINTR, "interrupted");
	if (!err)
		err = check_output(b->bin, o, tool, eb);
out:
	for (size_t i = 0; i < nflags; i++)
		free(flags[i]);
	free(flags);
	free(name);
	VEC_FREE(&argv);
	return err;
}

void build_release(struct build *b)
{
	if (b->tmpdir) {
		DIR *d = opendir(b->tmpdir);
		struct dirent *e;

		/* Everything in it is ours: the binary, and whatever else the
		 * toolchain may have left beside it. */
		while (d && (e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			unlinkat(dirfd(d), e->d_name, 0);
		}
		if (d)
			closedir(d);
		rmdir(b->tmpdir);
	}
	free(b->tmpdir);
	free(b->bin);
	b->tmpdir = NULL;
	b->bin = NULL;
}
