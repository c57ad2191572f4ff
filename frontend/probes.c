/*
** frontend/probes.c: the probe kinds and the probe headers.
**
** probe_kinds[] holds one descriptor per kind (ply's provider/): names,
** the attach-point grammar, how wildcards expand, which builtins mean
** something in it; runtime/attach.c attach_kinds[] is the other half.
** Attach points are parsed ("kprobe:tcp_*", "interval:ms:10",
** "tracepoint:sock:inet_sock_set_state?"), checked against this kernel
** (sema_opts.kernel), tracepoint probes that read args are split one per
** tracepoint, and probes this kernel lacks move to program->skipped.
** sema.c then types the bodies.
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include "ast.h"

struct hdr {
	struct program *p;
	struct arena *a;
	struct diags *d;
	struct btf_ctx *btf;
	const struct sema_opts *o;
};

/* bpftrace providers minibt does not have, and what to use instead */
static const struct { const char *name, *hint; } UNSUPPORTED_PROVIDERS[] = {
	{ "asyncwatchpoint", "watch an address: watchpoint:ADDR:LEN:MODE" },
};

/* the location of one ':'-separated part of an attach point (for carets) */
static struct loc part_loc(const struct attach_point *ap, const char *raw, const char *part)
{
	struct loc l = ap->loc;
	if (l.line != l.end_line)
		return l;
	l.col += (int)(part - raw);
	l.end_col = l.col + (int)(strlen(part) ? strlen(part) : 1);
	return l;
}

/* an attach point cut at its ':' (parts[0] is the provider), for a kind's parse */
struct ap_parse {
	struct hdr *s;
	struct attach_point *ap;
	char *raw;   /* ap->raw without a trailing '?', cut at the ':' */
	char *parts[4];
	int np;
	const char *prov; /* as written: the name or an alias */
};

/* BEGIN, END: nothing after the name */
static void parse_none(struct ap_parse *ps)
{
	if (ps->np != 1)
		diag_error(ps->s->d, &ps->ap->loc, arena_printf(ps->s->a, "write just %s", ps->prov),
			   "%s probe type requires 0 arguments", ps->prov);
}

/*
** Kernel functions a kretprobe can lock the machine up on, and which the
** kernel does not mark notrace: bpftrace 0.17's list (attached_probe.cpp),
** refused with its words.
*/
static const char *const banned_kretprobes[] = {
	"_raw_spin_lock", "_raw_spin_lock_irqsave", "_raw_spin_unlock_irqrestore",
	"queued_spin_lock_slowpath", NULL,
};

bool probe_banned(enum probe_type t, const char *func)
{
	for (const char *const *b = probe_kinds[t].banned; b && *b; b++)
		if (!strcmp(*b, func))
			return true;
	return false;
}

/* kprobe:FUNC, kretprobe:FUNC (globs) */
static void parse_func(struct ap_parse *ps)
{
	struct hdr *s = ps->s;
	struct attach_point *ap = ps->ap;
	int np = ps->np;
	char **parts = ps->parts;
	if (np == 3) {
		diag_error(s->d, &ap->loc, "write kprobe:FUNCTION; module BTF is looked up by function name",
			   "not supported by minibt: kprobe with a module name");
	} else if (np != 2 || !*parts[1]) {
		diag_error(s->d, &ap->loc, "write kprobe:FUNCTION, e.g. kprobe:do_nanosleep",
			   "%s probe type requires 1 argument", probe_type_names[ap->type]);
	}
	ap->func = np >= 2 ? parts[np - 1] : "";
	char *plus = strchr(ap->func, '+');
	if (plus && np == 2) { /* kprobe:FUNC+OFFSET */
		uint64_t v = 0;
		const char *ihint;
		char ibuf[96];
		*plus = 0;
		const char *ierr = lex_parse_int(plus + 1, strlen(plus + 1), &v, &ihint, ibuf, sizeof(ibuf));
		struct loc ol = part_loc(ap, ps->raw, plus + 1);
		if (ierr || !plus[1])
			diag_error(s->d, &ol, ierr && plus[1] ? ihint : "write kprobe:FUNCTION+OFFSET, e.g. kprobe:vfs_read+0x10",
				   "%s: invalid offset '%s'", probe_type_names[ap->type], plus + 1);
		else if (ap->type == PROBE_KRETPROBE)
			diag_error(s->d, &ap->loc, "use kprobe:FUNCTION+OFFSET, or kretprobe:FUNCTION",
				   "kretprobes cannot be attached at a function offset");
		else if (has_wildcard(ap->func))
			diag_error(s->d, &ap->loc, "name one function: kprobe:vfs_read+0x10",
				   "an offset needs one function, not a wildcard");
		ap->offset = v;
		uint64_t size;
		if (!ierr && v && s->o->kernel && kernel_func_size(s->o->kernel, ap->func, &size) && v >= size)
			diag_error(s->d, &ol, NULL, "Offset outside the function bounds ('%s' size is %llu)", ap->func,
				   (unsigned long long)size);
	}
	if (probe_banned(ap->type, ap->func))
		diag_error(s->d, &ap->loc, arena_printf(s->a, "trace kprobe:%s, or a caller of it, instead", ap->func),
			   "%s:%s can't be used as it might lock up your system.", probe_type_names[ap->type],
			   ap->func);
}

/* kfunc[:MODULE]:FUNC, kretfunc[:MODULE]:FUNC (globs) */
static void parse_kfunc(struct ap_parse *ps)
{
	struct attach_point *ap = ps->ap;
	if ((ps->np != 2 && ps->np != 3) || !*ps->parts[ps->np - 1] || (ps->np == 3 && !*ps->parts[1])) {
		diag_error(ps->s->d, &ap->loc, arena_printf(ps->s->a, "write %s:FUNCTION or %s:MODULE:FUNCTION, e.g. %s:vfs_read",
							    probe_type_names[ap->type], probe_type_names[ap->type],
							    probe_type_names[ap->type]),
			   "%s probe type requires 1 or 2 arguments", probe_type_names[ap->type]);
		ap->func = "";
		ap->target = "";
		return;
	}
	ap->target = ps->np == 3 ? ps->parts[1] : "";
	ap->func = ps->parts[ps->np - 1];
}

