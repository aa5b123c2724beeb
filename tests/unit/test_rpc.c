/* Tests of rpc/ (framing, envelopes, wire shapes) and client/ (against a
 * fake server thread answering canned responses over a socketpair). The
 * real server needs a real debugger: it is driven by the transcripts in
 * tests/rpc/, not here. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "check.h"

#include "api/api.h"
#include "base/xalloc.h"
#include "client/client.h"
#include "rpc/conn.h"
#include "rpc/handoff.h"
#include "rpc/msg.h"
#include "rpc/wire.h"

/* ---- helpers ---- */

static const char *jstr(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Through text and back, as on the wire. */
static struct json_object *reparse(struct json_object *o)
{
	struct json_object *p = json_tokener_parse(jstr(o));

	json_object_put(o);
	return p;
}

static bool contains(struct json_object *o, const char *needle)
{
	const char *s = jstr(o);
	bool ok = strstr(s, needle) != NULL;

	if (!ok)
		fprintf(stderr, "  missing %s in %s\n", needle, s);
	return ok;
}

static bool streq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool value_eq(const struct value *a, const struct value *b)
{
	if (!streq(a->name, b->name) || !streq(a->type, b->type) ||
	    a->kind != b->kind || a->flags != b->flags || a->addr != b->addr ||
	    !streq(a->value, b->value) || a->len != b->len ||
	    a->cap != b->cap || a->nchildren != b->nchildren ||
	    !streq(a->unreadable, b->unreadable))
		return false;
	for (size_t i = 0; i < a->nchildren; i++)
		if (!value_eq(&a->children[i], &b->children[i]))
			return false;
	return true;
}

static struct value mkval(const char *name, const char *type, enum vkind k,
			  const char *text)
{
	struct value v;

	memset(&v, 0, sizeof(v));
	v.name = name ? xstrdup(name) : NULL;
	v.type = type ? xstrdup(type) : NULL;
	v.kind = k;
	v.value = text ? xstrdup(text) : NULL;
	return v;
}

/* ---- wire ---- */

static void test_breakpoint(void)
{
	static uint64_t addrs[] = { 0x401000, 0xffffffffffff0000ull };
	struct api_breakpoint bp = {
		.id = 7, .name = "bp", .addr = 0x401000, .addrs = addrs,
		.naddrs = 2, .file = "/src/a.c", .line = -1,
		.function_name = "main.add", .tracepoint = true,
		.trace_return = true, .load_args = true, .stacktrace = 5,
		.trace_follow_calls = 2, .root_func_name = "main\\..*",
	};
	struct api_breakpoint got;
	struct json_object *o = wire_breakpoint_to_json(&bp);
	struct errbuf eb = { "" };

	/* Delve's names, and the fields Delve always sends. */
	CHECK(contains(o, "\"id\":7"));
	CHECK(contains(o, "\"addrs\":[4198400,18446744073709486080]"));
	CHECK(contains(o, "\"functionName\":\"main.add\""));
	CHECK(contains(o, "\"continue\":true"));
	CHECK(contains(o, "\"traceReturn\":true"));
	CHECK(contains(o, "\"stacktrace\":5"));
	CHECK(contains(o, "\"LoadArgs\":{\"FollowPointers\":false,"
			  "\"MaxVariableRecurse\":0,\"MaxStringLen\":64,"
			  "\"MaxArrayValues\":0,\"MaxStructFields\":3}"));
	CHECK(contains(o, "\"LoadLocals\":null"));
	CHECK(contains(o, "\"Cond\":\"\""));
	CHECK(contains(o, "\"hitCount\":{}"));
	CHECK(contains(o, "\"TraceFollowCalls\":2"));
	CHECK(contains(o, "\"RootFuncName\":\"main\\\\..*\""));
	o = reparse(o);
	CHECK_INT(wire_breakpoint_from_json(o, &got, &eb), 0);
	CHECK_INT(got.id, 7);
	CHECK_STR(got.name, "bp");
	CHECK(got.addr == 0x401000);
	CHECK_INT(got.naddrs, 2);
	CHECK(got.naddrs == 2 && got.addrs[1] == 0xffffffffffff0000ull);
	CHECK_STR(got.file, "/src/a.c");
	CHECK_INT(got.line, -1);
	CHECK_STR(got.function_name, "main.add");
	CHECK(got.tracepoint && got.trace_return && got.load_args);
	CHECK_INT(got.stacktrace, 5);
	CHECK_INT(got.trace_follow_calls, 2);
	CHECK_STR(got.root_func_name, "main\\..*");
	api_breakpoint_release(&got);
	json_object_put(o);

	/* Empty: no functionName (omitempty), addrs and LoadArgs null. */
	memset(&bp, 0, sizeof(bp));
	o = wire_breakpoint_to_json(&bp);
	CHECK(!strstr(jstr(o), "functionName"));
	CHECK(contains(o, "\"addrs\":null"));
	CHECK(contains(o, "\"LoadArgs\":null"));
	o = reparse(o);
	CHECK_INT(wire_breakpoint_from_json(o, &got, &eb), 0);
	CHECK(!got.load_args && !got.naddrs && !got.addrs);
	api_breakpoint_release(&got);
	json_object_put(o);
}

/* What Delve's own client sent (delve-wire-transcript.log, id 9). */
static const char delve_bp_request[] =
	"{\"Breakpoint\":{\"id\":0,\"name\":\"\",\"addr\":4828951,\"addrs\":null,"
	"\"addrpid\":null,\"file\":\"\",\"line\":-1,\"Cond\":\"\",\"HitCond\":\"\","
	"\"HitCondPerG\":false,\"continue\":false,\"traceReturn\":true,"
	"\"goroutine\":false,\"stacktrace\":0,\"LoadArgs\":{\"FollowPointers\":false,"
	"\"MaxVariableRecurse\":0,\"MaxStringLen\":64,\"MaxArrayValues\":0,"
	"\"MaxStructFields\":3},\"LoadLocals\":null,\"WatchExpr\":\"\","
	"\"WatchType\":0,\"hitCount\":null,\"totalHitCount\":0,\"disabled\":false},"
	"\"LocExpr\":\"\",\"SubstitutePathRules\":null,\"Suspended\":false}";

static const char delve_variable[] =
	"{\"name\":\"a\",\"addr\":13758215386640154624,\"onlyAddr\":false,"
	"\"type\":\"int\",\"realType\":\"int\",\"flags\":40,\"kind\":2,"
	"\"value\":\"1\",\"len\":0,\"cap\":0,\"children\":[],\"base\":0,"
	"\"unreadable\":\"\",\"LocationExpr\":\"[0x1422:0x49aee0] DW_OP_reg0(Rax) \","
	"\"DeclLine\":5}";

static void test_delve_inputs(void)
{
	struct json_object *o = json_tokener_parse(delve_bp_request), *b;
	struct api_breakpoint bp;
	struct errbuf eb = { "" };
	struct value v;

	CHECK_INT(wire_get_obj(o, "Breakpoint", &b, &eb), 0);
	CHECK_INT(wire_breakpoint_from_json(b, &bp, &eb), 0);
	CHECK(bp.addr == 4828951);
	CHECK(bp.trace_return && !bp.tracepoint && bp.load_args);
	CHECK_INT(bp.line, -1);
	CHECK(bp.naddrs == 0 && !bp.function_name);
	api_breakpoint_release(&bp);
	json_object_put(o);

	o = json_tokener_parse(delve_variable);
	CHECK_INT(wire_value_from_json(o, &v, &eb), 0);
	CHECK_STR(v.name, "a");
	CHECK(v.addr == 13758215386640154624ull);
	CHECK_INT(v.flags, VF_ARGUMENT | 32);
	CHECK_INT(v.kind, VK_INT);
	CHECK_STR(v.value, "1");
	CHECK(v.unreadable == NULL && v.nchildren == 0);
	value_release(&v);
	json_object_put(o);
}

static void build_tree(struct value *root)
{
	struct value *k;

	*root = mkval("p", "struct point", VK_STRUCT, NULL);
	root->flags = VF_ARGUMENT | VF_C;
	root->addr = 0x7ffd0000;
	root->len = 3;
	root->nchildren = 3;
	root->children = k = xcalloc(3, sizeof(*k));
	k[0] = mkval("x", "int", VK_INT, "-3");
	k[1] = mkval("name", "char *", VK_STRING, ""); /* empty, not NULL */
	k[1].len = 0;
	k[1].addr = 0x404000;
	k[2] = mkval("inner", "struct in", VK_STRUCT, NULL);
	k[2].unreadable = xstrdup("optimized out");
	k[2].nchildren = 1;
	k[2].children = xcalloc(1, sizeof(struct value));
	k[2].children[0] = mkval("f", "double", VK_FLOAT64, "1.5");
	k[2].children[0].cap = -1;
}

static void test_value(void)
{
	struct value root, got;
	struct json_object *o;
	struct errbuf eb = { "" };

	build_tree(&root);
	o = wire_value_to_json(&root);
	CHECK(contains(o, "\"flags\":8,"));             /* Delve's uint16 */
	CHECK(contains(o, "\"tinydbgFlags\":65536"));  /* ours, apart */
	CHECK(contains(o, "\"kind\":25"));
	CHECK(contains(o, "\"realType\":\"struct point\""));
	CHECK(contains(o, "\"children\":[{\"name\":\"x\""));
	CHECK(contains(o, "\"unreadable\":\"optimized out\""));
	/* Zero fields stay off the wire (a Go decoder reads them as zero). */
	CHECK(!contains(o, "\"LocationExpr\""));
	CHECK(!contains(o, "\"DeclLine\""));
	CHECK(!contains(o, "\"base\""));
	o = reparse(o);
	CHECK_INT(wire_value_from_json(o, &got, &eb), 0);
	CHECK(value_eq(&root, &got));
	CHECK(got.value == NULL);                        /* aggregate */
	CHECK(got.nchildren == 3 && got.children[1].value &&
	      !*got.children[1].value);                  /* "" string kept */
	value_release(&got);
	value_release(&root);
	json_object_put(o);
}

static void test_tracepoint_result(void)
{
	struct api_tracepoint_result r, got;
	struct json_object *o;
	struct errbuf eb = { "" };

	memset(&r, 0, sizeof(r));
	r.addr = 0xfffffffffffff000ull;
	r.file = xstrdup("/src/a.c");
	r.line = 12;
	r.is_ret = true;
	r.function_name = xstrdup("add");
	r.goroutine_id = -1;
	r.thread_id = 4711;
	r.time_ns = 1700000000123456789ull; /* beyond a double's precision */
	r.ninput = 2;
	r.input_params = xcalloc(2, sizeof(struct value));
	r.input_params[0] = mkval("a", "int", VK_INT, "1");
	build_tree(&r.input_params[1]);
	r.nreturn = 1;
	r.return_params = xcalloc(1, sizeof(struct value));
	r.return_params[0] = mkval("~r0", "int", VK_INT, "3");
	r.return_params[0].flags = VF_RETURN;
	r.nstack = 2;
	r.stack = xcalloc(2, sizeof(struct api_frame));
	r.stack[0] = (struct api_frame){ 0x401234, xstrdup("add"),
					 xstrdup("/src/a.c"), 12 };
	r.stack[1] = (struct api_frame){ 0x401300, NULL, NULL, 0 };

	o = wire_tracepoint_result_to_json(&r);
	CHECK(contains(o, "\"is_ret\":true"));
	CHECK(contains(o, "\"goroutineID\":-1"));
	CHECK(contains(o, "\"functionName\":\"add\""));
	CHECK(contains(o, "\"inputParams\":[{"));
	CHECK(contains(o, "\"returnParams\":[{"));
	CHECK(contains(o, "\"threadID\":4711"));
	CHECK(contains(o, "\"timeNs\":1700000000123456789"));
	CHECK(contains(o, "\"stacktrace\":[{\"pc\":4198964,\"function\":{\"name\":\"add\"},"
			  "\"file\":\"/src/a.c\",\"line\":12}"));
	o = reparse(o);
	CHECK_INT(wire_tracepoint_result_from_json(o, &got, &eb), 0);
	CHECK(got.addr == r.addr);
	CHECK_STR(got.file, "/src/a.c");
	CHECK_INT(got.line, 12);
	CHECK(got.is_ret);
	CHECK_STR(got.function_name, "add");
	CHECK_INT(got.goroutine_id, -1);
	CHECK_INT(got.thread_id, 4711);
	CHECK(got.time_ns == r.time_ns);
	CHECK(got.ninput == 2 && value_eq(&got.input_params[0], &r.input_params[0]) &&
	      value_eq(&got.input_params[1], &r.input_params[1]));
	CHECK(got.nreturn == 1 && value_eq(&got.return_params[0], &r.return_params[0]));
	CHECK_INT(got.nstack, 2);
	if (got.nstack == 2) {
		CHECK(got.stack[0].pc == 0x401234);
		CHECK_STR(got.stack[0].function, "add");
		CHECK_STR(got.stack[0].file, "/src/a.c");
		CHECK_INT(got.stack[0].line, 12);
		CHECK(got.stack[1].function == NULL);
	}
	api_tracepoint_result_release(&got);
	json_object_put(o);

	/* Nothing optional: no params, no stack, no name. */
	api_tracepoint_result_release(&r);
	o = wire_tracepoint_result_to_json(&r);
	CHECK(!strstr(jstr(o), "inputParams") && !strstr(jstr(o), "stacktrace") &&
	      !strstr(jstr(o), "functionName"));
	o = reparse(o);
	CHECK_INT(wire_tracepoint_result_from_json(o, &got, &eb), 0);
	CHECK(!got.ninput && !got.input_params && !got.nstack && !got.stack);
	api_tracepoint_result_release(&got);
	json_object_put(o);
}

/* ---- handoff ---- */

static bool frame_eq(const struct api_frame *a, const struct api_frame *b)
{
	return a->pc == b->pc && streq(a->function, b->function) &&
	       streq(a->file, b->file) && a->line == b->line &&
	       a->inlined == b->inlined;
}

static bool result_eq(const struct api_tracepoint_result *a,
		      const struct api_tracepoint_result *b)
{
	if (a->addr != b->addr || !streq(a->file, b->file) ||
	    a->line != b->line || a->is_ret != b->is_ret ||
	    a->has_results != b->has_results ||
	    !streq(a->function_name, b->function_name) ||
	    a->goroutine_id != b->goroutine_id ||
	    a->thread_id != b->thread_id || a->time_ns != b->time_ns ||
	    a->depth != b->depth || a->ninput != b->ninput ||
	    a->nreturn != b->nreturn || a->nstack != b->nstack ||
	    !streq(a->signal, b->signal) || !streq(a->handler, b->handler) ||
	    !streq(a->note, b->note) || a->is_syscall != b->is_syscall ||
	    a->stack_truncated != b->stack_truncated)
		return false;
	for (size_t i = 0; i < a->ninput; i++)
		if (!value_eq(&a->input_params[i], &b->input_params[i]))
			return false;
	for (size_t i = 0; i < a->nreturn; i++)
		if (!value_eq(&a->return_params[i], &b->return_params[i]))
			return false;
	for (size_t i = 0; i < a->nstack; i++)
		if (!frame_eq(&a->stack[i], &b->stack[i]))
			return false;
	return true;
}

/* An event with what the JSON round trip changes: NULL and empty
 * strings, a return flagged with results, a stack. */
static void mk_lossy(struct api_tracepoint_result *r, bool is_ret, int tid)
{
	memset(r, 0, sizeof(*r));
	r->addr = 0x401000;
	r->file = NULL;
	r->function_name = xstrdup("");
	r->is_ret = is_ret;
	r->has_results = true;
	r->goroutine_id = -1;
	r->thread_id = tid;
	r->time_ns = 1700000000123456789ull;
	r->depth = 2;
	r->note = xstrdup("");
	r->ninput = 3;
	r->input_params = xcalloc(3, sizeof(struct value));
	r->input_params[0] = mkval(NULL, NULL, VK_INT, "");
	r->input_params[1] = mkval("s", "char *", VK_STRING, "");
	build_tree(&r->input_params[2]);
	r->input_params[2].unreadable = xstrdup("");
	r->nstack = 2;
	r->stack = xcalloc(2, sizeof(struct api_frame));
	r->stack[0] = (struct api_frame){ 0x401234, xstrdup(""), NULL, 12, 1 };
	r->stack[1] = (struct api_frame){ 0x401300, NULL, xstrdup("a.c"), 0 };
}

/* wire_tracepoint_result_as_sent makes an event what the JSON round trip
 * makes of it, field for field. */
static void test_as_sent(void)
{
	for (int ret = 0; ret < 2; ret++) {
		struct api_tracepoint_result r, got;
		struct json_object *o;
		struct errbuf eb = { "" };

		mk_lossy(&r, ret, 7);
		o = reparse(wire_tracepoints_to_json(&r, 1, 0, ret));
		wire_tracepoint_result_as_sent(&r);
		{
			struct api_tracepoint_result *evs;
			size_t n;
			uint64_t lost;

			CHECK_INT(wire_tracepoints_from_json(o, &evs, &n, &lost,
							     &eb), 0);
			CHECK_INT(n, 1);
			if (n == 1) {
				got = evs[0];
				CHECK(result_eq(&got, &r));
				CHECK(got.has_results == !ret);
				CHECK(got.function_name == NULL && got.file &&
				      !*got.file);
				api_tracepoint_result_release(&got);
			}
			free(evs);
		}
		json_object_put(o);
		api_tracepoint_result_release(&r);
	}
}

struct pusher {
	struct handoff *h;
	int tid;
	uint64_t seqs[100];
};

static void *pusher_main(void *arg)
{
	struct pusher *p = arg;

	for (int i = 0; i < 100; i++) {
		struct api_tracepoint_result *evs = xcalloc(2, sizeof(*evs));

		mk_lossy(&evs[0], false, p->tid);
		mk_lossy(&evs[1], true, p->tid);
		evs[0].line = evs[1].line = i;
		p->seqs[i] = handoff_push(p->h, evs, 2);
	}
	return NULL;
}

/* The FIFO: numbered batches, popped by number, in any order; what is
 * left is freed with it (ASan's build checks that). */
static void test_handoff(void)
{
	struct handoff *h = handoff_new();
	struct api_tracepoint_result *evs, *got;
	struct pusher p[2];
	pthread_t t[2];
	uint64_t s1, s2, s3, last = 0;
	size_t n;
	bool order = true, owner = true;

	CHECK_INT(handoff_pending(h), 0);
	CHECK_INT(handoff_pop(h, 1, &got, &n), -ENOENT);
	CHECK(got == NULL && n == 0);

	evs = xcalloc(1, sizeof(*evs));
	mk_lossy(&evs[0], false, 1);
	s1 = handoff_push(h, evs, 1);
	evs = xcalloc(2, sizeof(*evs));
	mk_lossy(&evs[0], false, 2);
	mk_lossy(&evs[1], true, 2);
	s2 = handoff_push(h, evs, 2);
	evs = xcalloc(1, sizeof(*evs));
	mk_lossy(&evs[0], true, 3);
	s3 = handoff_push(h, evs, 1);
	CHECK(s1 != 0 && s1 < s2 && s2 < s3);
	CHECK_INT(handoff_pending(h), 3);

	/* The middle one first (an answer lost on the way leaves the one
	 * before it): the others stay, in order. */
	CHECK_INT(handoff_pop(h, s2, &got, &n), 0);
	CHECK(n == 2 && got[0].thread_id == 2 && got[1].is_ret);
	for (size_t i = 0; i < n; i++)
		api_tracepoint_result_release(&got[i]);
	free(got);
	CHECK_INT(handoff_pop(h, s2, &got, &n), -ENOENT);
	CHECK_INT(handoff_pop(h, s3, &got, &n), 0);
	CHECK(n == 1 && got[0].thread_id == 3);
	api_tracepoint_result_release(&got[0]);
	free(got);
	CHECK_INT(handoff_pending(h), 1);

	/* The tail moved back: pushes after popping the last one link on. */
	evs = xcalloc(1, sizeof(*evs));
	mk_lossy(&evs[0], false, 4);
	s3 = handoff_push(h, evs, 1);
	CHECK_INT(handoff_pending(h), 2);
	CHECK_INT(handoff_pop(h, s3, &got, &n), 0);
	CHECK(n == 1 && got[0].thread_id == 4);
	api_tracepoint_result_release(&got[0]);
	free(got);

	/* Two threads push at once; every batch arrives whole, each
	 * thread's in its order. */
	for (int i = 0; i < 2; i++) {
		p[i].h = h;
		p[i].tid = 100 + i;
		pthread_create(&t[i], NULL, pusher_main, &p[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	CHECK_INT(handoff_pending(h), 201);
	for (int k = 0; k < 2; k++) {
		last = 0;
		for (int i = 0; i < 100; i++) {
			if (p[k].seqs[i] <= last)
				order = false;
			last = p[k].seqs[i];
			if (handoff_pop(h, p[k].seqs[i], &got, &n) || n != 2 ||
			    got[0].thread_id != p[k].tid || got[0].line != i ||
			    !got[1].is_ret) {
				owner = false;
				continue;
			}
			api_tracepoint_result_release(&got[0]);
			api_tracepoint_result_release(&got[1]);
			free(got);
		}
	}
	CHECK(order);
	CHECK(owner);
	CHECK_INT(handoff_pending(h), 1); /* s1, never taken */
	handoff_free(h);
	handoff_free(NULL);
}

static void test_state(void)
{
	struct api_state st = { 4711, false, true, 0, 11 }, got;
	struct json_object *o = wire_state_to_json(&st);
	struct errbuf eb = { "" };

	CHECK(contains(o, "\"Pid\":4711"));
	CHECK(contains(o, "\"Running\":false"));
	CHECK(contains(o, "\"Threads\":null"));
	CHECK(contains(o, "\"exited\":true"));
	CHECK(contains(o, "\"exitStatus\":0"));
	CHECK(contains(o, "\"exitSignal\":11"));
	o = reparse(o);
	CHECK_INT(wire_state_from_json(o, &got, &eb), 0);
	CHECK(got.pid == 4711 && !got.running && got.exited &&
	      got.exit_status == 0 && got.exit_signal == 11);
	json_object_put(o);
}

/* Malformed input: an error with a message, never a crash (ASan checks
 * that nothing leaks on the way out). */
static void test_tolerance(void)
{
	static const char *bad_bp[] = {
		"{\"line\":\"x\"}", "{\"addrs\":[\"a\"]}", "{\"addrs\":[-1]}",
		"{\"addrs\":7}", "{\"LoadArgs\":5}", "{\"continue\":1}",
		"{\"id\":10000000000}", "{\"addr\":-5}", "{\"line\":1.5}",
		"{\"name\":\"ok\",\"functionName\":[]}", "[1]", "\"str\"",
	};
	static const char *bad_val[] = {
		"{\"children\":{}}", "{\"children\":[1]}",
		"{\"children\":[{\"name\":\"a\"},{\"kind\":\"x\"}]}",
		"{\"len\":18446744073709551615}", "{\"flags\":-1}",
		"{\"name\":\"x\",\"value\":\"1\",\"unreadable\":false}",
	};
	static const char *bad_res[] = {
		"{\"inputParams\":\"x\"}", "{\"stacktrace\":[5]}",
		"{\"stacktrace\":[{\"pc\":1,\"function\":\"f\"}]}",
		"{\"returnParams\":[{\"children\":[{\"children\":[7]}]}]}",
		"{\"is_ret\":null,\"timeNs\":\"now\"}",
		"{\"inputParams\":[{\"name\":\"a\"}],\"stacktrace\":[{\"pc\":1},{\"line\":\"x\"}]}",
	};
	struct api_breakpoint bp;
	struct api_tracepoint_result r;
	struct api_state st;
	struct value v;
	struct errbuf eb;
	struct json_object *o;

	for (size_t i = 0; i < sizeof(bad_bp) / sizeof(*bad_bp); i++) {
		eb.msg[0] = 0;
		o = json_tokener_parse(bad_bp[i]);
		CHECK_INT(wire_breakpoint_from_json(o, &bp, &eb), -EINVAL);
		CHECK(eb.msg[0] != 0);
		CHECK(!bp.name && !bp.addrs && !bp.function_name);
		json_object_put(o);
	}
	for (size_t i = 0; i < sizeof(bad_val) / sizeof(*bad_val); i++) {
		eb.msg[0] = 0;
		o = json_tokener_parse(bad_val[i]);
		CHECK_INT(wire_value_from_json(o, &v, &eb), -EINVAL);
		CHECK(eb.msg[0] != 0);
		CHECK(!v.name && !v.children);
		json_object_put(o);
	}
	for (size_t i = 0; i < sizeof(bad_res) / sizeof(*bad_res); i++) {
		eb.msg[0] = 0;
		o = json_tokener_parse(bad_res[i]);
		CHECK_INT(wire_tracepoint_result_from_json(o, &r, &eb), -EINVAL);
		CHECK(eb.msg[0] != 0);
		CHECK(!r.input_params && !r.stack);
		json_object_put(o);
	}
	o = json_tokener_parse("{\"Pid\":true}");
	CHECK_INT(wire_state_from_json(o, &st, &eb), -EINVAL);
	json_object_put(o);

	/* Missing, null and unknown fields are fine. */
	o = json_tokener_parse("{\"id\":null,\"line\":null,\"addrs\":null,"
			       "\"LoadArgs\":null,\"future\":{\"x\":[1,2]}}");
	CHECK_INT(wire_breakpoint_from_json(o, &bp, &eb), 0);
	CHECK(bp.id == 0 && !bp.load_args);
	api_breakpoint_release(&bp);
	json_object_put(o);
	CHECK_INT(wire_breakpoint_from_json(NULL, &bp, &eb), 0);
	CHECK_INT(wire_value_from_json(NULL, &v, &eb), 0);
	CHECK(v.kind == VK_INVALID && !v.value);
	CHECK_INT(wire_tracepoint_result_from_json(NULL, &r, &eb), 0);
	CHECK_INT(wire_state_from_json(NULL, &st, &eb), 0);
	o = json_tokener_parse("{\"kind\":99,\"children\":[null]}");
	CHECK_INT(wire_value_from_json(o, &v, &eb), 0);
	CHECK(v.kind == VK_INVALID && v.nchildren == 1);
	value_release(&v);
	json_object_put(o);
}

/* ---- msg ---- */

static void test_msg(void)
{
	struct json_object *p = json_object_new_object(), *o;
	struct msg_request req;
	struct msg_response resp;
	struct errbuf eb = { "" };

	json_object_object_add(p, "Filter", json_object_new_string("main"));
	o = reparse(msg_request_new("RPCServer.ListFunctions", 5, p));
	CHECK_STR(jstr(o), "{\"method\":\"RPCServer.ListFunctions\","
			   "\"params\":[{\"Filter\":\"main\"}],\"id\":5}");
	CHECK_INT(msg_request_parse(o, &req, &eb), 0);
	CHECK_STR(req.method, "RPCServer.ListFunctions");
	CHECK(req.has_id && json_object_get_int(req.id) == 5);
	CHECK(req.params && json_object_object_length(req.params) == 1);
	json_object_put(o);

	/* No params, [] and [null] mean zero arguments; an id of any type
	 * is echoed back. */
	static const char *ok[] = {
		"{\"method\":\"M\",\"id\":\"abc\"}",
		"{\"method\":\"M\",\"params\":[],\"id\":1}",
		"{\"method\":\"M\",\"params\":[null],\"id\":1}",
		"{\"method\":\"M\",\"params\":null,\"id\":1}",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		o = json_tokener_parse(ok[i]);
		CHECK_INT(msg_request_parse(o, &req, &eb), 0);
		CHECK(req.params == NULL && req.has_id);
		json_object_put(o);
	}
	o = json_tokener_parse(ok[0]);
	msg_request_parse(o, &req, &eb);
	{
		struct json_object *a = msg_error_new(req.id, "boom");

		CHECK_STR(jstr(a), "{\"id\":\"abc\",\"result\":null,\"error\":\"boom\"}");
		json_object_put(a);
		a = msg_result_new(req.id, NULL);
		CHECK_STR(jstr(a), "{\"id\":\"abc\",\"result\":{},\"error\":null}");
		json_object_put(a);
	}
	json_object_put(o);

	static const char *bad[] = {
		"{\"method\":\"M\",\"params\":{},\"id\":1}",
		"{\"method\":\"M\",\"params\":[5],\"id\":1}",
		"{\"method\":7,\"id\":1}",
		"{\"params\":[{}],\"id\":1}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		o = json_tokener_parse(bad[i]);
		eb.msg[0] = 0;
		CHECK_INT(msg_request_parse(o, &req, &eb), -EINVAL);
		CHECK(req.has_id && eb.msg[0]);
		json_object_put(o);
	}
	o = json_tokener_parse("[1]");
	CHECK_INT(msg_request_parse(o, &req, &eb), -EINVAL);
	CHECK(!req.has_id);
	json_object_put(o);

	o = json_tokener_parse("{\"id\":3,\"result\":null,\"error\":\"no\"}");
	CHECK_INT(msg_response_parse(o, &resp, &eb), 0);
	CHECK(resp.id == 3 && !resp.result);
	CHECK_STR(resp.error, "no");
	json_object_put(o);
	o = json_tokener_parse("{\"id\":3,\"result\":{},\"error\":{\"x\":1}}");
	CHECK_INT(msg_response_parse(o, &resp, &eb), 0);
	CHECK(resp.error != NULL);
	json_object_put(o);
	o = json_tokener_parse("{\"id\":\"3\",\"result\":{}}");
	CHECK_INT(msg_response_parse(o, &resp, &eb), -EPROTO);
	json_object_put(o);
}

/* ---- conn ---- */

static void wr(int fd, const char *s)
{
	size_t n = strlen(s);

	CHECK(write(fd, s, n) == (ssize_t)n);
}

static void test_framing_basic(void)
{
	struct json_object *v;
	struct errbuf eb = { "" };
	struct conn *c;
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0]);

	/* Two values (and an incomplete third) in one read. */
	wr(sv[1], "{\"a\":1}{\"b\":[2]}\n  {\"c\"");
	CHECK_INT(conn_read(c, -1, &v, &eb), 1);
	CHECK_STR(jstr(v), "{\"a\":1}");
	json_object_put(v);
	CHECK_INT(conn_read(c, -1, &v, &eb), 1);
	CHECK_STR(jstr(v), "{\"b\":[2]}");
	json_object_put(v);
	CHECK_INT(conn_read(c, 0, &v, &eb), -ETIMEDOUT);
	CHECK_INT(conn_read(c, 20, &v, &eb), -ETIMEDOUT);
	wr(sv[1], ":3}\nnull [\"x\"]");
	CHECK_INT(conn_read(c, 0, &v, &eb), 1);
	CHECK_STR(jstr(v), "{\"c\":3}");
	json_object_put(v);
	CHECK_INT(conn_read(c, -1, &v, &eb), 1); /* a JSON null */
	CHECK(v == NULL);
	CHECK_INT(conn_read(c, -1, &v, &eb), 1);
	CHECK_STR(jstr(v), "[\"x\"]");
	json_object_put(v);
	/* Bytes that are not UTF-8 (a C string from the target) and control
	 * characters cross unchanged. */
	{
		struct conn *w = conn_new(sv[1]);
		struct value val = mkval("s", "char *", VK_STRING, "a\xff\xfe\x01\tb\xc3\xa9");
		struct value back;
		struct json_object *o = wire_value_to_json(&val);

		CHECK_INT(conn_write(w, o, &eb), 0);
		json_object_put(o);
		CHECK_INT(conn_read(c, 1000, &v, &eb), 1);
		CHECK_INT(wire_value_from_json(v, &back, &eb), 0);
		CHECK_STR(back.value, "a\xff\xfe\x01\tb\xc3\xa9");
		value_release(&back);
		value_release(&val);
		json_object_put(v);
		conn_free(w);
	}
	/* Whitespace then EOF: a clean end. */
	wr(sv[1], " \n\t ");
	shutdown(sv[1], SHUT_WR);
	CHECK_INT(conn_read(c, -1, &v, &eb), 0);
	CHECK_INT(conn_read(c, -1, &v, &eb), 0);
	conn_free(c);
	close(sv[0]);
	close(sv[1]);

	/* EOF inside a value. */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0]);
	wr(sv[1], "{\"a\":[1,2");
	close(sv[1]);
	CHECK_INT(conn_read(c, -1, &v, &eb), -EPROTO);
	CHECK_INT(conn_read(c, -1, &v, &eb), -EPROTO); /* sticky */
	conn_free(c);
	close(sv[0]);

	/* Not JSON: the framing is lost for good. (json-c 0.16 takes
	 * single-quoted strings even when strict: harmless, not tested.) */
	static const char *garbage[] = { "{\"a\":1,}", "}{",
					 "{\"a\" 1}", "trux", "{\"a\":01}" };
	for (size_t i = 0; i < sizeof(garbage) / sizeof(*garbage); i++) {
		CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
		c = conn_new(sv[0]);
		wr(sv[1], garbage[i]);
		wr(sv[1], "\n{\"ok\":1}\n");
		eb.msg[0] = 0;
		CHECK_INT(conn_read(c, 1000, &v, &eb), -EPROTO);
		CHECK(eb.msg[0] != 0);
		conn_free(c);
		close(sv[0]);
		close(sv[1]);
	}
}

