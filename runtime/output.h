/*
** runtime/output.h: rendering values the way bpftrace 0.17 prints them.
**
** Owners: fmt.c (printf, time, single values), mapout.c (maps at exit and
** print()); kernel symbols come from frontend/kernel.c. Inputs are bytes
** laid out as BPF wrote them plus the `const struct type *` sema assigned,
** and for maps the `struct image_map` codegen declared them with; nothing
** here reads the AST.
**
** Byte layouts (little-endian, as in BPF memory):
**   TY_INT     size bytes, ty->sign says signed
**   TY_STR     ty->size bytes, NUL-terminated unless full
**   TY_BUF     ty->size bytes
**   TY_INET    24 bytes: s64 af (AF_INET=2 / AF_INET6=10); u8 addr[16]
**              (AF_INET: the 4 address bytes first, network order)
**   TY_KSTACK  8 bytes: s64 stack id from bpf_get_stackid (negative: error)
**   TY_KSYM    8 bytes: kernel address
**   TY_PROBE   8 bytes: index into out_ctx.probe_names
**   TY_TUPLE   fields at ty->offsets[i], each of type ty->fields[i]
** Map storage: decided once by cg_map_layout (codegen/cg_layout.c),
** recorded in `struct image_map`, read from there here and in tests:
**   key:   the key type's bytes; maps without a key use one u64 0.
**          hist/lhist maps append a u64 bucket index to the key padded
**          to 8 bytes (without a key: the bucket index alone).
**   value: plain maps: the value type's bytes (BPF_MAP_TYPE_HASH)
**          count/sum: s64 per CPU (PERCPU_HASH), summed
**          min/max:   { s64 value; u64 set; } per CPU, merged over set ones
**          avg/stats: { s64 total; u64 count; } per CPU, summed
**          hist/lhist: u64 count per CPU per bucket key, summed
** Hist bucket index (as bpftrace 0.17): v < 0 -> 0; v == 0 -> 1;
**   else 2 + min(floor(log2(v)), 31): 0.17's log2 shifts by 16,8,4,2,1
**   only, so every v >= 2^31 lands in bucket 33, "[2G, 4G)".
**   lhist: v < min -> 0; v >= max -> (max-min)/step + 1; else
**   (v-min)/step + 1 (so v in the last partial step shares the ">= max"
**   bucket when step does not divide max-min).
*/
#ifndef MINIBT_OUTPUT_H
#define MINIBT_OUTPUT_H

#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "codegen.h"

enum out_format { OUT_TEXT, OUT_JSON };

struct out_ctx {
	FILE *out;
	enum out_format format;
	struct kernel *kernel;   /* ksym lookups (kallsyms read on first need) */
	const char *const *probe_names;
	int nprobe_names;
	/* read the frames of a kernel stack id; returns frame count or -1 */
	int (*stack)(void *arg, int64_t id, uint64_t *ips, int max);
	void *stack_arg;
	int ncpus; /* possible CPUs, for per-CPU map values */
	struct usyms *usyms; /* user symbols (usym, ustack), made on first need */
	bool boot_set;     /* strftime(): CLOCK_REALTIME - CLOCK_MONOTONIC, */
	int64_t boot_ns;   /* read when the first timestamp is printed */
	/* SIGINT/TERM/HUP arrive here (a non-blocking signalfd, > 0 when
	 * set); a long map walk or print looks at it and stops early */
	int sigfd;
	bool stop;  /* a signal was read: end what is being done */
};

/* has a signal asked us to stop? (latched in c->stop) */
static inline bool out_stopped(struct out_ctx *c)
{
	struct signalfd_siginfo si;

	if (!c)
		return false;
	/* SIGUSR1 (print the maps) does not stop anything */
	if (!c->stop && c->sigfd > 0 && read(c->sigfd, &si, sizeof(si)) == sizeof(si) &&
	    si.ssi_signo != SIGUSR1)
		c->stop = true;
	return c->stop;
}

/* printf(): render ev (kind EV_PRINTF) from the payload bytes */
void fmt_printf(struct out_ctx *c, const struct event *ev, const uint8_t *payload);
/* system(fmt, ...): run the formatted command, print its output */
void fmt_system(struct out_ctx *c, const struct event *ev, const uint8_t *payload);
/* join(argv, delim): the strings read, joined, and a newline */
void fmt_join(struct out_ctx *c, const struct event *ev, const uint8_t *payload);
/* cat(fmt, ...): print the file at the formatted path */
void fmt_cat(struct out_ctx *c, const struct event *ev, const uint8_t *payload);
/* time(fmt): strftime at the moment of printing */
void fmt_time(struct out_ctx *c, const struct event *ev);
/* one value as bpftrace prints it as a map value and in print(value);
 * JSON form (quoted strings, tuples as arrays) when c->format is OUT_JSON */
void fmt_value(struct out_ctx *c, FILE *out, const struct type *t, const uint8_t *data);
/* one map key field, always text (kstack indented 4, not 8) */
void fmt_key(struct out_ctx *c, FILE *out, const struct type *t, const uint8_t *data);
/* print(value) event: the value and a newline, or {"type": "value", ...} */
void fmt_printv(struct out_ctx *c, const struct type *t, const uint8_t *data);
/* kernel stack text as bpftrace prints it: "\n" then one line a frame,
 * indent spaces + "func+off" (perf mode: "\t<hex addr> func+off");
 * nothing for a negative or unreadable id. indent: 8 values, 4 keys */
void fmt_kstack(struct out_ctx *c, FILE *out, const struct type *t, int64_t id,
		int indent);
/* s[0..n) as a JSON string body, escaped as bpftrace 0.17 does */
void fmt_json_escape(FILE *out, const char *s, size_t n);

/* print one map (print(@m) and at exit); fd is the BPF map's fd */
void mapout_print(struct out_ctx *c, const struct image_map *m, int fd,
		  int64_t top, int64_t div);
/* At exit: "\n\n" (printed always, also in JSON mode and with no maps),
 * then every map of maps[nmaps] in strcmp order of its name, each as mapout_print
 * with top = div = 0. fds[m->id] < 0: skipped. Blank lines come from
 * mapout_print alone: text mode ends each map with "\n", hist/lhist maps
 * put a blank line after every histogram, avg/stats maps end with
 * "\n\n"; an empty map prints just those ("\n", or "\n\n" for
 * avg/stats). JSON mode prints nothing for an empty map. */
void mapout_print_all(struct out_ctx *c, const struct image_map *maps, int nmaps,
		      const int *fds);
/* the same without the leading "\n\n": what SIGUSR1 prints while tracing */
void mapout_print_maps(struct out_ctx *c, const struct image_map *maps, int nmaps,
		       const int *fds);
/* printmap(@m, fmt, top): rows by value, largest first (then by key), the
 * first top when top > 0; each printed by fmt_printf(ev) with the key's
 * fields then the value (count/sum/min/max/avg as int64) as arguments */
void mapout_printmap(struct out_ctx *c, const struct image_map *m, int fd,
		     const struct event *ev);
/* zero all values / delete all keys of a map (clear(), zero()) */
void mapout_clear(struct out_ctx *c, const struct image_map *m, int fd);
void mapout_zero(struct out_ctx *c, const struct image_map *m, int fd);

#endif