/*
** uprobe:BINARY:FUNC, uprobe:BINARY:FUNC+OFFSET, uprobe:BINARY:0xADDR,
** uretprobe:BINARY:FUNC; BINARY a path, a program on PATH or a library
** name (libc), found when attaching; FUNC may be a glob.
*/
static void parse_uprobe(struct ap_parse *ps)
{
	struct hdr *s = ps->s;
	struct attach_point *ap = ps->ap;
	const char *kind = probe_type_names[ap->type];
	ap->target = "";
	ap->func = "";
	if (ps->np != 3 || !*ps->parts[1] || !*ps->parts[2]) {
		diag_error(s->d, &ap->loc, arena_printf(s->a, "write %s:BINARY:FUNCTION, e.g. %s:/bin/bash:readline", kind, kind),
			   "%s probe type requires 2 arguments", kind);
		return;
	}
	ap->target = ps->parts[1];
	ap->func = ps->parts[2];
	char *plus = strchr(ap->func, '+');
	uint64_t v = 0;
	const char *ihint;
	char ibuf[96];
	if (ap->func[0] >= '0' && ap->func[0] <= '9') { /* an address */
		const char *ierr = lex_parse_int(ap->func, strlen(ap->func), &v, &ihint, ibuf, sizeof(ibuf));
		if (ierr)
			diag_error(s->d, &ap->loc, ihint, "%s: invalid address '%s'", kind, ap->func);
		ap->address = v;
	} else if (plus) {
		*plus = 0;
		const char *ierr = lex_parse_int(plus + 1, strlen(plus + 1), &v, &ihint, ibuf, sizeof(ibuf));
		struct loc ol = part_loc(ap, ps->raw, plus + 1);
		if (ierr || !plus[1])
			diag_error(s->d, &ol, ihint, "%s: invalid offset '%s'", kind, plus + 1);
		else if (ap->type == PROBE_URETPROBE)
			diag_error(s->d, &ap->loc, "use uprobe:BINARY:FUNCTION+OFFSET, or uretprobe:BINARY:FUNCTION",
				   "uretprobes cannot be attached at a function offset");
		else if (has_wildcard(ap->func))
			diag_error(s->d, &ap->loc, "name one function: uprobe:/bin/bash:readline+4",
				   "an offset needs one function, not a wildcard");
		else if (v && !s->o->unsafe)
			/* an offset inside an instruction corrupts the traced program */
			diag_error(s->d, &ol,
				   "minibt does not decode x86 instructions: run with --unsafe if OFFSET is the first byte of one",
				   "Could not check that %s+%llu is an instruction boundary", ap->func, (unsigned long long)v);
		ap->offset = v;
	}
}

/* usdt:BINARY:NAME, usdt:BINARY:PROVIDER:NAME (globs); the provider is
 * kept in ap->func as "PROVIDER:NAME" ("*" when not written) */
static void parse_usdt(struct ap_parse *ps)
{
	struct attach_point *ap = ps->ap;
	ap->target = "";
	ap->func = "";
	if ((ps->np != 3 && ps->np != 4) || !*ps->parts[1] || !*ps->parts[ps->np - 1]) {
		diag_error(ps->s->d, &ap->loc, "write usdt:BINARY:NAME or usdt:BINARY:PROVIDER:NAME, e.g. usdt:/usr/bin/python3:python:function__entry",
			   "usdt probe type requires 2 or 3 arguments");
		return;
	}
	ap->target = ps->parts[1];
	ap->func = arena_printf(ps->s->a, "%s:%s", ps->np == 4 ? ps->parts[2] : "*", ps->parts[ps->np - 1]);
}

/* iter:TARGET[:PIN] (task, task_file, task_vma...: the kernel's BPF
 * iterators, each with a struct bpf_iter__TARGET context) */
static void parse_iter(struct ap_parse *ps)
{
	struct attach_point *ap = ps->ap;
	ap->func = ps->np >= 2 ? ps->parts[1] : "";
	ap->target = ps->np == 3 ? ps->parts[2] : "";
	if ((ps->np != 2 && ps->np != 3) || !*ap->func) {
		diag_error(ps->s->d, &ap->loc, "write iter:task or iter:task_file (or iter:task:PIN to pin it in /sys/fs/bpf)",
			   "iter probe type requires 1 or 2 arguments");
		ap->func = "";
		return;
	}
	char sn[256];
	snprintf(sn, sizeof(sn), "bpf_iter__%s", ap->func);
	if (has_wildcard(ap->func))
		diag_error(ps->s->d, &ap->loc, "name one iterator: iter:task", "iter: a wildcard is not an iterator");
	else if (ps->s->btf && !btfc_record(ps->s->btf, "struct", sn))
		diag_error(ps->s->d, &ap->loc, "iterators: task, task_file, task_vma, bpf_map, tcp, udp... (struct bpf_iter__NAME in BTF)",
			   "iter %s not available for your kernel version.", ap->func);
}

/* rawtracepoint:NAME (a tracepoint's name, without its category) */
static void parse_rawtp(struct ap_parse *ps)
{
	struct attach_point *ap = ps->ap;
	ap->target = "";
	ap->func = ps->np == 2 ? ps->parts[1] : "";
	if (ps->np != 2 || !*ap->func)
		diag_error(ps->s->d, &ap->loc, "write rawtracepoint:NAME, e.g. rawtracepoint:sched_switch",
			   "rawtracepoint probe type requires 1 argument");
	else if (has_wildcard(ap->func))
		diag_error(ps->s->d, &ap->loc, "name one tracepoint: rawtracepoint:sched_switch",
			   "rawtracepoint: a wildcard needs a tracepoint name, not a pattern");
}

/* tracepoint:CATEGORY:NAME (globs) */
static void parse_tracepoint(struct ap_parse *ps)
{
	struct attach_point *ap = ps->ap;
	if (ps->np != 3 || !*ps->parts[1] || !*ps->parts[2]) {
		diag_error(ps->s->d, &ap->loc, "write tracepoint:CATEGORY:NAME, e.g. tracepoint:sched:sched_switch",
			   "tracepoint probe type requires 2 arguments");
		ap->target = ap->func = "";
	} else {
		ap->target = ps->parts[1];
		ap->func = ps->parts[2];
	}
}

/* the units of interval:UNIT:N and profile:UNIT:N, and ns per unit */
static const struct { const char *name; enum time_unit unit; uint64_t ns; } TIME_UNITS[] = {
	{ "s", UNIT_S, 1000000000ULL }, { "ms", UNIT_MS, 1000000ULL },
	{ "us", UNIT_US, 1000ULL }, { "hz", UNIT_HZ, 0 },
};

