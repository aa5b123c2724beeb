/* build: makes the program to trace from a Go package or a C/C++ source
 * file, as `dlv trace [package] regexp` does, by running the toolchain
 * (go build, go test -c, cc, c++) as a child process: no shell.
 *
 * The toolchain writes its messages (compile errors) straight to our
 * stderr, as it printed them; build_run only returns a one-line summary. */
#ifndef TINYDBG_CLI_BUILD_H
#define TINYDBG_CLI_BUILD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/errbuf.h"

struct build_opts {
	/* A Go package: a directory ("." or "./cmd/foo"), an import path or
	 * .go files, passed to the go command as given; or a C or C++ source
	 * file (see build_is_c_source), compiled with cc or c++. */
	const char *pkg;
	/* Where the binary goes; it is kept. NULL: into a fresh directory
	 * under $TMPDIR (or /tmp), which build_release removes. */
	const char *output;
	/* Extra toolchain flags (--build-flags), split by build_split_flags,
	 * after ours: for go before the package, for cc after the source.
	 * NULL for none. */
	const char *flags;
	/* go test -c: the package's test binary. Not for C sources. */
	bool test;
	/* When non-NULL and it becomes non-zero while the toolchain runs (the
	 * frontend's signal handler sets it), the build is stopped and
	 * build_run returns -EINTR. */
	volatile sig_atomic_t *stop;
};

struct build {
	char *bin;    /* the binary's path (malloc'd) */
	char *tmpdir; /* the temporary directory holding it, or NULL */
};

/* Builds o->pkg into b (caller storage; call build_release afterwards
 * whatever this returns). Returns 0; -EINVAL (flags that do not split),
 * -ENOENT (the toolchain is not in PATH), -ECHILD (the toolchain failed:
 * its messages are already on stderr), -ENOEXEC (it made no program, e.g.
 * a package with no main, or no test files with test), -EINTR (stopped),
 * or another negative errno; eb says what, without the package's name. */
int build_run(struct build *b, const struct build_opts *o, struct errbuf *eb);

/* Removes a temporary binary and its directory (never a kept -o output),
 * and frees b's strings. Safe on a zeroed or already released b. */
void build_release(struct build *b);

/* Splits s into arguments on blanks; '...' and "..." group (the quotes go,
 * as a shell's would: -ldflags='-X a=b' gives -ldflags=-X a=b); nothing
 * else is special. Fills *args with n malloc'd strings in a malloc'd array
 * (free each, then the array). Returns 0, or -EINVAL on an unclosed quote. */
int build_split_flags(const char *s, char ***args, size_t *n,
		      struct errbuf *eb);

/* Whether pkg names a C (.c) or C++ (.cc, .cpp, .cxx) source file; a C++
 * one is compiled with c++ rather than cc. */
bool build_is_c_source(const char *pkg);
bool build_is_cxx(const char *pkg);

/* Whether dir holds a .go file (one a Go package could be built from). */
bool build_dir_has_go(const char *dir);

#endif
