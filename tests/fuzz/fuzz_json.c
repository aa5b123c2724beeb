/* libFuzzer harness: the JSON-RPC layer. The bytes are what a peer writes
 * on the connection: they go through a pipe into conn_read() in pieces of
 * varying size (so values split across reads), and every value read is
 * taken apart the ways the server and the client do (msg_request_parse,
 * msg_response_parse, the field readers), then every object in it is given
 * to every wire_*_from_json decoder. What decodes is encoded again and must
 * be a fixed point: encode(decode(encode(decode(x)))) == encode(decode(x)).
 * Decoded values are printed (value_format) as the frontend prints them.
 * Seeds: the request and answer lines of tests/rpc/ and the wire
 * objects of tests/fuzz/seeds/json/ (tests/fuzz/fuzz.mk). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "api/api.h"
#include "base/strbuf.h"
#include "rpc/conn.h"
#include "rpc/msg.h"
#include "rpc/wire.h"
#include "value/value.h"

static volatile size_t sink;
static int devnull = -1;

static const char *const int_keys[] = {
	"APIVersion", "FollowCalls", "WaitMs", "Pid", "id", "line",
	"stacktrace", "TraceFollowCalls", "exitStatus", "exitSignal", "kind",
};
static const char *const bool_keys[] = {
	"NonBlocking", "Kill", "Running", "exited", "NoDebugInfo", "continue",
	"traceReturn", "is_ret", "IsMulticlient",
};
static const char *const str_keys[] = {
	"Filter", "LocExpr", "FnName", "name", "DelveVersion", "file",
	"functionName", "RootFuncName", "value", "type",
};
static const char *const obj_keys[] = {
	"Breakpoint", "State", "LoadArgs", "function", "result",
};

/* A JSON text of o, or "" (the caller frees). */
static char *text(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	return strdup(s ? s : "");
}

