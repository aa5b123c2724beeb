/* tinydbg trace: the flags, then the seed's flow — ListFunctions,
 * CreateBreakpoint on each entry and each return location, continue — all
 * through the client, and printing the events as they arrive. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/errbuf.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "cli/build.h"
#include "cli/cli.h"
#include "syscall/syscall.h"
#include "client/client.h"
#include "rpc/transport.h"
#include "server/server.h"

void trace_usage(FILE *f)
{
	fputs("Trace program execution.\n"
	      "\n"
	      "The trace sub command will set a tracepoint on every function matching the\n"
	      "provided regular expression and output information when tracepoint is hit. This\n"
	      "is useful if you do not want to begin an entire debug session, but merely want\n"
	      "to know what functions your process is executing.\n"
	      "\n"
	      "The output of the trace sub command is printed to stderr, so if you would like to\n"
	      "only see the output of the trace operations you can redirect stdout.\n"
	      "\n"
	      "Usage:\n"
	      "  tinydbg trace [package] regexp [flags] [-- args...]\n"
	      "  tinydbg trace -e BIN regexp [flags] [-- args...]\n"
	      "  tinydbg trace -p PID regexp [flags]\n"
	      "  tinydbg trace --connect ADDR regexp [flags]\n"
	      "\n"
	      "Without -e or -p, the program is built first, then traced: the package is a\n"
	      "Go package (a directory such as ./cmd/foo, or an import path; the current\n"
	      "directory when only a regexp is given), built with\n"
	      "  go build -gcflags='all=-N -l' -o OUT [build flags] package\n"
	      "(go test -c with --test), or a C or C++ source file (.c; .cc, .cpp, .cxx),\n"
	      "built with\n"
	      "  cc -g -O0 -o OUT file [build flags]      (c++ for C++)\n"
	      "The toolchain's messages are shown as it prints them. Unless --output names\n"
	      "the binary, it is built in a temporary directory under $TMPDIR (or /tmp),\n"
	      "removed when tinydbg exits.\n"
	      "\n"
	      "A program tinydbg launches prints where it would untraced; when that is\n"
	      "where the trace goes (the same terminal, file or pipe), each of its writes\n"
	      "to stdout or stderr waits until the events before it are printed, so the\n"
	      "two come out in the order they happened. Ctrl-C in the terminal reaches the\n"
	      "program too, which handles it as it would untraced: the trace goes on until\n"
	      "it ends, and a second Ctrl-C kills it. A SIGINT sent to tinydbg alone is\n"
	      "passed on to the program, which is killed if it has not ended in 2 s.\n"
	      "\n"
	      "The regexp is a PCRE2 pattern, unanchored (like Delve's): 'add' matches\n"
	      "every function whose name contains add, '^add$' only add. It matches the\n"
	      "functions of the program and of the shared libraries it has loaded, and of\n"
	      "those it loads later (dlopen) or execs.\n"
	      "\n"
	      "Flags:\n"
	      "  -e, --exec string   Binary file to exec and trace.\n"
	      "  -p, --pid int       Pid to attach to.\n"
	      "      --connect string\n"
	      "                      Trace the target of a headless server (tinydbg exec\n"
	      "                      or attach --headless, or Delve's dlv exec --headless)\n"
	      "                      at host:port or unix:/path; the output is what a local\n"
	      "                      trace of it prints. The server's program writes where\n"
	      "                      the server runs.\n"
	      "  -t, --test          Trace the test binary of the package (go test -c);\n"
	      "                      give it test flags after --, e.g. -- -test.run=TestX.\n"
	      "  -o, --output string Output path for the binary built; it is kept.\n"
	      "      --build-flags string\n"
	      "                      Build flags, to pass to the compiler. Split on blanks;\n"
	      "                      '...' and \"...\" group (e.g. --build-flags='-tags=foo').\n"
	      "                      A -gcflags here replaces tinydbg's all=-N -l for the\n"
	      "                      packages it matches: keep -N -l in it to see arguments.\n"
	      "      --follow-calls int\n"
	      "                      Trace the functions the matched ones call, this many\n"
	      "                      levels deep (1: only those matched): direct calls read\n"
	      "                      from their code (through the PLT into libraries), calls\n"
	      "                      through pointers, interfaces and closures when they run.\n"
	      "                      Each line shows its depth on the real call path below\n"
	      "                      the innermost matched call, never more than this:\n"
	      "                      '> thread(1):frame(2) leaf(3)', indented by depth-1.\n"
	      "  -s, --stack int     Show stack trace with given depth: each event carries\n"
	      "                      the frames of its thread or goroutine, unwound with\n"
	      "                      DWARF call frame information (0..1000).\n"
	      "      --timestamp     Show timestamp in the output\n"
	      "  -v, --verbose int   Parameter verbosity: 0=values, 1=types, 2=inline,\n"
	      "                      3=expanded, 4=full (default 0)\n"
	      "      --durations     End each return line with the time spent in the call,\n"
	      "                      between the entry and return hits (<1.234µs>).\n"
	      "      --ebpf          Use the eBPF engine (--engine ebpf).\n"
	      "      --engine string Engine: ptrace (default: a stop per event, works\n"
	      "                      everywhere), inproc, or ebpf (uprobes whose BPF\n"
	      "                      program copies the values at the hit; the program\n"
	      "                      runs on; needs root or CAP_BPF and CAP_PERFMON). With ebpf, what BPF\n"
	      "                      cannot capture (floating-point registers, a tail\n"
	      "                      call's return) still takes a stop; the output is the\n"
	      "                      same. inproc: each traced function's entry and ret\n"
	      "                      sites jump to trampolines that copy the values into\n"
	      "                      a ring shared with tinydbg (no stop, no system\n"
	      "                      call), C and Go. Code it cannot patch, and probes\n"
	      "                      added while the program runs (but a library just\n"
	      "                      loaded), take ptrace stops; a note counts them.\n"
	      "                      TINYDBG_ENGINE in the environment sets the default.\n"
	      "      --ebpf-ring int Size of the eBPF ring buffer in KiB (a power of two,\n"
	      "                      default 8192; inproc's 32768). Events that find it\n"
	      "                      full are lost and counted: 'tinydbg: lost N events'.\n"
	      "      --follow-forks  Trace the processes the program starts too (fork,\n"
	      "                      vfork, clone, and what they exec), with the same\n"
	      "                      regexp; every line names its process first:\n"
	      "                      '> thread(4712/4712): work(1)'. Exits with the first\n"
	      "                      process's status, once all have ended.\n"
	      "      --syscalls string\n"
	      "                      Trace the system calls whose names match this regexp\n"
	      "                      too ('open|read', '.'), as strace shows them, in order\n"
	      "                      with the calls: '> thread(1): syscall openat(AT_FDCWD,\n"
	      "                      \"/etc/passwd\", O_RDONLY|O_CLOEXEC)', '>> thread(1):\n"
	      "                      syscall openat => (3)' or '=> (-1 ENOENT (No such file\n"
	      "                      or directory))'. A launched program gets a seccomp\n"
	      "                      filter that stops only those; an attached one stops at\n"
	      "                      every call. The function regexp may then be left out.\n"
	      "      --signals       Show each signal the program receives, as strace does,\n"
	      "                      and the handler that runs it: '--- thread(1): SIGUSR1\n"
	      "                      {si_code=SI_USER, si_pid=4700, si_uid=0} handler\n"
	      "                      on_usr1 ---'. Each is delivered as it would be untraced.\n"
	      "      --format string How the trace is written: text (default, as Delve);\n"
	      "                      json: one object per event and line, with kind,\n"
	      "                      function, thread, goroutine, depth, time_ns, args and\n"
	      "                      results as name/type/value trees, the stack, the\n"
	      "                      losses and the process's end; chrome: the Trace Event\n"
	      "                      Format that Perfetto and chrome://tracing open, a\n"
	      "                      track per thread or goroutine, a slice per call\n"
	      "                      (docs/formats.md).\n"
	      "      --color string  auto (default: when the trace goes to a terminal and\n"
	      "                      NO_COLOR is not set), always or never: calls green,\n"
	      "                      returns cyan, system calls magenta, signals yellow.\n"
	      "      --summary       At the end, a table per function and per system call:\n"
	      "                      calls, errors (failed system calls), total, self\n"
	      "                      (less the traced calls inside), average, min and max\n"
	      "                      time in microseconds, sorted by total time.\n"
	      "      --summary-only  The table only, no event lines.\n"
	      "      --folded string Write folded stacks to this file at the end: the\n"
	      "                      traced calls open on a thread, 'main;a;b 123', with\n"
	      "                      their self time in microseconds, for flame graph\n"
	      "                      tools (flamegraph.pl, speedscope, inferno).\n"
	      "      --trace-output string\n"
	      "                      Write the trace (events, losses, the process's end) to\n"
	      "                      this file instead of stderr; '-' for stdout. Written\n"
	      "                      in whole lines, complete after Ctrl-C or SIGTERM.\n"
	      "      --seq-ids       Number threads 1, 2, 3... in order of appearance instead\n"
	      "                      of showing kernel thread ids (deterministic output);\n"
	      "                      with --follow-forks, processes too.\n"
	      "      --max-functions int\n"
	      "                      Refuse a regexp matching more functions than this\n"
	      "                      (default 5000: setting them up takes seconds).\n"
	      "  -h, --help          help for trace\n"
	      "\n"
	      "Exit status: the traced program's own (128+N when signal N killed it);\n"
	      "1 on an internal error, 2 on a usage error or an invalid regexp, 3 when no\n"
	      "function matches, 4 when the program cannot be built or started, 5 when\n"
	      "the pid names no process, 6 when attaching is not permitted (another tracer\n"
	      "holds the process, or privileges are missing).\n",
	      f);
}

struct trace_opts {
	const char *exec;
	const char *connect; /* --connect ADDR: a headless server's target */
	int pid;
	/* Or a package (or C source) to build, and how */
	const char *pkg;
	const char *output;
	const char *build_flags;
	bool test;
	const char *regexp;
	char **target_args;
	int ntarget_args;
	bool timestamp;
	bool durations;
	bool seq_ids;
	int stack;
	int follow_calls;
	int verbose;
	long max_functions;
	const char *engine; /* NULL: ptrace */
	int ring_kib;       /* --ebpf-ring, 0: the default */
	bool follow_forks;
	bool signals;
	/* --trace-output FILE ("-": stdout): where the events go (stderr by
	 * default); out is it, opened. */
	const char *trace_output;
	FILE *out;
	enum print_format format; /* --format */
	bool summary, summary_only; /* --summary, --summary-only */
	int color;                  /* --color: -1 auto, 0 never, 1 always */
	const char *folded;         /* --folded FILE */
	/* --syscalls REGEX: the calls it selects (syscall/syscall.h). */
	const char *syscalls_re;
	uint8_t syscalls[SYSCALL_MAX / 8];
	/* A session of --follow-forks (forks.c): the process's number (1:
	 * the first), whether it is one the first started (attached to,
	 * stopped, handed over), and whether the first was launched (a
	 * child then ends with us, as its parent does). */
	int proc;
	bool child;
	bool root_launched;
	unsigned root_order_fds;
};

