/* tinydbg exec --headless / tinydbg attach --headless: a backend holding one
 * target, serving Delve's JSON-RPC API on a socket for `tinydbg trace
 * --connect` or Delve's own clients (`dlv connect`). The same server as
 * a local trace's, on a listening socket instead of a socketpair. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/errbuf.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "rpc/transport.h"
#include "server/server.h"

static volatile sig_atomic_t headless_stop;

static void on_stop(int sig)
{
	headless_stop = sig;
}

static void usage(FILE *f, const char *cmd)
{
	bool exec = !strcmp(cmd, "exec");

	fprintf(f,
		"%s, and serve it to a client.\n"
		"\n"
		"Usage:\n"
		"  tinydbg %s --headless [--listen ADDR] [flags] %s\n"
		"\n"
		"Starts a headless backend: %s, and waits for a\n"
		"client on ADDR (tinydbg trace --connect ADDR, or Delve's dlv connect ADDR).\n"
		"It prints the address it listens at on stdout:\n"
		"  API server listening at: 127.0.0.1:PORT\n"
		"Only clients of the same user are served: a unix socket's peer credentials,\n"
		"or for loopback TCP the owner of the client's socket, are checked before a\n"
		"byte of a request is read. Without --accept-multiclient the server ends\n"
		"when its client goes, %s.\n"
		"\n"
		"Flags:\n"
		"      --headless            Run without a terminal client (required).\n"
		"      --listen string       host:port or unix:/path (default \"%s\";\n"
		"                            port 0: the kernel picks one).\n"
		"      --accept-multiclient  Serve any number of clients, one after the\n"
		"                            other or at once; the target lives on between\n"
		"                            them, until a client detaches it or it ends.\n"
		"      --allow-remote        Allow listening on an address that is not a\n"
		"                            loopback one: anyone who can reach it controls\n"
		"                            the target, and so runs code as this user.\n"
		"      --api-version int     2 (Delve's JSON-RPC API v2, the only one).\n"
		"      --engine string       ptrace (default), ebpf or inproc, as for trace.\n"
		"      --ebpf                --engine ebpf.\n"
		"  -h, --help                help for %s\n",
		exec ? "Launch a program stopped at its entry" :
		       "Attach to a running process",
		cmd, exec ? "BIN [-- args...]" : "PID",
		exec ? "the program is launched, stopped before its first instruction" :
		       "the process is attached to and stopped",
		exec ? "killing the program" :
		       "leaving the process running as it was, every breakpoint removed",
		TRANSPORT_DEFAULT_ADDR, cmd);
}

void exec_usage(FILE *f)
{
	usage(f, "exec");
}

void attach_usage(FILE *f)
{
	usage(f, "attach");
}

static pthread_mutex_t note_mu = PTHREAD_MUTEX_INITIALIZER;

static void note(void *arg, const char *msg)
{
	pthread_mutex_lock(&note_mu);
	fprintf(stderr, "tinydbg: %s\n", msg);
	fflush(stderr);
	pthread_mutex_unlock(&note_mu);
}

static int run(int argc, char **argv, bool exec)
{
	enum { OPT_HEADLESS = 256, OPT_LISTEN, OPT_MULTI, OPT_REMOTE,
	       OPT_API, OPT_ENGINE, OPT_EBPF };
	static const struct option longopts[] = {
		{"headless", no_argument, NULL, OPT_HEADLESS},
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"accept-multiclient", no_argument, NULL, OPT_MULTI},
		{"allow-remote", no_argument, NULL, OPT_REMOTE},
		{"api-version", required_argument, NULL, OPT_API},
		{"engine", required_argument, NULL, OPT_ENGINE},
		{"ebpf", no_argument, NULL, OPT_EBPF},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = exec ? "exec" : "attach";
	const char *listen_addr = TRANSPORT_DEFAULT_ADDR, *engine = NULL;
	bool headless = false, multiclient = false, allow_remote = false;
	bool remote = false;
	int dashdash = argc, c, lfd = -1, ret = EXIT_ERROR, err;
	struct debugger_config cfg;
	struct debugger *d = NULL;
	struct errbuf eb;
	char bound[300];
	char **targv = NULL;
	long pid = 0;
	struct sigaction sa;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			dashdash = i;
			break;
		}
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(dashdash, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_HEADLESS:
			headless = true;
			break;
		case OPT_LISTEN:
			listen_addr = optarg;
			break;
		case OPT_MULTI:
			multiclient = true;
			break;
		case OPT_REMOTE:
			allow_remote = true;
			break;
		case OPT_API:
			if (strcmp(optarg, "2")) {
				fprintf(stderr, "tinydbg: invalid --api-version \"%s\": only 2 is served\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_ENGINE:
			if (!engine_name_ok(optarg)) {
				fprintf(stderr, "tinydbg: invalid --engine \"%s\": ptrace, ebpf or inproc\n",
					optarg);
				return EXIT_USAGE;
			}
			engine = optarg;
			break;
		case OPT_EBPF:
			engine = "ebpf";
			break;
		case 'h':
			usage(stdout, cmd);
			return 0;
		case ':':
			fprintf(stderr, "tinydbg: flag needs an argument: %s\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr,
				"tinydbg: unknown flag: %s (see tinydbg help %s)\n",
				argv[optind - 1], cmd);
			return EXIT_USAGE;
		}
	}
	if (!headless) {
		fprintf(stderr,
			"tinydbg: %s needs --headless: tinydbg has no interactive client; trace with tinydbg trace --connect ADDR\n",
			cmd);
		return EXIT_USAGE;
	}
	if (optind + 1 != dashdash) {
		fprintf(stderr, "tinydbg: %s takes one %s (see tinydbg help %s)\n",
			cmd, exec ? "program" : "pid", cmd);
		return EXIT_USAGE;
	}
	if (!exec && dashdash < argc) {
		fprintf(stderr,
			"tinydbg: arguments after -- are for a program to launch, not with attach\n");
		return EXIT_USAGE;
	}
	memset(&cfg, 0, sizeof(cfg));
	if (exec) {
		int nargs = dashdash < argc ? argc - dashdash - 1 : 0;

		targv = xcalloc((size_t)nargs + 2, sizeof(*targv));
		targv[0] = argv[optind];
		for (int i = 0; i < nargs; i++)
			targv[i + 1] = argv[dashdash + 1 + i];
		cfg.argv = targv;
		/* As a local trace does: the same addresses, the same output. */
		cfg.disable_aslr = true;
	} else {
		char *end;

		errno = 0;
		pid = strtol(argv[optind], &end, 10);
		if (!*argv[optind] || *end || errno || pid < 1 || pid > 4194304) {
			fprintf(stderr,
				"tinydbg: invalid pid \"%s\": a pid is a positive number\n",
				argv[optind]);
			return EXIT_USAGE;
		}
		cfg.attach_pid = (pid_t)pid;
	}
	if (!engine && (engine = getenv("TINYDBG_ENGINE")) &&
	    !engine_name_ok(engine)) {
		fprintf(stderr, "tinydbg: invalid TINYDBG_ENGINE \"%s\": ptrace, ebpf or inproc\n",
			engine);
		ret = EXIT_USAGE;
		goto out;
	}
	cfg.engine = engine;

	/* Listen first: a bad address fails before a target is touched. */
	lfd = transport_listen(listen_addr, allow_remote, "--allow-remote",
			       &remote, bound, sizeof(bound), &eb);
	if (lfd < 0) {
		fprintf(stderr, "tinydbg: %s\n", eb.msg);
		ret = lfd == -EACCES || lfd == -EINVAL ? EXIT_USAGE : EXIT_ERROR;
		goto out;
	}
	if (remote)
		fprintf(stderr,
			"tinydbg: warning: listening on %s, not a loopback address: anyone who can reach it controls the target and runs code as this user (uid %u); connections are not authenticated or encrypted\n",
			bound, (unsigned)geteuid());
	err = debugger_new(&d, &cfg, &eb);
	if (err) {
		fprintf(stderr, "tinydbg: %s\n", eb.msg);
		if (!exec && err == -ESRCH)
			ret = EXIT_NOPROC;
		else if (!exec && (err == -EPERM || err == -EACCES))
			ret = EXIT_PERM;
		else
			ret = EXIT_NOTARGET;
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* What Delve prints, for the scripts that read it; flushed, as our
	 * stdout is a pipe to them. */
	printf("API server listening at: %s\n", bound);
	fflush(stdout);
	{
		struct server_listen_opts lo = {
			.multiclient = multiclient,
			.note = note,
			.stop = &headless_stop,
		};

		err = server_listen_run(d, lfd, &lo, &eb);
	}
	if (err) {
		fprintf(stderr, "tinydbg: %s\n", eb.msg);
		goto out;
	}
	ret = headless_stop ? 128 + headless_stop : 0;
out:
	/* A launched target is killed, an attached one detached with every
	 * breakpoint byte restored. */
	if (d)
		debugger_free(d);
	if (lfd >= 0) {
		close(lfd);
		if (!strncmp(bound, "unix:", 5))
			unlink(bound + 5);
	}
	free(targv);
	fflush(stderr);
	return ret;
}

int cmd_exec(int argc, char **argv)
{
	return run(argc, argv, true);
}

int cmd_attach(int argc, char **argv)
{
	return run(argc, argv, false);
}
