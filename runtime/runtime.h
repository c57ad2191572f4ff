/*
** runtime/runtime.h: the session — everything one run of minibt owns.
**
** main.c parses the command line into `struct options`, session.c
** compiles (frontend + codegen) and loads the image with libbpf,
** attach.c creates the links, events.c polls the ring buffer and runs
** the lifecycle (BEGIN, events, exit, END, maps). main frees the session
** once, whatever happened: the ladder in session_free() destroys links
** in reverse, so no probe is left behind on any error path.
*/
#ifndef MINIBT_RUNTIME_H
#define MINIBT_RUNTIME_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include "ast.h"
#include "codegen.h"
#include "output.h"

struct session;
struct bpf_object;
struct bpf_program;
struct bpf_link;
struct ring_buffer;

enum dump_mode { DUMP_NONE = 0, DUMP_AST = 1, DUMP_IR = 2, DUMP_BPF = 4 };

struct options {
	const char *prog_text;  /* -e */
	const char *prog_file;  /* FILE or "-" */
	char **pos;             /* positional parameters */
	int npos;
	char **named;           /* named parameters after the script: "name[=v]" */
	int nnamed;
	int dump;               /* DUMP_* bits */
	bool dry_run;
	bool verbose;
	bool list;              /* -l */
	const char *list_pattern;
	const char *out_file;   /* -o */
	enum out_format format; /* -f */
	int buffering;          /* -B: 0 default, 1 line, 2 full, 3 none */
	const char *cmd;        /* -c */
	pid_t pid;              /* -p */
	bool no_warnings;
	bool unsafe;            /* --unsafe */
	bool quiet;             /* -q: no "Attaching N probes..." line */
	const char *emit_elf;   /* --emit-elf FILE: write the BPF object, do not run */
};

struct plan;  /* attach.c: the expanded targets of one attach point */
struct names; /* attach.c: a list of target names */

/* attach.c: the runtime's half of a probe kind's descriptor (the front
 * end's is probe_kinds[]), indexed by enum probe_type */
struct lister;
struct attach_kind {
	/* the concrete targets of an attach point ("func", "cat:name") */
	int (*expand)(struct session *s, const struct attach_point *ap, struct names *out);
	/* -l: print the matching names (attach.c: struct lister); 0, -1
	 * when the kernel has no list, -2 when it has none of this kind,
	 * 1 for a kind with nothing to list */
	int (*list)(struct kernel *k, enum probe_type t, const struct lister *l);
	/* links for the targets (BEGIN/END: none, run_special runs them) */
	int (*attach)(struct session *s, const struct attach_point *ap, struct bpf_program *prog,
		      const struct names *targets);
	/* the kernel runs this kind's handlers on one target newest first
	 * (kprobes: an aggregated kprobe's list takes a new one at its head;
	 * tracepoints and kretprobe returns run oldest first), so its attach
	 * points are attached last to first: probes run in script order */
	bool newest_first;
};
extern const struct attach_kind attach_kinds[PROBE__COUNT];

struct attached {
	struct bpf_link *link;
	int perf_fd; /* interval/profile: the perf event, closed after the link */
};

struct session {
	const struct options *opt;
	struct arena *arena;
	struct source src;
	char *text;
	uint64_t max_probes;   /* BPFTRACE_MAX_PROBES: attach no more targets (512) */
	struct bpf_link *iter_link;        /* iter: its link (attach.c), run by events_run */
	struct perf_buffer *skb_pb;        /* skboutput(): packets (events.c) */
	FILE **pcaps;                      /* by event id: its pcap file, or NULL */
	int64_t boot_wall_ns;              /* CLOCK_REALTIME - CLOCK_BOOTTIME: pcap times */
	const struct attach_point *iter_ap;
	struct pp_result pp;
	struct diags diags;
	struct diags missing; /* attach points with no target (attach.c) */
	struct program *prog;
	struct kernel *kernel; /* facts about the running kernel, read once */
	struct btf_ctx *btf;
	struct image img;
	struct bpf_object *obj;
	struct attached *links;
	int nlinks, caplinks;
	struct plan *plans;
	int nplans;
	struct ring_buffer *rb;
	struct out_ctx out;
	FILE *outf;
	char **probe_names; /* static (per probe) then dynamic (per target) */
	int nprobe_names, capprobe_names;
	int batch;          /* records handled in this events_drain */
	int64_t signal_ms;  /* CLOCK_MONOTONIC ms when a signal ended the tracing */
	bool skipping;      /* records are read, not printed: counted as lost */
	uint64_t skipped;
	int sigfd;
	pid_t child;
	int child_gate;     /* -c: write a byte to let the child exec; -1 */
	int child_pidfd;
	bool exiting;
	bool end_done;
	int exit_code;
	char *libbpf_log;   /* captured libbpf messages (verifier log) */
	size_t libbpf_log_len;
};

/* session.c */
int session_compile(struct session *s);   /* read, pp, parse, sema, codegen */
int session_load(struct session *s);      /* libbpf open + load */
void session_free(struct session *s);
int map_fd(struct session *s, int map_id);

/* attach.c */
int attach_all(struct session *s);        /* everything but BEGIN/END */
int run_special(struct session *s, enum probe_type t); /* BEGIN / END via test_run */
int run_iter(struct session *s);          /* iter: read the iterator to its end, or pin it */
int count_targets(struct session *s);
void detach_all(struct session *s);
int list_probes(struct kernel *k, const char *pattern, bool verbose, FILE *out);
int add_probe_name(struct session *s, const char *name); /* index for `probe` */

/* events.c */
int events_run(struct session *s);        /* the lifecycle after loading */
#define EV_BATCH 4096
int events_drain(struct session *s);       /* one batch; 1: more may be left */
void events_skb_close(struct session *s);  /* skboutput(): the last packets, the files closed */

#endif