/* interval:UNIT:N, profile:UNIT:N: the unit and count become ap->unit,
 * ap->freq and the period attach uses (ns; 0 for a frequency) */
static void parse_timed(struct ap_parse *ps)
{
	struct hdr *s = ps->s;
	struct attach_point *ap = ps->ap;
	char **parts = ps->parts;
	char hint[96];
	snprintf(hint, sizeof(hint), "write %s:UNIT:N with UNIT one of s, ms, us, hz, e.g. %s", ps->prov,
		 probe_kinds[ap->type].example);
	ap->target = "s";
	ap->unit = UNIT_S;
	ap->freq = 1;
	ap->period = TIME_UNITS[0].ns;
	if (ps->np != 3) {
		diag_error(s->d, &ap->loc, hint, "%s needs a unit and a count", ps->prov);
		return;
	}
	ap->target = parts[1];
	uint64_t v = 0;
	const char *ihint;
	char ibuf[96];
	const char *ierr = lex_parse_int(parts[2], strlen(parts[2]), &v, &ihint, ibuf, sizeof(ibuf));
	int u = -1;
	for (size_t i = 0; i < sizeof(TIME_UNITS) / sizeof(*TIME_UNITS); i++)
		if (!strcmp(parts[1], TIME_UNITS[i].name))
			u = (int)i;
	if (u < 0) {
		struct loc ul = part_loc(ap, ps->raw, parts[1]);
		diag_error(s->d, &ul, hint, "%s is not an accepted unit of time", parts[1]);
	} else if (ierr || v == 0 || v > INT64_MAX) {
		struct loc cl = part_loc(ap, ps->raw, parts[2]);
		diag_error(s->d, &cl, ierr && *parts[2] ? ihint : hint, "%s: invalid count '%s'", ps->prov, parts[2]);
	}
	ap->freq = (int64_t)v;
	if (u >= 0) {
		ap->unit = TIME_UNITS[u].unit;
		ap->period = v * TIME_UNITS[u].ns;
	}
}

static const struct perf_event_name SW_EVENTS[] = {
	{ "alignment-faults", NULL, PERF_COUNT_SW_ALIGNMENT_FAULTS, 1 },
	{ "bpf-output", NULL, PERF_COUNT_SW_BPF_OUTPUT, 1 },
	{ "context-switches", "cs", PERF_COUNT_SW_CONTEXT_SWITCHES, 1000 },
	{ "cpu-clock", "cpu", PERF_COUNT_SW_CPU_CLOCK, 1000000 },
	{ "cpu-migrations", NULL, PERF_COUNT_SW_CPU_MIGRATIONS, 1 },
	{ "dummy", NULL, PERF_COUNT_SW_DUMMY, 1 },
	{ "emulation-faults", NULL, PERF_COUNT_SW_EMULATION_FAULTS, 1 },
	{ "major-faults", NULL, PERF_COUNT_SW_PAGE_FAULTS_MAJ, 1 },
	{ "minor-faults", NULL, PERF_COUNT_SW_PAGE_FAULTS_MIN, 100 },
	{ "page-faults", "faults", PERF_COUNT_SW_PAGE_FAULTS, 100 },
	{ "task-clock", NULL, PERF_COUNT_SW_TASK_CLOCK, 1 },
	{ NULL, NULL, 0, 0 },
};

static const struct perf_event_name HW_EVENTS[] = {
	{ "backend-stalls", NULL, PERF_COUNT_HW_STALLED_CYCLES_BACKEND, 1000000 },
	{ "branch-instructions", "branches", PERF_COUNT_HW_BRANCH_INSTRUCTIONS, 100000 },
	{ "branch-misses", NULL, PERF_COUNT_HW_BRANCH_MISSES, 100000 },
	{ "bus-cycles", NULL, PERF_COUNT_HW_BUS_CYCLES, 100000 },
	{ "cache-misses", NULL, PERF_COUNT_HW_CACHE_MISSES, 1000000 },
	{ "cache-references", NULL, PERF_COUNT_HW_CACHE_REFERENCES, 1000000 },
	{ "cpu-cycles", "cycles", PERF_COUNT_HW_CPU_CYCLES, 1000000 },
	{ "frontend-stalls", NULL, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND, 1000000 },
	{ "instructions", NULL, PERF_COUNT_HW_INSTRUCTIONS, 1000000 },
	{ "ref-cycles", NULL, PERF_COUNT_HW_REF_CPU_CYCLES, 1000000 },
	{ NULL, NULL, 0, 0 },
};

const struct perf_event_name *probe_perf_event(const struct attach_point *ap)
{
	for (const struct perf_event_name *e = probe_kinds[ap->type].events; e && e->name; e++)
		if (!strcmp(ap->target, e->name) || (e->alias && !strcmp(ap->target, e->alias)))
			return e;
	return NULL;
}

/* software:EVENT[:COUNT], hardware:EVENT[:COUNT]: a perf event on every
** CPU, sampled every COUNT events (0 or none: the event's default) */
static void parse_perf(struct ap_parse *ps)
{
	struct hdr *s = ps->s;
	struct attach_point *ap = ps->ap;
	const char *kind = probe_type_names[ap->type];
	ap->target = ps->np >= 2 ? ps->parts[1] : "";
	ap->func = "";
	ap->freq = 0;
	if (ps->np != 2 && ps->np != 3) {
		diag_error(s->d, &ap->loc, arena_printf(s->a, "write %s:EVENT[:COUNT], e.g. %s", kind,
							ap->type == PROBE_SOFTWARE ? "software:faults:100" : "hardware:cycles:1000000"),
			   "%s probe type requires 1 or 2 arguments", kind);
		return;
	}
	if (!probe_perf_event(ap)) {
		struct loc el = part_loc(ap, ps->raw, ps->parts[1]);
		diag_error(s->d, &el, arena_printf(s->a, "list the events with: minibt -l '%s:*'", kind),
			   "%s is not a %s probe", ps->parts[1], kind);
		return;
	}
	if (ps->np == 3) {
		uint64_t v = 0;
		const char *ihint;
		char ibuf[96];
		const char *ierr = lex_parse_int(ps->parts[2], strlen(ps->parts[2]), &v, &ihint, ibuf, sizeof(ibuf));
		if (ierr || v > INT64_MAX) {
			struct loc cl = part_loc(ap, ps->raw, ps->parts[2]);
			diag_error(s->d, &cl, ierr && *ps->parts[2] ? ihint : "the count is an integer: every COUNT events",
				   "%s: invalid count '%s'", kind, ps->parts[2]);
		}
		ap->freq = (int64_t)v;
		ap->period = v;
	}
}