/* enc(x) then decode and enc again must give the same text. */
#define FIXPOINT(T, from, to, release, x)                                    \
	do {                                                                 \
		struct json_object *e1 = to(x), *e2;                         \
		T y;                                                         \
		char *t1 = text(e1), *t2;                                    \
		if (from(e1, &y, NULL) != 0) {                               \
			fprintf(stderr, "%s does not decode its own %s\n",   \
				#from, t1);                                  \
			abort();                                             \
		}                                                            \
		e2 = to(&y);                                                 \
		t2 = text(e2);                                               \
		if (strcmp(t1, t2)) {                                        \
			fprintf(stderr, "%s/%s not a fixed point:\n%s\n%s\n", \
				#from, #to, t1, t2);                         \
			abort();                                             \
		}                                                            \
		free(t1);                                                    \
		free(t2);                                                    \
		json_object_put(e1);                                         \
		json_object_put(e2);                                         \
		release(&y);                                                 \
	} while (0)

static void print_value(const struct value *v)
{
	struct strbuf sb;

	strbuf_init(&sb);
	value_format(v, &sb);
	sink += strlen(strbuf_str(&sb));
	strbuf_release(&sb);
}

static void bp_release(struct api_breakpoint *bp)
{
	api_breakpoint_release(bp);
}
static void state_release(struct api_state *st)
{
	(void)st;
}

/* Every decoder, and every field reader, on one object (or on anything:
 * the decoders must refuse what is not an object, never crash). */
static void decode_all(struct json_object *o)
{
	struct errbuf eb;
	struct api_breakpoint bp;
	struct value v;
	struct api_tracepoint_result r;
	struct api_state st;

	if (wire_breakpoint_from_json(o, &bp, &eb) == 0) {
		FIXPOINT(struct api_breakpoint, wire_breakpoint_from_json,
			 wire_breakpoint_to_json, bp_release, &bp);
		api_breakpoint_release(&bp);
	}
	if (wire_value_from_json(o, &v, &eb) == 0) {
		print_value(&v);
		FIXPOINT(struct value, wire_value_from_json,
			 wire_value_to_json, value_release, &v);
		value_release(&v);
	}
	if (wire_tracepoint_result_from_json(o, &r, &eb) == 0) {
		for (size_t i = 0; i < r.ninput; i++)
			print_value(&r.input_params[i]);
		for (size_t i = 0; i < r.nreturn; i++)
			print_value(&r.return_params[i]);
		FIXPOINT(struct api_tracepoint_result,
			 wire_tracepoint_result_from_json,
			 wire_tracepoint_result_to_json,
			 api_tracepoint_result_release, &r);
		api_tracepoint_result_release(&r);
	}
	if (wire_state_from_json(o, &st, &eb) == 0)
		FIXPOINT(struct api_state, wire_state_from_json,
			 wire_state_to_json, state_release, &st);
	/* A GetBufferedTracepoints answer, frame table or not. */
	{
		struct api_tracepoint_result *rs = NULL;
		uint64_t lost = 0;
		size_t n = 0;

		if (wire_tracepoints_from_json(o, &rs, &n, &lost, &eb) == 0) {
			for (size_t i = 0; i < n; i++) {
				sink += rs[i].nstack;
				api_tracepoint_result_release(&rs[i]);
			}
			free(rs);
		}
	}

	for (size_t i = 0; i < sizeof(int_keys) / sizeof(*int_keys); i++) {
		int x = 0;
		int64_t y = 0;
		uint64_t u = 0;

		wire_get_int(o, int_keys[i], &x, &eb);
		wire_get_i64(o, int_keys[i], &y, &eb);
		wire_get_u64(o, int_keys[i], &u, &eb);
		sink += (size_t)x + (size_t)y + u;
	}
	for (size_t i = 0; i < sizeof(bool_keys) / sizeof(*bool_keys); i++) {
		bool b = false;

		wire_get_bool(o, bool_keys[i], &b, &eb);
		sink += b;
	}
	for (size_t i = 0; i < sizeof(str_keys) / sizeof(*str_keys); i++) {
		char *s = NULL;

		wire_get_str(o, str_keys[i], &s, &eb);
		sink += s ? strlen(s) : 0;
		free(s);
	}
	for (size_t i = 0; i < sizeof(obj_keys) / sizeof(*obj_keys); i++) {
		struct json_object *p = NULL;

		if (wire_get_obj(o, obj_keys[i], &p, &eb) == 0 && p &&
		    !json_object_is_type(p, json_type_object))
			abort(); /* wire.h: a JSON object or NULL */
	}
	{
		uint64_t *a = NULL;
		char **s = NULL;
		size_t n = 0;

		if (wire_get_u64_array(o, "Addrs", &a, &n, &eb) == 0)
			sink += n;
		free(a);
		a = NULL;
		if (wire_get_u64_array(o, "addrs", &a, &n, &eb) == 0)
			sink += n;
		free(a);
		n = 0;
		if (wire_get_str_array(o, "Funcs", &s, &n, &eb) == 0) {
			for (size_t i = 0; i < n; i++) {
				sink += strlen(s[i]);
				free(s[i]);
			}
		}
		free(s);
	}
	sink += strnlen(eb.msg, sizeof(eb.msg));
}

/* decode_all on o and on everything inside it. */
static void walk(struct json_object *o, int depth)
{
	decode_all(o);
	if (depth > 200)
		abort(); /* deeper than the tokener allows */
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, val) {
			(void)key;
			walk(val, depth + 1);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			walk(json_object_array_get_idx(o, i), depth + 1);
	}
}

/* One value read: as a request (the server), as an answer (the client). */
static void handle(struct conn *out, struct json_object *v)
{
	struct msg_request req;
	struct msg_response resp;
	struct errbuf eb;
	struct json_object *a;

	if (msg_request_parse(v, &req, &eb) == 0 || req.has_id) {
		sink += req.method ? strlen(req.method) : 0;
		a = req.method ? msg_result_new(req.id, NULL)
			       : msg_error_new(req.id, eb.msg);
		if (conn_write(out, a, &eb) != 0)
			abort(); /* /dev/null takes anything */
		json_object_put(a);
	}
	if (msg_response_parse(v, &resp, &eb) == 0) {
		sink += resp.id + (resp.error ? strlen(resp.error) : 0);
		decode_all(resp.result);
	}
	walk(v, 0);
}

/* Chunk sizes for the pipe: a value split at every kind of place. */
static const size_t chunks[] = { 1, 7, 64, 3, 509, 2, 4093 };

/* Reads every whole value the pipe holds now. Returns 0 to go on, 1 when
 * the stream has ended (cleanly or not). */
static int drain(struct conn *c, struct conn *out, int timeout_ms)
{
	for (;;) {
		struct json_object *v = NULL;
		struct errbuf eb;
		int r = conn_read(c, timeout_ms, &v, &eb);

		if (r == 1) {
			handle(out, v);
			json_object_put(v);
			continue;
		}
		if (v)
			abort(); /* conn.h: no value unless 1 */
		if (r == -ETIMEDOUT && timeout_ms == 0)
			return 0;
		if (r == -EPROTO || r == -EMSGSIZE) {
			/* Sticky: the stream cannot be resynchronised. */
			if (conn_read(c, 0, &v, NULL) != r || v)
				abort();
		} else if (r != 0) {
			fprintf(stderr, "conn_read: %d %s\n", r, eb.msg);
			abort();
		}
		return 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int p[2];
	struct conn *c, *out;
	size_t off = 0, k = 0;
	int done = 0;

	if (devnull < 0 && (devnull = open("/dev/null", O_WRONLY)) < 0)
		abort();
	if (pipe2(p, O_CLOEXEC) != 0)
		abort();
	c = conn_new(p[0]);
	out = conn_new(devnull);
	while (off < size && !done) {
		size_t n = chunks[k++ % (sizeof(chunks) / sizeof(*chunks))];

		if (n > size - off)
			n = size - off;
		/* At most 4093 bytes, and the pipe is drained after each. */
		if (write(p[1], data + off, n) != (ssize_t)n)
			abort();
		off += n;
		done = drain(c, out, 0);
	}
	close(p[1]);
	if (!done)
		drain(c, out, -1);
	conn_free(out);
	conn_free(c);
	close(p[0]);
	return 0;
}