struct dribble {
	int fd;
	const char *text;
	size_t chunk;
};

/* Writes text a few bytes at a time, so that reads see it in pieces. */
static void *dribble_main(void *arg)
{
	struct dribble *d = arg;
	size_t len = strlen(d->text);

	for (size_t off = 0; off < len; off += d->chunk) {
		size_t n = len - off < d->chunk ? len - off : d->chunk;

		if (write(d->fd, d->text + off, n) != (ssize_t)n)
			break;
		usleep(300);
	}
	close(d->fd);
	return NULL;
}

static void test_framing_split(void)
{
	struct json_object *v;
	struct errbuf eb = { "" };
	struct dribble d;
	struct conn *c;
	pthread_t t;
	int sv[2], count = 0, r;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0]);
	d.fd = sv[1];
	d.text = "{\"id\":1,\"result\":{\"Funcs\":[\"main.add\",\"main.fib\"]},"
		 "\"error\":null}\n{\"s\":\"a\\\"b\\u00e9\\n\",\"n\":-12345678901}"
		 "{\"big\":18446744073709551615}\n";
	d.chunk = 3;
	pthread_create(&t, NULL, dribble_main, &d);
	while ((r = conn_read(c, 5000, &v, &eb)) == 1) {
		count++;
		if (count == 1)
			CHECK(contains(v, "\"main.fib\""));
		if (count == 2) {
			struct json_object *s;

			json_object_object_get_ex(v, "s", &s);
			CHECK_STR(json_object_get_string(s), "a\"b\xc3\xa9\n");
		}
		if (count == 3) {
			uint64_t u = 0;

			CHECK_INT(wire_get_u64(v, "big", &u, &eb), 0);
			CHECK(u == UINT64_MAX);
		}
		json_object_put(v);
	}
	CHECK_INT(r, 0);
	CHECK_INT(count, 3);
	pthread_join(t, NULL);
	conn_free(c);
	close(sv[0]);
}