/* watchpoint:ADDR:LEN:MODE: a hardware breakpoint on LEN bytes at ADDR,
** hit on a read (r), a write (w) or both, or on executing it (x) */
static void parse_watch(struct ap_parse *ps)
{
	struct hdr *s = ps->s;
	struct attach_point *ap = ps->ap;
	ap->target = ap->func = "";
	if (ps->np != 4) {
		diag_error(s->d, &ap->loc, "write watchpoint:ADDR:LEN:MODE, e.g. watchpoint:0xffffffff82a05f00:8:w",
			   "watchpoint probe type requires 3 arguments");
		return;
	}
	uint64_t addr = 0, len = 0;
	const char *ihint;
	char ibuf[96];
	if (lex_parse_int(ps->parts[1], strlen(ps->parts[1]), &addr, &ihint, ibuf, sizeof(ibuf)) || !addr) {
		struct loc l = part_loc(ap, ps->raw, ps->parts[1]);
		diag_error(s->d, &l, "the address is an integer, e.g. 0xffffffff82a05f00 (a symbol's: grep ' jiffies$' /proc/kallsyms)",
			   "watchpoint: invalid address '%s'", ps->parts[1]);
		return;
	}
	if (lex_parse_int(ps->parts[2], strlen(ps->parts[2]), &len, &ihint, ibuf, sizeof(ibuf)) ||
	    (len != 1 && len != 2 && len != 4 && len != 8)) {
		diag_error(s->d, &ap->loc, NULL, "watchpoint length must be one of (1,2,4,8)");
		return;
	}
	const char *m = ps->parts[3];
	bool r = false, w = false, x = false, ok = *m != 0;
	for (; *m && ok; m++) {
		bool *f = *m == 'r' ? &r : *m == 'w' ? &w : *m == 'x' ? &x : NULL;
		ok = f && !*f;
		if (f)
			*f = true;
	}
	if (!ok) {
		diag_error(s->d, &ap->loc, "r, w, rw or x", "watchpoint mode must be combination of (r,w,x)");
		return;
	}
	if (x && (r || w)) {
		diag_error(s->d, &ap->loc, "watch execution (x) or access (r, w, rw), in two probes",
			   "a watchpoint on execution (x) cannot also watch reads or writes");
		return;
	}
	ap->wp_addr = addr;
	ap->wp_len = (int)len;
	snprintf(ap->wp_mode, sizeof(ap->wp_mode), "%s%s%s", r ? "r" : "", w ? "w" : "", x ? "x" : "");
}

const struct probe_kind probe_kinds[PROBE__COUNT] = {
	[PROBE_BEGIN] = {
		.name = "BEGIN", .parse = parse_none, .expand = EXPAND_NONE, .section = "raw_tp",
		.family = PROBE_BEGIN, .special = true,
	},
	[PROBE_END] = {
		.name = "END", .parse = parse_none, .expand = EXPAND_NONE, .section = "raw_tp",
		.family = PROBE_END, .special = true,
	},
	[PROBE_KPROBE] = {
		.name = "kprobe", .alias = "k", .parse = parse_func, .expand = EXPAND_FUNCS,
		.section = "kprobe", .family = PROBE_KPROBE, .optional = true,
		.missing = "function not found (not in this kernel, or inlined or notrace)",
		.cookie = true, .func = true, .argn = true, .regs = true, .sarg = true, .ctx = "pt_regs",
	},
	[PROBE_KRETPROBE] = {
		.name = "kretprobe", .alias = "kr", .parse = parse_func, .expand = EXPAND_FUNCS,
		.section = "kretprobe", .family = PROBE_KPROBE, .optional = true,
		.missing = "function not found (not in this kernel, or inlined or notrace)",
		.cookie = true, .func = true, .retval = true, .banned = banned_kretprobes, .regs = true, .ctx = "pt_regs",
	},
	[PROBE_TRACEPOINT] = {
		.name = "tracepoint", .alias = "t", .parse = parse_tracepoint, .expand = EXPAND_TRACEPOINTS,
		.section = "tracepoint", .family = PROBE_TRACEPOINT, .optional = true,
		.missing = "tracepoint not found", .cookie = true, .args = true,
	},
	[PROBE_INTERVAL] = {
		.name = "interval", .alias = "i", .parse = parse_timed, .expand = EXPAND_NONE,
		.section = "perf_event", .family = PROBE_INTERVAL, .timed = true, .regs = true, .ctx = "bpf_perf_event_data", .example = "interval:s:1",
	},
	[PROBE_PROFILE] = {
		.name = "profile", .alias = "p", .parse = parse_timed, .expand = EXPAND_NONE,
		.section = "perf_event", .family = PROBE_PROFILE, .timed = true, .regs = true, .ctx = "bpf_perf_event_data", .example = "profile:hz:99",
	},
	[PROBE_SOFTWARE] = {
		.name = "software", .alias = "s", .parse = parse_perf, .expand = EXPAND_NONE,
		.section = "perf_event", .family = PROBE_SOFTWARE, .regs = true, .ctx = "bpf_perf_event_data",
		.perf_type = PERF_TYPE_SOFTWARE, .events = SW_EVENTS,
	},
	[PROBE_HARDWARE] = {
		.name = "hardware", .alias = "h", .parse = parse_perf, .expand = EXPAND_NONE,
		.section = "perf_event", .family = PROBE_HARDWARE, .regs = true, .ctx = "bpf_perf_event_data",
		.perf_type = PERF_TYPE_HARDWARE, .events = HW_EVENTS,
	},
	[PROBE_KFUNC] = {
		.name = "kfunc", .alias = "f", .alias2 = "fentry", .parse = parse_kfunc, .expand = EXPAND_BTF_FUNCS,
		.section = "fentry", .family = PROBE_KFUNC, .optional = true,
		.missing = "no traceable kernel function with BTF of this name",
		.func = true, .args = true,
	},
	[PROBE_KRETFUNC] = {
		.name = "kretfunc", .alias = "fr", .alias2 = "fexit", .parse = parse_kfunc, .expand = EXPAND_BTF_FUNCS,
		.section = "fexit", .family = PROBE_KRETFUNC, .optional = true,
		.missing = "no traceable kernel function with BTF of this name",
		.func = true, .args = true, .retval = true,
	},
	[PROBE_RAWTRACEPOINT] = {
		.name = "rawtracepoint", .alias = "rt", .parse = parse_rawtp, .expand = EXPAND_NONE,
		.section = "raw_tp", .family = PROBE_RAWTRACEPOINT, .argn = true, .argslots = 12,
	},
	[PROBE_UPROBE] = {
		.name = "uprobe", .alias = "u", .parse = parse_uprobe, .expand = EXPAND_USER_FUNCS,
		.section = "uprobe", .family = PROBE_UPROBE, .cookie = true, .func = true, .argn = true,
		.regs = true, .sarg = true, .ctx = "pt_regs", .user = true,
	},
	[PROBE_URETPROBE] = {
		.name = "uretprobe", .alias = "ur", .parse = parse_uprobe, .expand = EXPAND_USER_FUNCS,
		.section = "uretprobe", .family = PROBE_UPROBE, .cookie = true, .func = true, .retval = true,
		.regs = true, .ctx = "pt_regs", .user = true,
	},
	[PROBE_USDT] = {
		.name = "usdt", .alias = "U", .parse = parse_usdt, .expand = EXPAND_USDT,
		.section = "uprobe", .family = PROBE_USDT, .argn = true, .argslots = 12,
		.regs = true, .ctx = "pt_regs", .user = true, .usdt = true,
	},
	[PROBE_ITER] = {
		.name = "iter", .alias = "it", .parse = parse_iter, .expand = EXPAND_NONE,
		.section = "iter", .family = PROBE_ITER, .iter = true,
	},
	[PROBE_WATCHPOINT] = {
		.name = "watchpoint", .alias = "w", .parse = parse_watch, .expand = EXPAND_NONE,
		.section = "perf_event", .family = PROBE_WATCHPOINT, .regs = true, .ctx = "bpf_perf_event_data",
	},
};

