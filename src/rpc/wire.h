/* wire: the api structs in the JSON shapes of Delve's service/api, and back.
 *
 * Encoders return a new json_object (the caller owns it); they write every
 * field Delve always writes, with zero values for what we do not have, so
 * that Delve's own clients decode our answers, and omit what Delve omits
 * when empty (`omitempty`).
 *
 * Decoders read what a peer sent, which may be anything: a missing field or
 * a JSON null leaves the zero value; unknown fields are ignored; a field of
 * the wrong JSON type (or an integer out of range) is an error, -EINVAL with
 * a message in the manner of Go's encoding/json, never a crash. A NULL
 * object decodes as all fields missing. On error the output holds nothing
 * to free. Outputs are zeroed first; the caller releases them with the
 * matching _release of api.h / value.h. */
#ifndef TINYDBG_RPC_WIRE_H
#define TINYDBG_RPC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "api/api.h"
#include "base/errbuf.h"
#include "value/value.h"

/* api.Breakpoint. load_args travels as Delve's "LoadArgs": an object
 * (Delve's ShortLoadConfig) when set, null when not. */
struct json_object *wire_breakpoint_to_json(const struct api_breakpoint *bp);
int wire_breakpoint_from_json(struct json_object *o, struct api_breakpoint *bp,
			      struct errbuf *eb);

/* api.Variable. A NULL .value travels as "" and comes back NULL, except for
 * strings, whose empty text is a value. Delve's "flags" is a uint16, so our
 * flags from bit 16 up (VF_C) travel apart, in "tinydbgFlags". */
struct json_object *wire_value_to_json(const struct value *v);
int wire_value_from_json(struct json_object *o, struct value *v,
			 struct errbuf *eb);

/* api.TracepointResult, plus ours: "threadID", "timeNs", "stacktrace". */
struct json_object *
wire_tracepoint_result_to_json(const struct api_tracepoint_result *r);
int wire_tracepoint_result_from_json(struct json_object *o,
				     struct api_tracepoint_result *r,
				     struct errbuf *eb);

/* api.DebuggerState, plus ours: "exitSignal". */
struct json_object *wire_state_to_json(const struct api_state *st);
int wire_state_from_json(struct json_object *o, struct api_state *st,
			 struct errbuf *eb);

/* Field readers, for the request and answer objects around these types.
 * Same rules as the decoders: a missing or null field (or a NULL o) leaves
 * *out as it was and returns 0. */
int wire_get_bool(struct json_object *o, const char *key, bool *out,
		  struct errbuf *eb);
int wire_get_int(struct json_object *o, const char *key, int *out,
		 struct errbuf *eb);
int wire_get_i64(struct json_object *o, const char *key, int64_t *out,
		 struct errbuf *eb);
int wire_get_u64(struct json_object *o, const char *key, uint64_t *out,
		 struct errbuf *eb);
/* Replaces *out with a malloc'd copy (the old one is freed). */
int wire_get_str(struct json_object *o, const char *key, char **out,
		 struct errbuf *eb);
/* *out borrows from o: NULL when missing or null, else a JSON object. */
int wire_get_obj(struct json_object *o, const char *key,
		 struct json_object **out, struct errbuf *eb);
/* *out: malloc'd array (NULL when empty), *n its length. */
int wire_get_u64_array(struct json_object *o, const char *key,
		       uint64_t **out, size_t *n, struct errbuf *eb);
/* *out: malloc'd array of malloc'd strings (NULL when empty). */
int wire_get_str_array(struct json_object *o, const char *key, char ***out,
		       size_t *n, struct errbuf *eb);

/* Small builders: a NULL string becomes "". */
struct json_object *wire_str(const char *s);
struct json_object *wire_u64_array(const uint64_t *a, size_t n);
struct json_object *wire_str_array(char *const *a, size_t n);

/* GetBufferedTracepoints' answer: its events and how many were lost; with
 * frame_table (the request's "tinydbgFrameTable"), the batch's frames
 * once, the events naming theirs by index. The decoder takes both forms. */
struct json_object *wire_tracepoints_to_json(
	const struct api_tracepoint_result *evs, size_t n, uint64_t lost,
	bool frame_table);
/* Ours, in GetBufferedTracepoints' result: the processes handed over
 * (--follow-forks), "tinydbgForked": [pid, ...]. */
void wire_add_forked(struct json_object *o, const int *pids, size_t n);
/* *pids: malloc'd (NULL when none or absent). */
int wire_get_forked(struct json_object *o, int **pids, size_t *n,
		    struct errbuf *eb);

int wire_tracepoints_from_json(struct json_object *o,
			       struct api_tracepoint_result **out, size_t *n,
			       uint64_t *lost, struct errbuf *eb);

/* Ours, for a client in the server's process (rpc/handoff.h): in
 * GetBufferedTracepoints' result, "tinydbgHandoff": seq names the batch
 * passed as structs (no "TracepointResults" then). wire_get_handoff sets
 * *seq to 0 when there is none. */
void wire_add_handoff(struct json_object *o, uint64_t seq);
int wire_get_handoff(struct json_object *o, uint64_t *seq, struct errbuf *eb);

/* Makes r exactly what wire_tracepoints_to_json and _from_json would make
 * of it (a NULL file, name or type becomes "", an empty function name
 * NULL, an empty scalar text or unreadable note NULL, has_results only on
 * entries), so that events handed over as structs print as the JSON ones
 * do. Allocates only to turn a NULL into "". */
void wire_tracepoint_result_as_sent(struct api_tracepoint_result *r);

/* Delve's server stops at each tracepoint hit: the hits of a Command's
 * State (its Threads stopped on a breakpoint, with BreakpointInfo's
 * arguments or the thread's ReturnValues) as trace events, timed now.
 * *out is malloc'd (NULL when none); returns the count. */
size_t wire_state_hits_from_json(struct json_object *state,
				 struct api_tracepoint_result **out,
				 struct errbuf *eb);

#endif