/* Many writers at once, on a non-blocking fd, values far larger than the
 * socket buffer: every value must arrive whole. */
#define WRITERS 4
#define PER_WRITER 100

struct writer {
	struct conn *c;
	int n;
	int failed; /* check.h's counters are not for threads */
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char *pad = xmalloc(20001);

	memset(pad, 'a' + w->n, 20000);
	pad[20000] = 0;
	for (int i = 0; i < PER_WRITER; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "w", json_object_new_int(w->n));
		json_object_object_add(o, "i", json_object_new_int(i));
		json_object_object_add(o, "pad", json_object_new_string(pad));
		if (conn_write(w->c, o, NULL))
			w->failed++;
		json_object_put(o);
	}
	free(pad);
	return NULL;
}

static void test_concurrent_writes(void)
{
	struct writer w[WRITERS];
	pthread_t t[WRITERS];
	struct conn *wc, *rc;
	int sv[2], next[WRITERS] = { 0 }, total = 0, bad = 0;
	struct json_object *v;
	struct errbuf eb;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	wc = conn_new(sv[1]);
	rc = conn_new(sv[0]);
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ wc, i, 0 };
		pthread_create(&t[i], NULL, writer_main, &w[i]);
	}
	while (total < WRITERS * PER_WRITER &&
	       conn_read(rc, 10000, &v, &eb) == 1) {
		int wn = -1, i = -1;
		struct json_object *pad;

		wire_get_int(v, "w", &wn, NULL);
		wire_get_int(v, "i", &i, NULL);
		/* Each writer's values in its order, each pad intact. */
		if (wn < 0 || wn >= WRITERS || next[wn] != i ||
		    !json_object_object_get_ex(v, "pad", &pad) ||
		    json_object_get_string_len(pad) != 20000 ||
		    json_object_get_string(pad)[19999] != 'a' + wn)
			bad++;
		else
			next[wn]++;
		total++;
		json_object_put(v);
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(t[i], NULL);
		CHECK_INT(w[i].failed, 0);
	}
	CHECK_INT(total, WRITERS * PER_WRITER);
	CHECK_INT(bad, 0);
	conn_free(wc);
	conn_free(rc);
	close(sv[0]);
	close(sv[1]);
}