/* provider name (or alias) and the kind's grammar; a kind minibt lacks
 * is an error, and the probe's body is still typed (ap->bad) */
static void parse_attach(struct hdr *s, struct attach_point *ap)
{
	if (ap->type != PROBE__COUNT)
		return;
	struct ap_parse ps = { .s = s, .ap = ap, .raw = arena_strdup(s->a, ap->raw) };
	char *raw = ps.raw;
	/* a trailing '?' makes the attach point optional (not a wildcard) */
	size_t rawlen = strlen(raw);
	if (rawlen > 1 && raw[rawlen - 1] == '?') {
		raw[rawlen - 1] = 0;
		ap->optional = true;
	}
	for (char *p = raw; ps.np < 4;) {
		ps.parts[ps.np++] = p;
		char *c = strchr(p, ':');
		if (!c)
			break;
		*c = 0;
		p = c + 1;
	}
	const char *prov = ps.prov = ps.parts[0];
	enum probe_type type = PROBE__COUNT;
	for (int i = 0; i < PROBE__COUNT; i++)
		if (!strcmp(prov, probe_kinds[i].name) || (probe_kinds[i].alias && !strcmp(prov, probe_kinds[i].alias)) ||
		    (probe_kinds[i].alias2 && !strcmp(prov, probe_kinds[i].alias2)))
			type = (enum probe_type)i;
	if (type == PROBE__COUNT) {
		for (size_t i = 0; i < sizeof(UNSUPPORTED_PROVIDERS) / sizeof(*UNSUPPORTED_PROVIDERS); i++)
			if (!strcmp(prov, UNSUPPORTED_PROVIDERS[i].name)) {
				const char *rest = strchr(ap->raw, ':');
				const char *hint = UNSUPPORTED_PROVIDERS[i].hint;
				if (strstr(hint, "%s"))
					hint = arena_printf(s->a, hint, rest ? rest + 1 : "FUNC");
				diag_error(s->d, &ap->loc, hint, "not supported by minibt: %s probes", prov);
				ap->type = PROBE_BEGIN;
				ap->bad = true;
				return;
			}
		const char *sug = diag_suggest(prov, probe_type_names, PROBE__COUNT);
		char hint[128];
		if (sug)
			snprintf(hint, sizeof(hint), "did you mean '%s'?", sug);
		struct loc pl = part_loc(ap, raw, prov);
		diag_error(s->d, &pl, sug ? hint : "probe types: BEGIN, END, kprobe, kretprobe, tracepoint, interval, profile",
			   "Invalid probe type: %s", prov);
		ap->type = PROBE_BEGIN;
		ap->bad = true;
		return;
	}
	ap->type = type;
	if (ap->optional && !probe_kinds[type].optional)
		diag_error(s->d, &ap->loc, "only kprobe, kretprobe and tracepoint attach points can be missing on a kernel",
			   "%s probes cannot be optional ('?')", prov);
	probe_kinds[type].parse(&ps);
}

static bool uses_args(const struct node *n)
{
	for (; n; n = n->next) {
		if (n->kind == N_BUILTIN && n->builtin == B_ARGS)
			return true;
		if (uses_args(n->lhs) || uses_args(n->rhs) || uses_args(n->cond) || uses_args(n->then) ||
		    uses_args(n->els) || uses_args(n->args) || uses_args(n->stmts))
			return true;
	}
	return false;
}

/* the first field the probe reads from args that rec lacks, or NULL */
static const char *missing_args_field(struct hdr *s, const struct type *rec, const struct node *n)
{
	for (; n; n = n->next) {
		uint32_t off;
		if (n->kind == N_FIELD && n->lhs && n->lhs->kind == N_BUILTIN && n->lhs->builtin == B_ARGS &&
		    !btfc_member(s->btf, rec, n->name, &off))
			return n->name;
		const struct node *sub[] = { n->lhs, n->rhs, n->cond, n->then, n->els, n->args, n->stmts };
		for (size_t i = 0; i < sizeof(sub) / sizeof(*sub); i++) {
			const char *m = missing_args_field(s, rec, sub[i]);
			if (m)
				return m;
		}
	}
	return NULL;
}

/*
** Optional attach points (a trailing '?') this kernel lacks are dropped
** from the probe; true when none is left, the probe is then skipped
** whole (sema_check takes it out of the program).
*/
static bool drop_missing(struct probe *p)
{
	int k = 0;
	for (int i = 0; i < p->naps; i++) {
		struct attach_point *ap = &p->aps[i];
		if (ap->optional && ap->presence == PRESENCE_NO)
			ap->missing = probe_kinds[ap->type].missing;
	}
	for (int i = 0; i < p->naps; i++)
		if (!p->aps[i].missing)
			k++;
	if (k == 0)
		return true;
	if (k < p->naps) { /* present ones first; the rest stay for messages */
		struct attach_point tmp[64];
		int a = 0, b = k;
		for (int i = 0; i < p->naps; i++)
			tmp[p->aps[i].missing ? b++ : a++] = p->aps[i];
		memcpy(p->aps, tmp, sizeof(*tmp) * (size_t)p->naps);
		p->naps = k;
	}
	return false;
}

