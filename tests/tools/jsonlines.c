/* jsonlines: reads tinydbg's --format json from stdin, parses every line
 * with json-c (a line that is not one JSON object: exit 1, naming it) and
 * writes each event back as the text format's line, so that a test can
 * compare the two formats' content. Values print as their "value" text;
 * --check-trees also checks each value tree (name and type strings,
 * children arrays of objects). */
#include <json.h>
#include <stdio.h>
#include <string.h>

static const char *str(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v)
						   : NULL;
}

static long num(struct json_object *o, const char *k, long dflt)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? (long)json_object_get_int64(v)
						   : dflt;
}

static int tree_ok(struct json_object *v)
{
	struct json_object *c;

	if (!json_object_is_type(v, json_type_object) || !str(v, "value") ||
	    !str(v, "type"))
		return 0;
	if (json_object_object_get_ex(v, "children", &c)) {
		if (!json_object_is_type(c, json_type_array))
			return 0;
		for (size_t i = 0; i < json_object_array_length(c); i++)
			if (!tree_ok(json_object_array_get_idx(c, i)))
				return 0;
	}
	return 1;
}

static int values(struct json_object *o, const char *k, const char *sep,
		  int check)
{
	struct json_object *a;

	if (!json_object_object_get_ex(o, k, &a) ||
	    !json_object_is_type(a, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *v = json_object_array_get_idx(a, i);

		if (check && !tree_ok(v))
			return 0;
		printf("%s%s", i ? sep : "", str(v, "value"));
	}
	return 1;
}

/* --chrome: stdin is one Trace Event Format array. Checks that each
 * track's B and E events nest (an E ends the innermost open B of its
 * track, by name) and none stays open, then prints
 * "slices N instants N tracks N". */
static int chrome(void)
{
	static char buf[64 << 20];
	size_t len = fread(buf, 1, sizeof(buf) - 1, stdin);
	struct json_object *a;
	static struct { long tid; const char *name; } open[1 << 16];
	long tracks[1024];
	size_t nopen = 0, ntracks = 0, slices = 0, instants = 0;

	buf[len] = 0;
	if (!(a = json_tokener_parse(buf)) || !json_object_is_type(a, json_type_array)) {
		fprintf(stderr, "jsonlines: not a JSON array\n");
		return 1;
	}
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		const char *ph = str(e, "ph"), *name = str(e, "name");
		long tid = num(e, "tid", -1);

		if (!ph || !name || tid < 0) {
			fprintf(stderr, "jsonlines: event %zu lacks ph, name or tid\n", i);
			return 1;
		}
		if (!strcmp(ph, "M")) {
			if (ntracks < 1024)
				tracks[ntracks++] = tid;
		} else if (!strcmp(ph, "B")) {
			if (nopen == 1 << 16)
				return fprintf(stderr, "jsonlines: too deep\n"), 1;
			open[nopen].tid = tid;
			open[nopen++].name = name;
		} else if (!strcmp(ph, "E")) {
			size_t k = nopen;

			while (k-- > 0 && open[k].tid != tid)
				;
			if (k == (size_t)-1 || strcmp(open[k].name, name)) {
				fprintf(stderr, "jsonlines: event %zu ends %s on %ld, not open innermost\n", i, name, tid);
				return 1;
			}
			memmove(&open[k], &open[k + 1], (nopen - k - 1) * sizeof(open[0]));
			nopen--;
			slices++;
		} else if (!strcmp(ph, "i")) {
			instants++;
		}
	}
	if (nopen) {
		fprintf(stderr, "jsonlines: %zu slices never end\n", nopen);
		return 1;
	}
	printf("slices %zu instants %zu tracks %zu\n", slices, instants, ntracks);
	return 0;
}

int main(int argc, char **argv)
{
	char line[1 << 16];
	int check = argc > 1 && !strcmp(argv[1], "--check-trees");
	long n = 0;

	if (argc > 1 && !strcmp(argv[1], "--chrome"))
		return chrome();

	while (fgets(line, sizeof(line), stdin)) {
		struct json_object *o = json_tokener_parse(line);
		const char *kind;
		char who[64];

		n++;
		if (!o || !json_object_is_type(o, json_type_object) ||
		    !(kind = str(o, "kind"))) {
			fprintf(stderr, "jsonlines: line %ld is not an event: %s", n, line);
			return 1;
		}
		if (num(o, "goroutine", -1) >= 0)
			snprintf(who, sizeof(who), "goroutine(%ld)", num(o, "goroutine", 0));
		else
			snprintf(who, sizeof(who), "thread(%ld)", num(o, "thread", 0));
		if (!strcmp(kind, "call") || !strcmp(kind, "syscall")) {
			printf("> %s: %s%s(", who, kind[0] == 's' ? "syscall " : "",
			       str(o, kind[0] == 's' ? "syscall" : "function"));
			if (!values(o, "args", ", ", check))
				return fprintf(stderr, "jsonlines: line %ld: bad args\n", n), 1;
			printf(")\n");
		} else if (!strcmp(kind, "return") || !strcmp(kind, "syscall_return")) {
			printf(">> %s: %s%s => (", who, kind[0] == 's' ? "syscall " : "",
			       str(o, kind[0] == 's' ? "syscall" : "function"));
			if (!values(o, "results", ",", check))
				return fprintf(stderr, "jsonlines: line %ld: bad results\n", n), 1;
			printf(")\n");
		} else if (!strcmp(kind, "signal")) {
			printf("--- %s: %s%s%s ---\n", who, str(o, "signal"),
			       str(o, "handler") ? " handler " : "",
			       str(o, "handler") ? str(o, "handler") : "");
		} else if (!strcmp(kind, "exited")) {
			printf("Process %ld has exited with status %ld\n",
			       num(o, "process", 0), num(o, "status", 0));
		} else if (!strcmp(kind, "killed") && str(o, "signal")) {
			printf("Process %ld was killed by signal %s\n",
			       num(o, "process", 0), str(o, "signal"));
		} else if (!strcmp(kind, "killed") || !strcmp(kind, "detached")) {
			printf("Process %ld has been %s\n", num(o, "process", 0), kind);
		} else if (!strcmp(kind, "lost")) {
			printf("tinydbg: lost %ld events\n", num(o, "count", 0));
		} else if (!strcmp(kind, "lost_total")) {
			printf("tinydbg: lost %ld events in all (the ring buffer was full: a larger --ebpf-ring keeps more)\n",
			       num(o, "count", 0));
		} else if (!strcmp(kind, "note")) {
			printf("tinydbg: note: %s\n", str(o, "text"));
		} else {
			fprintf(stderr, "jsonlines: line %ld: unknown kind %s\n", n, kind);
			return 1;
		}
		json_object_put(o);
	}
	return 0;
}