/* Setting up a function's tracepoints (CreateBreakpoint, its return
 * locations, one CreateBreakpoint each, the probes) costs 0.5-1 ms: on a
 * Go net/http program, loaded 2-CPU machine, 1,337 functions in 0.8 s,
 * 2,936 in 1.6 s, 5,876 in 8 s, 9,331 in 9-13 s. A hit costs the same
 * however many are traced (the engine finds its probe by hash). So the
 * cap stands where set-up takes several seconds, not where tracing
 * gets slower. */
#define MAX_FUNCTIONS_DEFAULT 5000
/* From this many functions on, a note gives the count and the time the
 * set-up will take, from the rate of functions SETUP_WARM..SETUP_SAMPLE
 * (the first ones also pay for reading their units' DWARF). */
#define SETUP_NOTE_FROM 500
#define SETUP_WARM 20
#define SETUP_SAMPLE 120

/* The signal that ends the trace: a launched program is killed, an
 * attached one left. */
static volatile sig_atomic_t stop_signal;
/* While a program we launched runs, a first SIGINT does not end the trace
 * at once (see pass_sigint): it is noted here, with whether the terminal
 * sent it (to its whole foreground process group) or someone sent it to us
 * alone. */
static volatile sig_atomic_t defer_sigint;
static volatile sig_atomic_t sigint_seen;
static volatile sig_atomic_t sigint_from_tty;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGINT && defer_sigint && !sigint_seen) {
		/* A terminal's signals come from the kernel; kill(2) says
		 * who sent it. */
		sigint_from_tty = si && si->si_code == SI_KERNEL;
		sigint_seen = 1;
		return;
	}
	stop_signal = sig;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking read in the client returns EINTR and the
	 * loop notices the request at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* A decimal number in [lo, hi] and nothing else ("123x" is not). */