/* tracepoints matching cat:name (wildcards allowed) in tracefs, as
 * "cat:name" strings; -1 when there is no tracefs to look in */
static int list_tracepoints(struct hdr *s, const char *cat, const char *name, char ***out)
{
	const char **v;
	int n = kernel_tracepoints(s->o->kernel, cat, name, &v);
	*out = NULL;
	if (n > 0) {
		*out = arena_alloc(s->a, sizeof(char *) * (size_t)n);
		for (int i = 0; i < n; i++)
			(*out)[i] = arena_strdup(s->a, v[i]);
	}
	free(v);
	return n;
}

/*
** A probe whose attach points are of several families (`BEGIN,END`,
** `BEGIN,kprobe:f`, `kprobe:f,tracepoint:a:b`) becomes one probe per
** family, in the order of each family's first attach point, each with
** its own copy of the predicate and body: every family has its own
** context and program type. (bpftrace 0.17 accepts such a probe, then
** fails with "Code not generated for probe"; later releases run it.)
*/
static void split_mixed_probes(struct hdr *s)
{
	struct program *p = s->p;
	struct probe **out = NULL;
	int n = 0, cap = 0;
	for (int i = 0; i < p->nprobes; i++) {
		struct probe *pr = p->probes[i];
		for (int k = 0; k < pr->naps; k++)
			parse_attach(s, &pr->aps[k]);
		bool *done = arena_alloc(s->a, sizeof(*done) * (size_t)pr->naps);
		memset(done, 0, sizeof(*done) * (size_t)pr->naps);
		int copies = 0;
		for (int k = 0; k < pr->naps; k++) {
			if (done[k])
				continue;
			enum probe_type fam = probe_kinds[pr->aps[k].type].family;
			int m = 0;
			for (int j = k; j < pr->naps; j++)
				m += probe_kinds[pr->aps[j].type].family == fam;
			if (m == pr->naps) { /* one family: as it is */
				arena_vec_push(s->a, (void ***)&out, &n, &cap, pr);
				break;
			}
			struct probe *c = arena_alloc(s->a, sizeof(*c));
			*c = *pr;
			c->aps = arena_alloc(s->a, sizeof(struct attach_point) * (size_t)m);
			c->naps = 0;
			for (int j = k; j < pr->naps; j++)
				if (!done[j] && probe_kinds[pr->aps[j].type].family == fam) {
					c->aps[c->naps++] = pr->aps[j];
					done[j] = true;
				}
			c->pred = copies ? ast_clone(s->a, pr->pred) : pr->pred;
			c->body = copies ? ast_clone(s->a, pr->body) : pr->body;
			copies++;
			arena_vec_push(s->a, (void ***)&out, &n, &cap, c);
		}
	}
	p->probes = out;
	p->nprobes = n;
	p->capprobes = cap;
}

/*
** kfunc/kretfunc targets: the traceable functions (the kernel's list)
** that have BTF, matching the attach point's globs, as "module:func"
** (the shape of a tracepoint's "cat:name"); -1 without kernel BTF
*/
static int list_btf_funcs(struct hdr *s, const struct attach_point *ap, char ***out)
{
	*out = NULL;
	if (!s->btf)
		return -1;
	const char **v = NULL;
	int n = s->o->kernel ? kernel_funcs(s->o->kernel, ap->func, &v) : -1;
	const char *one[1] = { ap->func };
	if (n < 0 && !has_wildcard(ap->func)) { /* no list: BTF decides */
		free(v);
		v = NULL;
		n = 1;
	}
	int m = 0;
	if (n > 0)
		*out = arena_alloc(s->a, sizeof(char *) * (size_t)n);
	for (int i = 0; i < n; i++) {
		const char *name = v ? v[i] : one[i];
		const char *mod = btfc_func_module(s->btf, name, *ap->target ? ap->target : NULL);
		struct btf_func f;
		char ebuf[256];
		/* a wildcard leaves out what a trampoline cannot take (too many
		 * arguments, large structs by value); a name says why */
		if (mod && (!has_wildcard(ap->func) || btfc_func(s->btf, name, mod, &f, ebuf, sizeof(ebuf))))
			(*out)[m++] = arena_printf(s->a, "%s:%s", mod, name);
	}
	free(v);
	return n < 0 ? -1 : m;
}