static void test_pipe_and_peer_gone(void)
{
	struct json_object *o = json_object_new_object(), *v;
	struct errbuf eb;
	struct conn *wc, *rc;
	int p[2], sv[2];

	/* A pipe is not a socket: conn_write falls back to write(2). */
	CHECK(pipe(p) == 0);
	wc = conn_new(p[1]);
	rc = conn_new(p[0]);
	json_object_object_add(o, "x", json_object_new_string("y/z"));
	CHECK_INT(conn_write(wc, o, &eb), 0);
	CHECK_INT(conn_write(wc, o, &eb), 0);
	CHECK_INT(conn_read(rc, 1000, &v, &eb), 1);
	CHECK_STR(jstr(v), "{\"x\":\"y/z\"}");
	json_object_put(v);
	conn_free(wc);
	close(p[1]);
	CHECK_INT(conn_read(rc, 1000, &v, &eb), 1);
	json_object_put(v);
	CHECK_INT(conn_read(rc, 1000, &v, &eb), 0);
	conn_free(rc);
	close(p[0]);

	/* Writing to a closed socket: -EPIPE, and no SIGPIPE kills us. */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	close(sv[0]);
	wc = conn_new(sv[1]);
	CHECK_INT(conn_write(wc, o, &eb), -EPIPE);
	conn_free(wc);
	close(sv[1]);
	json_object_put(o);
}