static int parse_range(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* An integer flag's value in [lo, hi]; else one line saying what it must
 * be, and -1 (a usage error). */
bool engine_name_ok(const char *n)
{
	return !strcmp(n, "ptrace") || !strcmp(n, "ebpf") ||
	       !strcmp(n, "inproc");
}

static int int_flag(const char *arg, const char *flag, long lo, long hi,
		    const char *what, int *out)
{
	long v;

	if (parse_range(arg, lo, hi, &v)) {
		fprintf(stderr, "tinydbg: invalid %s \"%s\": %s\n", flag, arg,
			what);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* --connect: the target is the server's, and so is what is set when it
 * starts. */
static int check_connect(const struct trace_opts *o, const char *build_flag)
{
	const char *bad = o->exec ? "-e" : o->pid ? "-p" : o->pkg ? "a package" :
			  build_flag ? build_flag :
			  o->ntarget_args ? "arguments after --" :
			  o->follow_forks ? "--follow-forks" :
			  o->syscalls_re ? "--syscalls" : o->signals ? "--signals" :
			  o->engine ? "--engine" : o->ring_kib ? "--ebpf-ring" : NULL;

	if (bad) {
		fprintf(stderr,
			"tinydbg: %s cannot be used with --connect (the server holds the target: see tinydbg help exec)\n",
			bad);
		return EXIT_USAGE;
	}
	if (!o->regexp) {
		fprintf(stderr,
			"tinydbg: trace --connect needs a regexp naming the functions to trace\n");
		return EXIT_USAGE;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct trace_opts *o)
{
	enum { OPT_TIMESTAMP = 256, OPT_SEQ_IDS, OPT_MAX_FUNCTIONS,
	       OPT_FOLLOW_CALLS,
	       OPT_DURATIONS, OPT_BUILD_FLAGS, OPT_EBPF, OPT_ENGINE,
	       OPT_EBPF_RING, OPT_FOLLOW_FORKS, OPT_SYSCALLS, OPT_SIGNALS,
	       OPT_TRACE_OUTPUT, OPT_FORMAT, OPT_SUMMARY, OPT_SUMMARY_ONLY,
	       OPT_FOLDED, OPT_COLOR, OPT_CONNECT };
	static const struct option longopts[] = {
		{"exec", required_argument, NULL, 'e'},
		{"pid", required_argument, NULL, 'p'},
		{"connect", required_argument, NULL, OPT_CONNECT},
		{"test", no_argument, NULL, 't'},
		{"output", required_argument, NULL, 'o'},
		{"build-flags", required_argument, NULL, OPT_BUILD_FLAGS},
		{"stack", required_argument, NULL, 's'},
		{"follow-calls", required_argument, NULL, OPT_FOLLOW_CALLS},
		{"timestamp", no_argument, NULL, OPT_TIMESTAMP},
		{"verbose", required_argument, NULL, 'v'},
		{"durations", no_argument, NULL, OPT_DURATIONS},
		{"seq-ids", no_argument, NULL, OPT_SEQ_IDS},
		{"follow-forks", no_argument, NULL, OPT_FOLLOW_FORKS},
		{"syscalls", required_argument, NULL, OPT_SYSCALLS},
		{"signals", no_argument, NULL, OPT_SIGNALS},
		{"trace-output", required_argument, NULL, OPT_TRACE_OUTPUT},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"summary", no_argument, NULL, OPT_SUMMARY},
		{"summary-only", no_argument, NULL, OPT_SUMMARY_ONLY},
		{"folded", required_argument, NULL, OPT_FOLDED},
		{"color", required_argument, NULL, OPT_COLOR},
		{"max-functions", required_argument, NULL, OPT_MAX_FUNCTIONS},
		{"ebpf", no_argument, NULL, OPT_EBPF},
		{"engine", required_argument, NULL, OPT_ENGINE},
		{"ebpf-ring", required_argument, NULL, OPT_EBPF_RING},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *pos[2], *build_flag = NULL;
	int dashdash = argc, npos = 0, c, v;
	long pid;

	/* Everything after "--" belongs to the target, untouched. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			dashdash = i;
			break;
		}
	}
	o->target_args = argv + (dashdash < argc ? dashdash + 1 : argc);
	o->ntarget_args = dashdash < argc ? argc - dashdash - 1 : 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(dashdash, argv, ":e:p:to:s:v:h", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'e':
			o->exec = optarg;
			break;
		case 'p':
			if (parse_range(optarg, 1, 4194304, &pid)) {
				fprintf(stderr,
					"tinydbg: invalid pid \"%s\": a pid is a positive number\n",
					optarg);
				return EXIT_USAGE;
			}
			o->pid = (int)pid;
			break;
		case OPT_CONNECT:
			o->connect = optarg;
			break;
		case 't':
			o->test = true;
			build_flag = "-t/--test";
			break;
		case 'o':
			o->output = optarg;
			build_flag = "-o/--output";
			break;
		case OPT_BUILD_FLAGS: {
			struct errbuf eb;
			char **args;
			size_t n;

			/* Checked now, to be a usage error like the others. */
			if (build_split_flags(optarg, &args, &n, &eb)) {
				fprintf(stderr, "tinydbg: invalid --build-flags: %s\n",
					eb.msg);
				return EXIT_USAGE;
			}
			while (n)
				free(args[--n]);
			free(args);
			o->build_flags = optarg;
			build_flag = "--build-flags";
			break;
		}
		case OPT_TIMESTAMP:
			o->timestamp = true;
			break;
		case OPT_DURATIONS:
			o->durations = true;
			break;
		case OPT_FOLLOW_FORKS:
			o->follow_forks = true;
			break;
		case OPT_SIGNALS:
			o->signals = true;
			break;
		case OPT_SUMMARY:
			o->summary = true;
			break;
		case OPT_COLOR:
			if (!strcmp(optarg, "auto")) {
				o->color = -1;
			} else if (!strcmp(optarg, "always")) {
				o->color = 1;
			} else if (!strcmp(optarg, "never")) {
				o->color = 0;
			} else {
				fprintf(stderr, "tinydbg: invalid --color \"%s\": auto, always or never\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_SUMMARY_ONLY:
			o->summary = o->summary_only = true;
			break;
		case OPT_FOLDED:
			if (!*optarg) {
				fprintf(stderr, "tinydbg: invalid --folded \"\": a file name\n");
				return EXIT_USAGE;
			}
			o->folded = optarg;
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "text")) {
				o->format = FMT_TEXT;
			} else if (!strcmp(optarg, "json")) {
				o->format = FMT_JSON;
			} else if (!strcmp(optarg, "chrome")) {
				o->format = FMT_CHROME;
			} else {
				fprintf(stderr, "tinydbg: invalid --format \"%s\": text, json or chrome\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_TRACE_OUTPUT:
			if (!*optarg) {
				fprintf(stderr, "tinydbg: invalid --trace-output \"\": a file name, or - for stdout\n");
				return EXIT_USAGE;
			}
			o->trace_output = optarg;
			break;
		case OPT_SYSCALLS: {
			struct errbuf eb;
			int n = syscall_select(optarg, o->syscalls, &eb);

			if (n < 0) {
				fprintf(stderr, "tinydbg: --syscalls: %s\n",
					eb.msg);
				return EXIT_USAGE;
			}
			if (!n) {
				fprintf(stderr,
					"tinydbg: --syscalls '%s' matches no system call (names as in man 2 syscalls: openat, read, ...)\n",
					optarg);
				return EXIT_NOMATCH;
			}
			o->syscalls_re = optarg;
			break;
		}
		case OPT_SEQ_IDS:
			o->seq_ids = true;
			break;
		case OPT_EBPF:
			o->engine = "ebpf";
			break;
		case OPT_ENGINE:
			if (!engine_name_ok(optarg)) {
				fprintf(stderr, "tinydbg: invalid --engine \"%s\": ptrace, ebpf or inproc\n",
					optarg);
				return EXIT_USAGE;
			}
			o->engine = optarg;
			break;
		case OPT_EBPF_RING:
			if (int_flag(optarg, "--ebpf-ring", 4, 4 << 20,
				     "a size in KiB, a power of two from 4 to 4194304",
				     &o->ring_kib))
				return EXIT_USAGE;
			if (o->ring_kib & (o->ring_kib - 1)) {
				fprintf(stderr, "tinydbg: invalid --ebpf-ring \"%s\": a size in KiB, a power of two from 4 to 4194304\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 's':
			if (int_flag(optarg, "--stack", 0, 1000, "a depth from 0 to 1000", &o->stack))
				return EXIT_USAGE;
			break;
		case 'v':
			if (int_flag(optarg, "--verbose", 0, 4, "a level from 0 to 4", &o->verbose))
				return EXIT_USAGE;
			break;
		case OPT_FOLLOW_CALLS:
			if (int_flag(optarg, "--follow-calls", 0, 100, "a depth from 0 to 100", &o->follow_calls))
				return EXIT_USAGE;
			break;
		case OPT_MAX_FUNCTIONS:
			if (int_flag(optarg, "--max-functions", 1, INT_MAX,
				     "a positive number", &v))
				return EXIT_USAGE;
			o->max_functions = v;
			break;
		case 'h':
			trace_usage(stdout);
			return -1;
		case ':':
			fprintf(stderr, "tinydbg: flag needs an argument: %s\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr,
				"tinydbg: unknown flag: %s (see tinydbg help trace)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	/* [package] regexp */
	for (; optind < dashdash; optind++) {
		if (npos == 2) {
			fprintf(stderr,
				"tinydbg: trace takes a package and a regexp at most (got \"%s\" too)\n",
				argv[optind]);
			return EXIT_USAGE;
		}
		pos[npos++] = argv[optind];
	}
	if (npos == 2)
		o->pkg = pos[0];
	if (npos)
		o->regexp = pos[npos - 1];
	if (o->connect)
		return check_connect(o, build_flag);
	if (o->exec && o->pid) {
		fprintf(stderr, "tinydbg: -e and -p cannot be used together\n");
		return EXIT_USAGE;
	}
	if (o->pkg && (o->exec || o->pid)) {
		fprintf(stderr,
			"tinydbg: with %s, trace takes one regexp, not a package to build and a regexp (got \"%s\" and \"%s\")\n",
			o->exec ? "-e" : "-p", o->pkg, o->regexp);
		return EXIT_USAGE;
	}
	if (build_flag && (o->exec || o->pid)) {
		fprintf(stderr,
			"tinydbg: %s is for building a package; it cannot be used with %s\n",
			build_flag, o->exec ? "-e" : "-p");
		return EXIT_USAGE;
	}
	/* Only a regexp: the package in the current directory, as Delve
	 * does. Where there is none, -e or -p was most likely forgotten. */
	if (!o->exec && !o->pid && !o->pkg) {
		if (!build_dir_has_go(".")) {
			fprintf(stderr,
				"tinydbg: trace needs a target: -e BIN or -p PID, or a package to build (no .go file in the current directory; see tinydbg help trace)\n");
			return EXIT_USAGE;
		}
		o->pkg = ".";
	}
	if (o->test && build_is_c_source(o->pkg)) {
		fprintf(stderr,
			"tinydbg: -t/--test builds a Go package's tests; \"%s\" is a C source file\n",
			o->pkg);
		return EXIT_USAGE;
	}
	if (o->pid && o->ntarget_args) {
		fprintf(stderr,
			"tinydbg: arguments after -- are for a program to launch, not with -p\n");
		return EXIT_USAGE;
	}
	if (!o->regexp && !o->syscalls_re && !o->signals) {
		fprintf(stderr,
			"tinydbg: trace needs a regexp naming the functions to trace, or --syscalls or --signals (see tinydbg help trace)\n");
		return EXIT_USAGE;
	}
	return 0;
}

/* What Delve's trace loads at each -v level (getLoadConfigForVerbosity in
 * cmd/dlv/cmds/commands.go). Level 0 is its ShortLoadConfig. */
static const struct api_load_config verbose_load[5] = {
	{.max_string_len = 64, .max_struct_fields = 3},
	{.max_string_len = 32},
	{.max_variable_recurse = 1, .max_string_len = 64,
	 .max_array_values = 5, .max_struct_fields = 3},
	{.max_variable_recurse = 2, .max_string_len = 128,
	 .max_array_values = 10, .max_struct_fields = 10},
	{.follow_pointers = true, .max_variable_recurse = 3,
	 .max_string_len = 256, .max_array_values = 100,
	 .max_struct_fields = -1},
};

/* Whether a CreateBreakpoint failed because the tracepoint is there. */
static bool already_set(const struct errbuf *eb)
{
	return !strncmp(eb->msg, "Breakpoint exists", 17);
}

/* Sets an entry tracepoint on fn and one on each of its return locations,
 * loading values as -v level verbose asks. Returns the number of
 * tracepoints set. */
static int trace_function(struct client *c, const char *fn,
			  const struct trace_opts *o)
{
	const char *regexp = o->regexp;
	int stack = o->stack, verbose = o->verbose;
	struct api_breakpoint req, out;
	struct errbuf eb;
	uint64_t *addrs = NULL;
	size_t naddrs = 0;
	int set = 0;

	memset(&req, 0, sizeof(req));
	req.function_name = (char *)fn;
	req.tracepoint = true;
	req.load_args = true;
	req.load_cfg = verbose_load[verbose];
	req.line = -1;
	req.stacktrace = stack;
	req.trace_follow_calls = o->follow_calls;
	/* As Delve's trace does: the backend traces the images loaded later
	 * (dlopen, exec) by this regexp too. */
	req.root_func_name = (char *)regexp;
	if (client_create_breakpoint(c, &req, &out, &eb)) {
		/* A server serving many clients keeps what an earlier one
		 * set: traced already, its events come to us too. */
		if (o->connect && already_set(&eb))
			return 1;
		fprintf(stderr, "tinydbg: unable to set tracepoint on function %s: %s\n",
			fn, eb.msg);
		return 0;
	}
	api_breakpoint_release(&out);
	set++;
	if (client_function_return_locations(c, fn, &addrs, &naddrs, &eb)) {
		fprintf(stderr, "tinydbg: unable to set tracepoint on function %s: %s\n",
			fn, eb.msg);
		return set;
	}
	for (size_t i = 0; i < naddrs; i++) {
		memset(&req, 0, sizeof(req));
		req.addr = addrs[i];
		req.tracepoint = true;
		req.trace_return = true;
		req.load_args = true;
		req.load_cfg = verbose_load[verbose];
		req.line = -1;
		req.stacktrace = stack;
		req.trace_follow_calls = o->follow_calls;
		req.root_func_name = (char *)regexp;
		if (client_create_breakpoint(c, &req, &out, &eb)) {
			fprintf(stderr,
				"tinydbg: unable to set return tracepoint on function %s at %#llx: %s\n",
				fn, (unsigned long long)addrs[i], eb.msg);
			continue;
		}
		api_breakpoint_release(&out);
		set++;
	}
	free(addrs);
	return set;
}

static size_t print_batch(struct client *c, struct printer *pr, int wait_ms)
{
	struct api_tracepoint_result *evs = NULL;
	size_t n = 0;
	uint64_t lost = 0;
	struct errbuf eb;
	int *forked = NULL;
	size_t nforked;

	if (client_get_buffered_tracepoints(c, wait_ms, &evs, &n, &lost, &eb))
		return 0;
	/* --follow-forks: each child waits, stopped, for its session. */
	nforked = client_take_forked(c, &forked);
	for (size_t i = 0; i < nforked; i++)
		forks_spawn(forked[i]);
	free(forked);
	for (size_t i = 0; i < n; i++)
		printer_event(pr, &evs[i]);
	client_events_done(c, evs, n);
	/* Where it was noticed, among the events; the total at the end. */
	if (lost)
		printer_lost(pr, lost);
	/* The reader of our output went away (`tinydbg ... | head`): leave
	 * as on Ctrl-C. */
	if (fflush(pr->out) == EOF && errno == EPIPE && !stop_signal)
		stop_signal = SIGPIPE;
	/* A batch may be a loss alone, with events after it. */
	return n + (lost != 0);
}

static int exit_line(struct printer *pr, const struct api_state *st,
		     bool launched)
{
	int pid = pr->proc ? pr->proc : printer_thread_id(pr, st->pid);

	printer_lost_total(pr);
	printer_end(pr, pid, st->exited, st->exit_status, st->exit_signal,
		    launched);
	if (st->exit_signal)
		return 128 + st->exit_signal;
	if (st->exited)
		return st->exit_status;
	return 0;
}

/* Appends "a, b, c" for names, the first few only: a regexp may match
 * hundreds of inlined functions in a large program. */
static void name_list(struct strbuf *sb, char **names, size_t n)
{
	const size_t shown = 8;

	for (size_t i = 0; i < n && i < shown; i++)
		strbuf_addf(sb, "%s%s", i ? ", " : "", names[i]);
	if (n > shown)
		strbuf_addf(sb, " and %zu more", n - shown);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Sets up every function's tracepoints; for many, says first how long
 * that takes. Returns how many tracepoints were set. */
static int trace_functions(struct client *c, char **funcs, size_t n,
			   const struct trace_opts *o)
{
	struct timespec t0, tw = {0};
	int set = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < n; i++) {
		if (i == SETUP_WARM)
			clock_gettime(CLOCK_MONOTONIC, &tw);
		if (i == SETUP_SAMPLE && n >= SETUP_NOTE_FROM) {
			double est = seconds_since(&t0) +
				     seconds_since(&tw) * (double)(n - i) /
					     (SETUP_SAMPLE - SETUP_WARM);

			fprintf(stderr,
				"tinydbg: note: '%s' matches %zu functions; setting up their tracepoints takes about %.*f s\n",
				o->regexp, n, est < 10 ? 1 : 0, est);
			fflush(stderr);
		}
		set += trace_function(c, funcs[i], o);
	}
	return set;
}

/* How long a program that got a SIGINT we passed on has to end by itself,
 * and how long before we say that it goes on. */
enum { SIGINT_GRACE_MS = 2000, SIGINT_NOTE_MS = 250 };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* What became of a first SIGINT (see pass_sigint). */
struct sigint_pass {
	uint64_t since; /* when we handled it (0: not yet) */
	bool shared;    /* the program got it from the terminal too */
	bool noted;     /* our note is out */
};

/* A first SIGINT while a program we launched runs. Ctrl-C in the terminal
 * reached the program too when it is in our process group (the terminal
 * signals its whole foreground group, and we were in it): the program
 * handles it as it would untraced — dies of it, or, like an interactive
 * shell, goes on — and the trace goes on until it ends. A SIGINT sent to
 * us alone (kill, no terminal) is passed on to the program, which has
 * SIGINT_GRACE_MS to end by itself before it is killed. Either way a
 * second SIGINT (or SIGTERM, SIGHUP) kills it, as before.
 *
 * Called from the event loop while the program runs; returns the time
 * from which it is killed (0: never). */
static uint64_t pass_sigint(int pid, struct sigint_pass *sp)
{
	uint64_t now = now_ms();

	if (!sp->since) {
		sp->since = now;
		sp->shared = sigint_from_tty && getpgid(pid) == getpgrp();
		if (!sp->shared)
			kill(pid, SIGINT);
	}
	/* A program that dies of it needs no word from us. */
	if (!sp->noted && now - sp->since >= SIGINT_NOTE_MS) {
		sp->noted = true;
		if (sp->shared)
			fprintf(stderr,
				"tinydbg: Ctrl-C went to the program too, which goes on: tracing until it ends (Ctrl-C again to kill it)\n");
		else
			fprintf(stderr,
				"tinydbg: SIGINT passed on to the program; it is killed if it has not ended in %d s (SIGINT again to kill it now)\n",
				SIGINT_GRACE_MS / 1000);
		fflush(stderr);
	}
	return sp->shared ? 0 : sp->since + SIGINT_GRACE_MS;
}

static int run_trace(struct client *c, const struct trace_opts *o)
{
	struct printer pr;
	struct api_state st;
	struct errbuf eb;
	char **funcs = NULL, **inl = NULL;
	size_t nfuncs = 0, ninl = 0;
	struct strbuf sb = STRBUF_INIT;
	int ret, set = 0, pid;
	uint64_t cid;
	/* A server's target is not ours to signal or kill: what becomes of
	 * it when we leave is the server's business. */
	bool launched = o->exec != NULL || (o->child && o->root_launched);
	bool detached = false;
	struct sigint_pass sp = {0};
	uint64_t kill_at;

	printer_init(&pr, o->out ? o->out : stderr);
	strbuf_init(&sb);
	pr.timestamp = o->timestamp;
	pr.durations = o->durations;
	pr.seq_ids = o->seq_ids;
	pr.verbose = o->verbose;
	pr.format = o->format;
	pr.summary = o->summary;
	/* NO_COLOR (no-color.org): set and not empty, no colour unless
	 * asked for. */
	pr.color = o->format == FMT_TEXT &&
		   (o->color > 0 ||
		    (o->color < 0 && isatty(fileno(pr.out)) &&
		     !(getenv("NO_COLOR") && *getenv("NO_COLOR"))));
	pr.summary_only = o->summary_only;
	pr.folded = o->folded;
	pr.notes_off = getenv("TINYDBG_ENGINE_NOTES") &&
		       !strcmp(getenv("TINYDBG_ENGINE_NOTES"), "0");
	if (client_state(c, &st, &eb)) {
		fprintf(stderr, "tinydbg: %s\n", eb.msg);
		ret = EXIT_ERROR;
		goto out;
	}
	printer_thread_id(&pr, st.pid); /* the main thread is thread 1 */
	if (o->follow_forks)
		pr.proc = o->seq_ids ? (o->proc ? o->proc : 1) : st.pid;
	if (st.no_debug_info && !o->child && o->regexp)
		fprintf(stderr,
			"tinydbg: warning: %s has no DWARF debug info: arguments and results are shown as ?\n",
			o->exec ? o->exec : "the program");

	/* --syscalls alone: no function to set up. */
	if (!o->regexp)
		goto run;
	if (client_list_functions(c, o->regexp, o->follow_calls, &funcs,
				  &nfuncs, &inl, &ninl, &eb)) {
		fprintf(stderr, "tinydbg: %s\n", eb.msg);
		ret = EXIT_USAGE;
		goto out;
	}
	/* A function inlined at every call has no code of its own: say so,
	 * rather than that nothing matches or nothing about it. */
	if (ninl)
		name_list(&sb, inl, ninl);
	/* A child of --follow-forks that has none (it exec'd another
	 * program): traced all the same, for its end and its children. */
	if (!nfuncs && o->child)
		goto run;
	if (!nfuncs && ninl) {
		fprintf(stderr,
			"tinydbg: '%s' matches only functions the compiler inlined at every call (%s): they have no code of their own to trace\n",
			o->regexp, sb.buf);
		ret = EXIT_NOMATCH;
		goto out;
	}
	/* Saying what was searched: the functions of the program and of
	 * every library it has loaded (a stripped one has none of its own,
	 * which is no error while a library matches). */
	if (!nfuncs) {
		if (o->exec)
			fprintf(stderr, "tinydbg: no function matches '%s' in %s or the libraries it has loaded\n",
				o->regexp, o->exec);
		else if (o->pid)
			fprintf(stderr, "tinydbg: no function matches '%s' in process %d or the libraries it has loaded\n",
				o->regexp, o->pid);
		else
			fprintf(stderr, "tinydbg: no function matches '%s' in the program or the libraries it has loaded\n",
				o->regexp);
		ret = EXIT_NOMATCH;
		goto out;
	}
	/* A pattern that matches everything would patch every function of
	 * the program and its libraries: refuse, unless asked for. */
	if ((long)nfuncs > o->max_functions) {
		fprintf(stderr,
			"tinydbg: '%s' matches %zu functions, more than the %ld allowed; narrow the regexp or raise the cap with --max-functions %zu\n",
			o->regexp, nfuncs, o->max_functions, nfuncs);
		ret = EXIT_USAGE;
		goto out;
	}
	if (ninl)
		fprintf(stderr,
			"tinydbg: note: not traced, inlined by the compiler at every call: %s\n",
			sb.buf);
	set = trace_functions(c, funcs, nfuncs, o);
	if (!set && !o->child) {
		fprintf(stderr, "tinydbg: no tracepoint could be set\n");
		ret = EXIT_ERROR;
		goto out;
	}

run:
	if (client_continue_start(c, &cid, &eb)) {
		fprintf(stderr, "tinydbg: %s\n", eb.msg);
		ret = EXIT_ERROR;
		goto out;
	}
	/* A handed-over child waits in the group-stop its parent's session
	 * left it in, now that its probes are in. */
	if (o->child)
		kill(st.pid, SIGCONT);
	/* st is cleared by each look at the pending continue. */
	pid = st.pid;
	if (!o->child)
		defer_sigint = launched;
	for (;;) {
		if (sigint_seen && !stop_signal && !detached && pid > 0 &&
		    !o->child) {
			kill_at = pass_sigint(pid, &sp);
			if (kill_at && now_ms() >= kill_at)
				stop_signal = SIGINT;
		}
		if (stop_signal && !detached) {
			detached = true;
			/* A launched target ends with us; an attached one is
			 * left running as it was. A server's is halted, and
			 * the server decides when we leave. */
			if (o->connect)
				client_halt(c, NULL, &eb);
			else
				client_detach(c, launched, &eb);
		}
		print_batch(c, &pr, 100);
		ret = client_command_result(c, cid, false, &st, &eb);
		if (ret != -EAGAIN)
			break;
	}
	if (!o->child)
		defer_sigint = 0;
	while (print_batch(c, &pr, 0))
		;
	if (ret && !st.exited && !detached) {
		fprintf(stderr, "tinydbg: %s\n", eb.msg);
		ret = EXIT_ERROR;
		goto out;
	}
	if (detached && o->connect) {
		ret = 128 + stop_signal;
		goto out;
	}
	if (client_state(c, &st, &eb)) {
		fprintf(stderr, "tinydbg: %s\n", eb.msg);
		ret = EXIT_ERROR;
		goto out;
	}
	ret = exit_line(&pr, &st, launched);
	/* The table after the trace, in it when it is text; else on stderr,
	 * which keeps a JSON file JSON. */
	if (o->summary)
		summary_print(&pr, pr.format == FMT_TEXT ? pr.out : stderr);
	if (o->folded) {
		int err = summary_write_folded(&pr, o->folded);

		if (err) {
			fprintf(stderr, "tinydbg: writing --folded \"%s\": %s\n",
				o->folded, strerror(-err));
			if (!ret)
				ret = EXIT_ERROR;
		}
	}
	/* Stopped by a signal of our own: say so in our status, as a shell
	 * would for a program it interrupted. */
	if (detached)
		ret = 128 + stop_signal;
	fflush(stderr);
out:
	client_free_names(funcs, nfuncs);
	client_free_names(inl, ninl);
	strbuf_release(&sb);
	printer_release(&pr);
	return ret;
}

/* The program's fds (of 1 and 2, which it inherits from us) that write
 * where we print the trace (out_fd: stderr, or --trace-output): the same file, pipe or terminal.
 * Its writes there wait for the events before them (debugger_config's
 * order_fds), so that the two come out in the order they happened. Not
 * when nobody sees the result (/dev/null). */
static unsigned order_fds(int out_fd)
{
	struct stat err, st;
	unsigned mask = 0;

	if (fstat(out_fd, &err) || (S_ISCHR(err.st_mode) && !isatty(out_fd)))
		return 0;
	for (int fd = 1; fd <= 2; fd++) {
		if (fstat(fd, &st))
			continue;
		if (st.st_dev == err.st_dev && st.st_ino == err.st_ino)
			mask |= 1u << fd;
		/* One terminal, reached through two device nodes. */
		else if (S_ISCHR(st.st_mode) && S_ISCHR(err.st_mode) &&
			 st.st_rdev == err.st_rdev && isatty(fd))
			mask |= 1u << fd;
	}
	return mask;
}

/* Builds o->pkg (see build.h); then o->exec names the binary. Returns 0
 * or tinydbg's exit code, the toolchain's messages and ours printed. */
static int build_target(struct trace_opts *o, struct build *b)
{
	struct build_opts bo = {
		.pkg = o->pkg,
		.output = o->output,
		.flags = o->build_flags,
		.test = o->test,
		.stop = &stop_signal,
	};
	struct errbuf eb;
	int err;

	fflush(stderr); /* the toolchain writes to the same fd, after us */
	err = build_run(b, &bo, &eb);
	if (err == -EINTR)
		return 128 + stop_signal;
	if (err) {
		fprintf(stderr, "tinydbg: could not build %s: %s\n", o->pkg,
			eb.msg);
		return EXIT_NOTARGET;
	}
	o->exec = b->bin;
	return 0;
}

/* --follow-forks: the first session's options, which every child's
 * session takes (forks.c runs trace_child on a thread of its own). */
static const struct trace_opts *root_opts;

static int trace_child(int pid, int proc)
{
	struct trace_opts o = *root_opts;
	struct debugger_config cfg;
	struct server *srv = NULL;
	struct client *c;
	struct errbuf eb;
	int fd, ret;

	o.child = true;
	o.proc = proc;
	o.exec = NULL;
	o.pid = pid;
	memset(&cfg, 0, sizeof(cfg));
	cfg.attach_pid = pid;
	cfg.engine = o.engine;
	cfg.ring_bytes = (size_t)o.ring_kib << 10;
	cfg.follow_forks = true;
	cfg.signals = o.signals;
	if (o.syscalls_re)
		cfg.syscalls = root_opts->syscalls;
	/* A launched program's children have its seccomp filter, which
	 * their tracer must take (debugger.h). */
	cfg.attach_filtered = o.root_launched &&
			      (o.root_order_fds || o.syscalls_re);
	cfg.order_fds = o.root_order_fds;
	ret = server_start_local(&cfg, &fd, &srv, &eb);
	if (ret) {
		/* It must not stay stopped for want of a tracer. */
		kill(pid, SIGCONT);
		fprintf(stderr, "tinydbg: note: process %d runs untraced: %s\n",
			pid, eb.msg);
		fflush(stderr);
		return EXIT_ERROR;
	}
	c = client_new(fd);
	client_set_handoff(c, server_handoff(srv));
	ret = run_trace(c, &o);
	client_free(c);
	server_wait(srv);
	return ret;
}

/* --connect: the same flow as a local trace, over a socket. */
static int trace_remote(const struct trace_opts *o)
{
	struct errbuf eb;
	struct client *c;
	int fd, ret;

	fd = transport_dial(o->connect, &eb);
	if (fd < 0) {
		fprintf(stderr, "tinydbg: %s\n", eb.msg);
		return EXIT_NOTARGET;
	}
	c = client_new(fd);
	ret = run_trace(c, o);
	client_free(c); /* the server's session ends */
	return ret;
}

int cmd_trace(int argc, char **argv)
{
	struct trace_opts o;
	struct debugger_config cfg;
	struct server *srv = NULL;
	struct client *c;
	struct errbuf eb;
	struct build bld = {0};
	char **targv = NULL;
	int fd, ret;

	memset(&o, 0, sizeof(o));
	o.max_functions = MAX_FUNCTIONS_DEFAULT;
	o.color = -1;
	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret < 0 ? 0 : ret;

	install_signals();
	/* Full buffering: events are written in batches, flushed per batch. */
	setvbuf(stderr, NULL, _IOFBF, 1 << 16);
	/* Every process of --follow-forks has its own printer: one array
	 * each, in one file, would not be one JSON document. */
	if (o.format == FMT_CHROME && o.follow_forks) {
		fprintf(stderr, "tinydbg: --format chrome does not combine with --follow-forks yet: use --format json\n");
		return EXIT_USAGE;
	}
	o.out = stderr;
	if (o.trace_output && !strcmp(o.trace_output, "-")) {
		o.out = stdout;
	} else if (o.trace_output &&
		   !(o.out = fopen(o.trace_output, "we"))) {
		fprintf(stderr, "tinydbg: cannot write --trace-output \"%s\": %s\n",
			o.trace_output, strerror(errno));
		return EXIT_USAGE;
	}
	if (o.out != stderr)
		setvbuf(o.out, NULL, _IOFBF, 1 << 16);
	if (o.connect) {
		ret = trace_remote(&o);
		goto out;
	}
	/* From here on every way out goes through out:, which removes a
	 * temporary binary (signals end the trace there too). */
	if (o.pkg) {
		ret = build_target(&o, &bld);
		if (ret)
			goto out;
	}

	memset(&cfg, 0, sizeof(cfg));
	if (o.exec) {
		targv = xcalloc((size_t)o.ntarget_args + 2, sizeof(*targv));
		targv[0] = (char *)o.exec;
		for (int i = 0; i < o.ntarget_args; i++)
			targv[i + 1] = o.target_args[i];
		cfg.argv = targv;
		cfg.disable_aslr = true;
		cfg.order_fds = order_fds(fileno(o.out));
	} else {
		cfg.attach_pid = o.pid;
	}
	/* TINYDBG_ENGINE: the default engine (the test suite runs once per
	 * engine with it). */
	if (!o.engine && (o.engine = getenv("TINYDBG_ENGINE")) &&
	    !engine_name_ok(o.engine)) {
		fprintf(stderr, "tinydbg: invalid TINYDBG_ENGINE \"%s\": ptrace, ebpf or inproc\n",
			o.engine);
		ret = EXIT_USAGE;
		goto out;
	}
	cfg.engine = o.engine;
	cfg.ring_bytes = (size_t)o.ring_kib << 10;
	cfg.follow_forks = o.follow_forks;
	cfg.signals = o.signals;
	if (o.syscalls_re) {
		cfg.syscalls = o.syscalls;
		/* No filter for a process already running: say what it
		 * costs, once. The eBPF engine filters in the kernel's
		 * syscall tracepoints instead (and says so itself when it
		 * cannot). */
		if (o.pid && !(o.engine && !strcmp(o.engine, "ebpf")))
			fprintf(stderr,
				"tinydbg: note: attached: every system call of the process stops (a filter for only '%s' can be given to a launched program only)\n",
				o.syscalls_re);
	}
	if (o.follow_forks) {
		o.proc = 1;
		o.root_launched = o.exec != NULL;
		o.root_order_fds = o.exec ? cfg.order_fds : 0;
		root_opts = &o;
		forks_init(trace_child);
	}

	ret = server_start_local(&cfg, &fd, &srv, &eb);
	if (ret) {
		fprintf(stderr, "tinydbg: %s\n", eb.msg);
		if (o.pid && ret == -ESRCH)
			ret = EXIT_NOPROC;
		else if (o.pid && (ret == -EPERM || ret == -EACCES))
			ret = EXIT_PERM;
		else
			ret = EXIT_NOTARGET;
		goto out;
	}
	c = client_new(fd);
	client_set_handoff(c, server_handoff(srv));
	ret = run_trace(c, &o);
	client_free(c); /* closes the connection: the server ends */
	server_wait(srv);
	/* Its children's sessions go on until they end. */
	if (o.follow_forks)
		forks_wait();
out:
	fflush(stderr);
	if (o.out && o.out != stderr && o.out != stdout) {
		if (fclose(o.out) == EOF && !ret) {
			fprintf(stderr, "tinydbg: writing --trace-output \"%s\": %s\n",
				o.trace_output, strerror(errno));
			ret = EXIT_ERROR;
		}
	} else if (o.out == stdout) {
		fflush(stdout);
	}
	free(targv);
	build_release(&bld);
	return ret;
}