/*
** A tracepoint probe that reads args and names several tracepoints, or a
** wildcard, becomes one probe per tracepoint, as bpftrace 0.17 expands
** it: each copy of the body reads its own record layout (sys_enter_open
** and sys_enter_openat put filename at different offsets). Without
** tracefs to expand wildcards in, check_probe_header says it cannot.
** A kfunc/kretfunc probe always becomes one probe per function: each
** program is loaded for one function's BTF id (and reads its arguments).
*/
static void split_tracepoint_probes(struct hdr *s)
{
	struct program *p = s->p;
	struct probe **out = NULL;
	int n = 0, cap = 0;
	for (int i = 0; i < p->nprobes; i++) {
		struct probe *pr = p->probes[i];
		for (int k = 0; k < pr->naps; k++)
			parse_attach(s, &pr->aps[k]);
		bool btff = probe_kinds[pr->aps[0].type].expand == EXPAND_BTF_FUNCS;
		bool split = btff || (probe_kinds[pr->aps[0].type].args && (uses_args(pr->body) || uses_args(pr->pred)));
		for (int k = 0; split && k < pr->naps; k++)
			split = probe_kinds[pr->aps[k].type].family == probe_kinds[pr->aps[0].type].family && *pr->aps[k].func;
		bool wild = false;
		for (int k = 0; k < pr->naps; k++)
			wild |= has_wildcard(pr->aps[k].target) || has_wildcard(pr->aps[k].func);
		if (!split || (pr->naps == 1 && !wild && !btff)) {
			arena_vec_push(s->a, (void ***)&out, &n, &cap, pr);
			continue;
		}
		/* the concrete attach points, in order, without duplicates */
		struct attach_point *aps = NULL;
		int naps = 0, capaps = 0;
		bool ok = true;
		for (int k = 0; k < pr->naps; k++) {
			struct attach_point *ap = &pr->aps[k];
			char **tps = NULL;
			int m = 1;
			bool gone = false;
			bool wild = has_wildcard(ap->target) || has_wildcard(ap->func);
			if (wild || btff || (pr->naps > 1 && !ap->optional)) {
				m = btff ? list_btf_funcs(s, ap, &tps) : list_tracepoints(s, ap->target, ap->func, &tps);
				if (m < 0) {
					ok = false; /* no tracefs (BTF): check_probe_header explains */
					break;
				}
				if (!wild && m && !btff) {
					m = 1; /* the name as written */
					tps = NULL;
				}
				const char *hint = btff ? arena_printf(s->a, "list them with: minibt -l '%s:*'", probe_type_names[ap->type])
							: "list tracepoints with: minibt -l 'tracepoint:*'";
				const char *what = btff ? arena_printf(s->a, "no traceable kernel function with BTF matches %s%s%s",
								       ap->target, *ap->target ? ":" : "", ap->func)
							: arena_printf(s->a, "tracepoint not found: %s:%s", ap->target, ap->func);
				/* one of several: skipped with a warning, as the runtime
				 * skips a missing function (runtime/attach.c missing()) */
				if (m == 0 && !ap->optional && pr->naps > 1) {
					diag_warn(s->d, &ap->loc, hint, "%s; skipping it", what);
					continue;
				}
				if (m == 0 && !ap->optional) {
					diag_error(s->d, &ap->loc, hint, "%s", what);
					continue;
				}
				if (m == 0) { /* optional: kept as written, left out as missing */
					m = 1;
					tps = NULL;
					gone = true;
				}
			}
			for (int j = 0; j < m; j++) {
				struct attach_point c = *ap;
				if (tps) {
					c.target = arena_strdup(s->a, tps[j]);
					*strchr(c.target, ':') = 0;
					c.func = strchr(tps[j], ':') + 1;
					c.raw = arena_printf(s->a, "%s:%s", probe_kinds[c.type].name, tps[j]);
				}
				if (gone)
					c.missing = probe_kinds[c.type].missing;
				bool dup = false;
				for (int d = 0; d < naps; d++)
					dup |= !strcmp(aps[d].target, c.target) && !strcmp(aps[d].func, c.func);
				if (dup)
					continue;
				if (naps == capaps) {
					capaps = capaps ? capaps * 2 : 8;
					struct attach_point *na = arena_alloc(s->a, sizeof(*na) * (size_t)capaps);
					if (naps)
						memcpy(na, aps, sizeof(*na) * (size_t)naps);
					aps = na;
				}
				aps[naps++] = c;
			}
		}
		if (!ok) {
			arena_vec_push(s->a, (void ***)&out, &n, &cap, pr);
			continue;
		}
		if (!naps && pr->naps > 1)
			diag_error(s->d, &pr->aps[0].loc, NULL, "none of this probe's %s exists on this kernel",
				   btff ? "functions" : "tracepoints");
		for (int k = 0; k < naps; k++) {
			struct probe *c = arena_alloc(s->a, sizeof(*c));
			*c = *pr;
			c->aps = arena_alloc(s->a, sizeof(struct attach_point));
			c->aps[0] = aps[k];
			c->naps = 1;
			c->pred = k ? ast_clone(s->a, pr->pred) : pr->pred;
			c->body = k ? ast_clone(s->a, pr->body) : pr->body;
			arena_vec_push(s->a, (void ***)&out, &n, &cap, c);
		}
	}
	p->probes = out;
	p->nprobes = n;
	p->capprobes = cap;
}

/*
** Is each kprobe function and each optional tracepoint of the script in
** this kernel (sema_opts.kernel)? The plain function names are looked up
** all at once, in one scan of the function list; without a list to look
** in, PRESENCE_UNKNOWN, and attaching will tell.
*/
static void check_presence(struct hdr *s)
{
	struct program *p = s->p;
	struct kernel *kern = s->o->kernel;
	struct attach_point **aps = NULL;
	int n = 0, cap = 0;
	for (int i = 0; i < p->nprobes && kern; i++)
		for (int k = 0; k < p->probes[i]->naps; k++) {
			struct attach_point *ap = &p->probes[i]->aps[k]; /* parsed by the split */
			enum probe_expand e = probe_kinds[ap->type].expand;
			if ((e == EXPAND_FUNCS || (e == EXPAND_TRACEPOINTS && ap->optional)) && *ap->func)
				arena_vec_push(s->a, (void ***)&aps, &n, &cap, ap);
		}
	if (!n)
		return;
	const char **funcs = arena_alloc(s->a, sizeof(*funcs) * (size_t)n);
	int *at = arena_alloc(s->a, sizeof(*at) * (size_t)n);
	bool *found = arena_alloc(s->a, sizeof(*found) * (size_t)n);
	int nf = 0;
	for (int i = 0; i < n; i++) {
		struct attach_point *ap = aps[i];
		const char **v = NULL;
		int m;
		if (probe_kinds[ap->type].expand == EXPAND_FUNCS && !has_wildcard(ap->func)) {
			funcs[nf] = ap->func;
			at[nf++] = i;
			continue;
		}
		if (probe_kinds[ap->type].expand == EXPAND_FUNCS)
			m = kernel_funcs(kern, ap->func, &v);
		else
			m = kernel_tracepoints(kern, ap->target, ap->func, &v);
		if (m >= 0)
			ap->presence = m ? PRESENCE_YES : PRESENCE_NO;
		free(v);
	}
	if (nf && kernel_funcs_have(kern, funcs, nf, found) == 0)
		for (int j = 0; j < nf; j++)
			aps[at[j]]->presence = found[j] ? PRESENCE_YES : PRESENCE_NO;
}