/* ---- client against a fake server ---- */

struct fake {
	int fd;
	int mode;               /* 0: the happy session; 1: a hostile one */
	char seen_bp[4096];     /* the CreateBreakpoint params, as received */
	char seen_lf[256];      /* the ListFunctions params */
	bool seen_kill;
	int polls;
};

static void fake_send(struct conn *c, const char *fmt, uint64_t id)
{
	char buf[2048];
	struct json_object *o;

	snprintf(buf, sizeof(buf), fmt, (unsigned long long)id);
	o = json_tokener_parse(buf);
	if (!o) {
		/* Deliberate garbage goes out raw. */
		if (write(conn_fd(c), buf, strlen(buf)) < 0)
			return;
		return;
	}
	conn_write(c, o, NULL);
	json_object_put(o);
}

#define FAKE_EVENT "{\"addr\":4198400,\"file\":\"a.c\",\"line\":3,\"is_ret\":false," \
	"\"functionName\":\"add\",\"goroutineID\":-1,\"threadID\":99,"           \
	"\"inputParams\":[{\"name\":\"a\",\"type\":\"int\",\"kind\":2,"          \
	"\"value\":\"1\",\"flags\":8,\"children\":[]}]}"
#define FAKE_STATE(exited, status)                                             \
	"{\"Pid\":42,\"Running\":false,\"Recording\":false,\"Threads\":null,"   \
	"\"exited\":" #exited ",\"exitStatus\":" #status ",\"When\":\"\"}"

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	struct conn *c = conn_new(f->fd);
	struct json_object *v;
	uint64_t cont_id = 0;
	bool cont_pending = false;

	while (conn_read(c, -1, &v, NULL) == 1) {
		struct msg_request req;
		uint64_t id;
		const char *m;

		if (msg_request_parse(v, &req, NULL)) {
			json_object_put(v);
			break;
		}
		id = json_object_get_uint64(req.id);
		m = req.method;
		if (f->mode == 1) {
			if (!strcmp(m, "RPCServer.ProcessPid")) {
				/* An answer to nobody, then a mistyped one. */
				fake_send(c, "{\"id\":%llu,\"result\":{},\"error\":null}", 999);
				fake_send(c, "{\"id\":%llu,\"result\":{\"Pid\":\"x\"},\"error\":null}", id);
			} else if (!strcmp(m, "RPCServer.SetApiVersion")) {
				fake_send(c, "{\"id\":%llu,\"result\":null,\"error\":{\"code\":1}}", id);
			} else if (!strcmp(m, "RPCServer.Detach")) {
				fake_send(c, "}{ not JSON %llu", id);
			} else if (!strcmp(m, "RPCServer.State")) {
				/* Hang up without answering. */
				json_object_put(v);
				break;
			}
			json_object_put(v);
			continue;
		}
		if (!strcmp(m, "RPCServer.SetApiVersion")) {
			fake_send(c, "{\"id\":%llu,\"result\":{},\"error\":null}", id);
		} else if (!strcmp(m, "RPCServer.ListFunctions")) {
			snprintf(f->seen_lf, sizeof(f->seen_lf), "%s", jstr(req.params));
			fake_send(c, "{\"id\":%llu,\"result\":{\"Funcs\":[\"main.add\",\"main.fib\"]},\"error\":null}", id);
		} else if (!strcmp(m, "RPCServer.CreateBreakpoint")) {
			struct json_object *bp, *a;

			snprintf(f->seen_bp, sizeof(f->seen_bp), "%s", jstr(req.params));
			json_object_object_get_ex(req.params, "Breakpoint", &bp);
			json_object_object_add(bp, "id", json_object_new_int(1));
			a = msg_result_new(req.id, json_object_new_object());
			json_object_object_add(json_object_object_get(a, "result"),
					       "Breakpoint", json_object_get(bp));
			conn_write(c, a, NULL);
			json_object_put(a);
		} else if (!strcmp(m, "RPCServer.FunctionReturnLocations")) {
			char *fn = NULL;

			wire_get_str(req.params, "FnName", &fn, NULL);
			if (fn && !strcmp(fn, "main.add"))
				fake_send(c, "{\"id\":%llu,\"result\":{\"Addrs\":[4828951,18446744073709551615]},\"error\":null}", id);
			else
				fake_send(c, "{\"id\":%llu,\"result\":null,\"error\":\"could not find function nope\"}", id);
			free(fn);
		} else if (!strcmp(m, "RPCServer.Command")) {
			char *name = NULL;

			wire_get_str(req.params, "name", &name, NULL);
			if (name && !strcmp(name, "continue")) {
				cont_id = id;
				cont_pending = true;
			} else {
				fake_send(c, "{\"id\":%llu,\"result\":{\"State\":" FAKE_STATE(false, 0) "},\"error\":null}", id);
			}
			free(name);
		} else if (!strcmp(m, "RPCServer.GetBufferedTracepoints")) {
			f->polls++;
			if (f->polls == 2 && cont_pending) {
				/* The continue ends: its answer overtakes
				 * this poll's. */
				fake_send(c, "{\"id\":%llu,\"result\":{\"State\":" FAKE_STATE(true, 3) "},\"error\":null}", cont_id);
				cont_pending = false;
			}
			if (f->polls <= 2)
				fake_send(c, "{\"id\":%llu,\"result\":{\"TracepointResults\":[" FAKE_EVENT "],\"Lost\":3},\"error\":null}", id);
			else
				fake_send(c, "{\"id\":%llu,\"result\":{\"TracepointResults\":null},\"error\":null}", id);
		} else if (!strcmp(m, "RPCServer.State")) {
			fake_send(c, "{\"id\":%llu,\"result\":{\"State\":" FAKE_STATE(true, 3) "},\"error\":null}", id);
		} else if (!strcmp(m, "RPCServer.ProcessPid")) {
			fake_send(c, "{\"id\":%llu,\"result\":{\"Pid\":42},\"error\":null}", id);
		} else if (!strcmp(m, "RPCServer.Detach")) {
			wire_get_bool(req.params, "Kill", &f->seen_kill, NULL);
			fake_send(c, "{\"id\":%llu,\"result\":{},\"error\":null}", id);
		} else {
			fake_send(c, "{\"id\":%llu,\"result\":null,\"error\":\"rpc: can't find method\"}", id);
		}
		json_object_put(v);
	}
	conn_free(c);
	close(f->fd);
	return NULL;
}

