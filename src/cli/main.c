/* tinydbg's entry point: the command table. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "sym/symtab.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *f);
	const char *summary;
};

static const struct command commands[] = {
	{"trace", cmd_trace, trace_usage, "Compile and begin tracing program."},
	{"exec", cmd_exec, exec_usage, "Execute a precompiled binary and serve it (--headless)."},
	{"attach", cmd_attach, attach_usage, "Attach to a running process and serve it (--headless)."},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fputs("tinydbg: a function tracer for Linux x86-64 programs (C, C++, Go).\n\n"
	      "Usage:\n  tinydbg [command]\n\nAvailable Commands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fputs("  help       Help about any command\n\n"
	      "Use \"tinydbg help [command]\" for more information about a command.\n",
	      f);
}

/* The symbol layer's notes (a debuginfod download under way, a debug file
 * ignored): one line each on stderr, where the trace goes. */
static void sym_notice(enum symtab_notice kind, const char *msg)
{
	fprintf(stderr, "tinydbg: %s: %s\n",
		kind == SYMTAB_WARNING ? "warning" : "note", msg);
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct command *c;

	/* A trace allocates and frees millions of small objects (events, JSON)
	 * between large batch buffers; with fastbins, every large allocation
	 * first consolidates them all, which cost a fifth of the frontend's
	 * time. tcache still serves the small ones. */
	mallopt(M_MXFAST, 0);
	/* Event batches (a megabyte of JSON, built by doubling) are made and
	 * freed many times a second: from mmap, each one's pages faulted in
	 * anew cost a fifth of an eBPF trace's time. From the heap, with up
	 * to 32 MB kept free at its top, they reuse the same pages. */
	mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
	symtab_set_notice(sym_notice);

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		c = find(argv[2]);
		if (!c) {
			fprintf(stderr, "tinydbg: unknown help topic \"%s\"\n",
				argv[2]);
			return EXIT_USAGE;
		}
		c->usage(stdout);
		return 0;
	}
	c = find(argv[1]);
	if (!c) {
		fprintf(stderr,
			"tinydbg: unknown command \"%s\" (see tinydbg help)\n",
			argv[1]);
		return EXIT_USAGE;
	}
	return c->run(argc - 1, argv + 1);
}