static void check_probe_header(struct hdr *s, struct probe *p)
{
	for (int i = 0; i < p->naps; i++)
		parse_attach(s, &p->aps[i]);
	enum probe_type t0 = p->aps[0].type; /* one family: split_mixed_probes */
	if (drop_missing(p))
		return;
	/* attach points that are not there: an error for tracepoints (as
	 * bpftrace 0.17), a warning for kprobe functions (they may be
	 * inlined, or load with a module later) */
	bool gone = false;
	for (int i = 0; i < p->naps; i++) {
		struct attach_point *ap = &p->aps[i];
		if (ap->optional || ap->type != t0)
			continue;
		/* one of several: the runtime skips it with a warning */
		if (probe_kinds[ap->type].expand == EXPAND_TRACEPOINTS && *ap->func && p->naps == 1) {
			char **tps;
			if (list_tracepoints(s, ap->target, ap->func, &tps) == 0) {
				diag_error(s->d, &ap->loc, "list tracepoints with: minibt -l 'tracepoint:*'",
					   "tracepoint not found: %s:%s", ap->target, ap->func);
				gone = true;
			}
		} else if (probe_kinds[ap->type].expand == EXPAND_FUNCS && ap->presence == PRESENCE_NO) {
			diag_warn(s->d, &ap->loc, "list kernel functions with: minibt -l 'kprobe:*'",
				  "%s is not traceable (either non-existing, inlined, or marked as \"notrace\"); "
				  "attaching to it will likely fail", ap->func);
		}
	}
	if (gone)
		return;
	if (probe_kinds[t0].expand == EXPAND_BTF_FUNCS) { /* one function (split_tracepoint_probes) */
		struct btf_func f;
		char ebuf[256] = "";
		struct attach_point *ap = &p->aps[0];
		if (!*ap->func) /* its error given */
			return;
		if (!s->btf || !btfc_func(s->btf, ap->func, *ap->target ? ap->target : NULL, &f, ebuf, sizeof(ebuf))) {
			if (!ap->missing)
				diag_error(s->d, &ap->loc, s->btf ? NULL : "kfunc probes need kernel BTF (/sys/kernel/btf/vmlinux)",
					   "%s", *ebuf ? ebuf : "no kernel BTF");
			return;
		}
		if (!*ap->target)
			ap->target = arena_strdup(s->a, f.module);
		p->args_ty = f.args;
		p->retval_ty = f.ret;
		p->retval_off = 8 * (uint32_t)f.slots;
		return;
	}
	if (probe_kinds[t0].args && uses_args(p->body) + uses_args(p->pred)) {
		bool wild = false;
		for (int i = 0; i < p->naps; i++)
			wild |= has_wildcard(p->aps[i].target) || has_wildcard(p->aps[i].func);
		if (wild || p->naps > 1) {
			/* split_tracepoint_probes expands them through tracefs */
			diag_error(s->d, &p->aps[0].loc, "mount tracefs (mount -t tracefs tracefs /sys/kernel/tracing), "
				   "or name one tracepoint when the probe reads args",
				   "args in a probe with several or wildcard tracepoints: no tracefs to expand them in");
		} else if (*p->aps[0].func) {
			char ebuf[256] = "";
			p->args_ty = s->btf ? btfc_tracepoint(s->btf, p->aps[0].target, p->aps[0].func, ebuf, sizeof(ebuf)) : NULL;
			const char *f;
			if (p->aps[0].optional && !p->args_ty)
				p->aps[0].missing = "tracepoint not found";
			else if (p->aps[0].optional && (f = missing_args_field(s, p->args_ty, p->body) ?:
							 missing_args_field(s, p->args_ty, p->pred)))
				p->aps[0].missing = arena_printf(s->a, "its args have no field '%s'", f);
			else if (!p->args_ty)
				diag_error(s->d, &p->aps[0].loc, "list tracepoints with: minibt -l 'tracepoint:*'",
					   "%s", *ebuf ? ebuf : "tracepoint args unavailable: no tracefs and no kernel BTF");
		}
	}
}

/* probes whose every attach point is missing (set by the checks above, or
 * by sema for an always-false predicate) move to p->skipped */
void probes_skip_missing(struct program *p)
{
	int kept = 0;
	for (int i = 0; i < p->nprobes; i++) {
		struct probe *pr = p->probes[i];
		if (pr->aps[0].missing)
			arena_vec_push(p->arena, (void ***)&p->skipped, &p->nskipped, &p->capskipped, pr);
		else
			p->probes[kept++] = pr;
	}
	p->nprobes = kept;
}

/*
** $1, $2 ... in an attach point (interval:ms:$1, kprobe:$1) become the
** text of those positional parameters, as bpftrace 0.17 substitutes them
*/
static void subst_params(struct hdr *s, struct attach_point *ap)
{
	const char *r = ap->raw, *d = strchr(r, '$');
	if (!d)
		return;
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	if (!m)
		return;
	for (; *r; r++) {
		if (r[0] != '$' || !isdigit((unsigned char)r[1])) {
			fputc(*r, m);
			continue;
		}
		char *e;
		long n = strtol(r + 1, &e, 10);
		if (n < 1 || n > s->o->npos) {
			struct loc l = part_loc(ap, ap->raw, r);
			l.end_col = l.col + (int)(e - r);
			diag_error(s->d, &l, s->o->npos ? "give the script more positional parameters" :
				   "give it after the script: minibt -e '...' VALUE",
				   "positional parameter $%ld used in an attach point is not given (%d given)", n, s->o->npos);
			ap->type = PROBE_BEGIN; /* as an unknown provider: the body is typed quietly */
			ap->bad = true;
		} else {
			fputs(s->o->pos[n - 1], m);
		}
		r = e - 1;
	}
	fclose(m);
	ap->raw = arena_strdup(s->a, out);
	free(out);
}

int probes_check(struct program *p, const struct sema_opts *o, struct diags *d)
{
	struct hdr s = { .p = p, .a = p->arena, .d = d, .btf = o->btf, .o = o };
	for (int i = 0; i < p->nprobes; i++)
		for (int k = 0; k < p->probes[i]->naps; k++)
			subst_params(&s, &p->probes[i]->aps[k]);
	split_mixed_probes(&s);
	split_tracepoint_probes(&s);
	check_presence(&s);
	for (int i = 0; i < p->nprobes; i++)
		check_probe_header(&s, p->probes[i]);
	probes_skip_missing(p);
	bool live = false;
	for (int i = 0; i < p->nprobes; i++)
		live |= !probe_kinds[p->probes[i]->aps[0].type].special;
	if (p->nskipped && !live) {
		for (int i = 0; i < p->nskipped; i++)
			for (int k = 0; k < p->skipped[i]->naps; k++) {
				const struct attach_point *ap = &p->skipped[i]->aps[k];
				diag_error(d, &ap->loc, NULL, "%s: %s", ap->raw, ap->missing);
			}
		diag_error(d, NULL, "the script's optional ('?') probes are its alternatives for different kernels; this one has none of them",
			   "none of the optional probes exists on this kernel: nothing to trace");
		return -1;
	}
	return 0;
}