static struct client *start_fake(struct fake *f, int mode, pthread_t *t)
{
	int sv[2];

	memset(f, 0, sizeof(*f));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return NULL;
	f->fd = sv[1];
	f->mode = mode;
	pthread_create(t, NULL, fake_main, f);
	return client_new(sv[0]);
}

static void test_client_session(void)
{
	struct api_tracepoint_result *evs;
	struct api_breakpoint req, out;
	struct api_state st;
	struct errbuf eb = { "" };
	struct fake f;
	struct client *c;
	pthread_t t;
	char **names;
	uint64_t *addrs, lost, cid;
	size_t n;
	int pid;

	c = start_fake(&f, 0, &t);
	CHECK(c != NULL);
	CHECK_INT(client_set_api_version(c, &eb), 0);

	CHECK_INT(client_list_functions(c, "^main\\.", 2, &names, &n, NULL, NULL, &eb), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(names[0], "main.add");
		CHECK_STR(names[1], "main.fib");
	}
	client_free_names(names, n);
	CHECK_STR(f.seen_lf, "{\"Filter\":\"^main\\\\.\",\"FollowCalls\":2}");

	memset(&req, 0, sizeof(req));
	req.function_name = "main.add";
	req.tracepoint = true;
	req.load_args = true;
	req.line = -1;
	req.stacktrace = 5;
	CHECK_INT(client_create_breakpoint(c, &req, &out, &eb), 0);
	CHECK_INT(out.id, 1);
	CHECK_STR(out.function_name, "main.add");
	CHECK(out.tracepoint && out.load_args && out.line == -1);
	api_breakpoint_release(&out);
	CHECK(strstr(f.seen_bp, "\"continue\":true") != NULL);
	CHECK(strstr(f.seen_bp, "\"LoadArgs\":{") != NULL);
	CHECK(strstr(f.seen_bp, "\"line\":-1") != NULL);
	CHECK(strstr(f.seen_bp, "\"LocExpr\":\"\"") != NULL);

	CHECK_INT(client_function_return_locations(c, "main.add", &addrs, &n,
						   &eb), 0);
	CHECK(n == 2 && addrs[0] == 4828951 && addrs[1] == UINT64_MAX);
	free(addrs);
	CHECK_INT(client_function_return_locations(c, "nope", &addrs, &n, &eb),
		  -EREMOTEIO);
	CHECK_STR(eb.msg, "could not find function nope");
	CHECK(addrs == NULL && n == 0);

	/* The trace loop: continue, poll, the continue's answer arrives out
	 * of order (stashed), drain. */
	CHECK_INT(client_continue_start(c, &cid, &eb), 0);
	CHECK_INT(client_command_result(c, cid, false, &st, &eb), -EAGAIN);
	CHECK_INT(client_get_buffered_tracepoints(c, 100, &evs, &n, &lost, &eb), 0);
	CHECK_INT(n, 1);
	CHECK_INT(lost, 3);
	if (n == 1) {
		CHECK_STR(evs[0].function_name, "add");
		CHECK_INT(evs[0].thread_id, 99);
		CHECK_INT(evs[0].goroutine_id, -1);
		CHECK(evs[0].ninput == 1 && evs[0].input_params[0].kind == VK_INT);
		CHECK_STR(evs[0].input_params[0].value, "1");
		api_tracepoint_result_release(&evs[0]);
	}
	free(evs);
	CHECK_INT(client_command_result(c, cid, false, &st, &eb), -EAGAIN);
	CHECK_INT(client_get_buffered_tracepoints(c, 100, &evs, &n, NULL, &eb), 0);
	CHECK_INT(n, 1);
	for (size_t i = 0; i < n; i++)
		api_tracepoint_result_release(&evs[i]);
	free(evs);
	CHECK_INT(client_command_result(c, cid, false, &st, &eb), 0);
	CHECK(st.exited && st.exit_status == 3 && st.pid == 42);
	/* Handed out once. */
	CHECK_INT(client_command_result(c, cid, false, &st, &eb), -EAGAIN);
	CHECK_INT(client_get_buffered_tracepoints(c, 0, &evs, &n, &lost, &eb), 0);
	CHECK(n == 0 && evs == NULL && lost == 0);

	CHECK_INT(client_halt(c, &st, &eb), 0);
	CHECK_INT(st.pid, 42);
	CHECK_INT(client_halt(c, NULL, &eb), 0);
	CHECK_INT(client_state(c, &st, &eb), 0);
	CHECK(st.pid == 42 && st.exited);
	CHECK_INT(client_process_pid(c, &pid, &eb), 0);
	CHECK_INT(pid, 42);
	CHECK_INT(client_detach(c, true, &eb), 0);
	CHECK(f.seen_kill);
	client_free(c);
	pthread_join(t, NULL);
}

static void test_client_hostile(void)
{
	struct api_state st;
	struct errbuf eb = { "" };
	struct fake f;
	struct client *c;
	pthread_t t;
	int pid = -1;

	c = start_fake(&f, 1, &t);
	/* An answer for an id never sent is dropped; a mistyped one is an
	 * error, not garbage in pid. */
	CHECK_INT(client_process_pid(c, &pid, &eb), -EINVAL);
	CHECK(strstr(eb.msg, "Pid") != NULL);
	/* A non-string error is still an error. */
	CHECK_INT(client_set_api_version(c, &eb), -EREMOTEIO);
	/* The server hangs up: an error, not a hang, now and after. */
	CHECK_INT(client_state(c, &st, &eb), -ECONNRESET);
	CHECK(client_state(c, &st, &eb) < 0);
	CHECK(client_detach(c, false, &eb) < 0);
	client_free(c);
	pthread_join(t, NULL);

	/* The server sends bytes that are not JSON: -EPROTO, for good. */
	c = start_fake(&f, 1, &t);
	CHECK_INT(client_detach(c, false, &eb), -EPROTO);
	CHECK_INT(client_state(c, &st, &eb), -EPROTO);
	client_free(c);
	pthread_join(t, NULL);
}

/* Inlined frames share their real frame's pc: a frame table keeps them
 * apart (by pc and inlined level), and an entry says whether the function
 * has results. */
static void test_inlined_frames(void)
{
	struct api_tracepoint_result r = {0}, *got = NULL;
	struct errbuf eb = { "" };
	struct json_object *o;
	size_t n = 0;
	uint64_t lost = 1;
	static const char *const names[] = { "leaf", "helper", "outer" };

	r.function_name = xstrdup("leaf");
	r.goroutine_id = -1;
	r.has_results = true;
	r.nstack = 3;
	r.stack = xcalloc(3, sizeof(struct api_frame));
	r.stack[0] = (struct api_frame){ 0x401000, xstrdup("leaf"),
					 xstrdup("/a.c"), 3, 0 };
	r.stack[1] = (struct api_frame){ 0x401234, xstrdup("helper"),
					 xstrdup("/a.c"), 8, 1 };
	r.stack[2] = (struct api_frame){ 0x401234, xstrdup("outer"),
					 xstrdup("/a.c"), 13, 0 };
	for (int table = 0; table < 2; table++) {
		o = wire_tracepoints_to_json(&r, 1, 0, table);
		CHECK(contains(o, "\"tinydbgHasResults\":true"));
		CHECK(contains(o, "\"tinydbgInlined\":1"));
		if (table)
			CHECK(contains(o, "\"tinydbgStack\":[0,1,2]"));
		o = reparse(o);
		CHECK_INT(wire_tracepoints_from_json(o, &got, &n, &lost, &eb), 0);
		CHECK(n == 1 && got[0].has_results && got[0].nstack == 3);
		for (size_t i = 0; n == 1 && i < got[0].nstack && i < 3; i++) {
			CHECK_STR(got[0].stack[i].function, names[i]);
			CHECK_INT(got[0].stack[i].inlined, i == 1);
			CHECK(got[0].stack[i].pc == r.stack[i].pc);
		}
		for (size_t i = 0; i < n; i++)
			api_tracepoint_result_release(&got[i]);
		free(got);
		got = NULL;
		json_object_put(o);
	}
	/* A return says nothing of it: its results are there. */
	r.is_ret = true;
	o = wire_tracepoint_result_to_json(&r);
	CHECK(!strstr(jstr(o), "tinydbgHasResults"));
	json_object_put(o);
	api_tracepoint_result_release(&r);
}

int main(void)
{
	test_breakpoint();
	test_delve_inputs();
	test_value();
	test_tracepoint_result();
	test_inlined_frames();
	test_as_sent();
	test_handoff();
	test_state();
	test_tolerance();
	test_msg();
	test_framing_basic();
	test_framing_split();
	test_concurrent_writes();
	test_pipe_and_peer_gone();
	test_client_session();
	test_client_hostile();
	return check_report();
}
