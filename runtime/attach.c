/*
** runtime/attach.c: attach points to links.
**
** attach_kinds[], a designated-initializer table indexed by the probe
** type enum, is the runtime's half of each kind's descriptor (the front
** end's is frontend/probes.c probe_kinds[]; ply's provider/, bpftrace's
** attached_probe.cpp): how its wildcards expand against the running
** kernel (kernel functions, tracepoints: frontend/kernel.c), how -l lists
** it, which libbpf call attaches it. Each kprobe/tracepoint target gets
** a bpf_cookie, the index of its name for the `probe` builtin. Links are
** destroyed in reverse order by detach_all() on every exit path.
*/
#include <errno.h>
#include <fnmatch.h>
#include <linux/perf_event.h>
#include <linux/hw_breakpoint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "runtime.h"

/* ---------------------------------------------------------- name lists */

struct names {
	char **v;
	int n, cap;
};

static void names_add(struct names *ns, const char *s)
{
	ns->v = vec_reserve(ns->v, ns->n, &ns->cap, sizeof(*ns->v));
	ns->v[ns->n++] = strdup(s);
}

static void names_free(struct names *ns)
{
	for (int i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	memset(ns, 0, sizeof(*ns));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ------------------------------------------------------------ targets */

int add_probe_name(struct session *s, const char *name)
{
	s->probe_names = vec_reserve(s->probe_names, s->nprobe_names, &s->capprobe_names,
				     sizeof(*s->probe_names));
	s->probe_names[s->nprobe_names] = strdup(name);
	return s->nprobe_names++;
}

static void attach_error(struct session *s, const struct attach_point *ap, const char *hint,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void attach_error(struct session *s, const struct attach_point *ap, const char *hint,
			 const char *fmt, ...)
{
	struct diags d = { .src = &s->src };
	va_list va;
	va_start(va, fmt);
	diag_verror(&d, DIAG_ERROR, &ap->loc, hint, fmt, va);
	va_end(va);
	diag_print(&d, stderr);
	diag_fini(&d);
}

/*
** An attach point with nothing to attach to (a function that is not in
** this kernel, a wildcard matching nothing): kept in s->missing while
** count_targets decides. If the probe has other attach points left it
** is a warning and the probe attaches where it can, as in bpftrace 0.17
** (biolatency.bt names blk_account_io_start and __blk_account_io_start,
** one of which each kernel has); if none is left, an error.
*/
static void missing(struct session *s, const struct attach_point *ap, const char *hint,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void missing(struct session *s, const struct attach_point *ap, const char *hint,
		    const char *fmt, ...)
{
	va_list va;
	va_start(va, fmt);
	diag_verror(&s->missing, DIAG_ERROR, &ap->loc, hint, fmt, va);
	va_end(va);
}

/* ------------------------------------------------------------ expand */

/* one target: the attach point as written (BEGIN, interval:s:1, ...) */
static int expand_none(UNUSED struct session *s, const struct attach_point *ap, struct names *out)
{
	names_add(out, ap->raw);
	return 0;
}

/* kernel functions: a wildcard against the function list, a plain name
 * checked in it (with a suggestion when it is not there) */
static int expand_funcs(struct session *s, const struct attach_point *ap, struct names *out)
{
	const char **all;
	/* a plain name sema found in the list needs no second look; the
	 * whole list is read to expand a wildcard, or to suggest a name */
	if (!has_wildcard(ap->func) && ap->presence == PRESENCE_YES) {
		names_add(out, ap->func);
		return 0;
	}
	int n = kernel_funcs(s->kernel, has_wildcard(ap->func) ? ap->func : NULL, &all);
	if (n < 0) {
		if (has_wildcard(ap->func)) {
			attach_error(s, ap, "mount it: mount -t tracefs tracefs /sys/kernel/tracing",
				     "cannot expand '%s': tracefs (available_filter_functions) is not available", ap->raw);
			return -1;
		}
		names_add(out, ap->func); /* no list: let the kernel decide */
		return 0;
	}
	if (has_wildcard(ap->func)) {
		if (!n) {
			missing(s, ap, "list kernel functions with: minibt -l 'kprobe:PATTERN'",
				"No matches for %s '%s'", probe_type_names[ap->type], ap->func);
			free(all);
			return 0;
		}
		for (int i = 0; i < n; i++) {
			if (probe_banned(ap->type, all[i])) {
				diag_now(DIAG_WARNING, &s->src, &ap->loc, NULL,
					 "%s:%s left out: it might lock up your system", probe_type_names[ap->type], all[i]);
				continue;
			}
			names_add(out, all[i]);
		}
		free(all);
		if (!out->n)
			missing(s, ap, NULL, "No matches for %s '%s' that can be traced safely",
				probe_type_names[ap->type], ap->func);
		return 0;
	}
	bool found = bsearch(&ap->func, all, (size_t)n, sizeof(char *), cmp_str) != NULL;
	if (!found) {
		const char *sug = diag_suggest(ap->func, all, n);
		char hint[256];
		snprintf(hint, sizeof(hint), "%s%s%s", sug ? "did you mean '" : "list kernel functions with: minibt -l 'kprobe:*",
			 sug ? sug : ap->func, sug ? "'?" : "*'");
		missing(s, ap, hint,
			"%s:%s: function not found (it does not exist in this kernel, or is inlined or notrace)",
			probe_type_names[ap->type], ap->func);
		free(all);
		return 0;
	}
	free(all);
	names_add(out, ap->func);
	return 0;
}

/*
** uprobes: "BINARY:FUNC" for each function of the binary the attach
** point names (BINARY as found: a library name becomes its file), or
** "BINARY:0xADDR" for an address
*/
static int expand_ufuncs(struct session *s, const struct attach_point *ap, struct names *out)
{
	char *path = uelf_resolve(ap->target, s->opt->pid);
	if (!path) {
		missing(s, ap, strchr(ap->target, '/') ? "check the path" :
			"name the binary by its path, a program on PATH, or a library (libc)",
			"%s: binary not found: %s", probe_type_names[ap->type], ap->target);
		return 0;
	}
	/* as written for a path, the file found for a name */
	const char *shown = strchr(ap->target, '/') ? ap->target : path;
	char t[4600];
	if (ap->address) {
		snprintf(t, sizeof(t), "%s:0x%llx", shown, (unsigned long long)ap->address);
		names_add(out, t);
		free(path);
		return 0;
	}
	char **v, *lib;
	int n = uelf_funcs(path, has_wildcard(ap->func) ? ap->func : NULL, &v);
	if (n < 0) {
		missing(s, ap, NULL, "%s: cannot read the ELF symbols of %s", probe_type_names[ap->type], path);
		free(path);
		return 0;
	}
	if (has_wildcard(ap->func)) {
		for (int i = 0; i < n; i++) {
			snprintf(t, sizeof(t), "%s:%s", shown, v[i]);
			names_add(out, t);
		}
		if (!n)
			missing(s, ap, NULL, "No matches for %s '%s' in %s", probe_type_names[ap->type], ap->func, path);
	} else if (!bsearch(&ap->func, v, (size_t)n, sizeof(char *), cmp_str) &&
		   (lib = uelf_needed_with(path, ap->func))) {
		/* defined by a library it needs: there (libpthread's pthread_create is libc's) */
		snprintf(t, sizeof(t), "%s:%s", lib, ap->func);
		names_add(out, t);
		free(lib);
	} else if (!bsearch(&ap->func, v, (size_t)n, sizeof(char *), cmp_str)) {
		const char *sug = diag_suggest(ap->func, (const char *const *)v, n);
		char hint[600];
		snprintf(hint, sizeof(hint), sug ? "did you mean '%s'?" : "list its functions with: minibt -l 'uprobe:%s:*'",
			 sug ? sug : ap->target);
		missing(s, ap, hint, "%s: function not found in %s: %s", probe_type_names[ap->type], path, ap->func);
	} else {
		snprintf(t, sizeof(t), "%s:%s", shown, ap->func);
		names_add(out, t);
	}
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
	free(path);
	return 0;
}

/* usdt: "BINARY:PROVIDER:NAME" for each of the binary's probes the globs
 * match (a name without a provider matches every provider's) */
static int expand_usdt(struct session *s, const struct attach_point *ap, struct names *out)
{
	char *path = uelf_resolve(ap->target, s->opt->pid);
	if (!path) {
		missing(s, ap, strchr(ap->target, '/') ? "check the path" :
			"name the binary by its path, a program on PATH, or a library",
			"usdt: binary not found: %s", ap->target);
		return 0;
	}
	const char *shown = strchr(ap->target, '/') ? ap->target : path;
	char prov[256];
	snprintf(prov, sizeof(prov), "%.*s", (int)strcspn(ap->func, ":"), ap->func);
	char **v;
	int n = uelf_usdt(path, prov, strchr(ap->func, ':') + 1, &v);
	if (n <= 0)
		missing(s, ap, arena_printf(s->arena, "list them with: minibt -l 'usdt:%s:*'", ap->target),
			n < 0 ? "usdt: cannot read %s" : "usdt: no probe %s in %s", n < 0 ? path : ap->func,
			n < 0 ? "" : path);
	for (int i = 0; i < n; i++) {
		char t[4600];
		snprintf(t, sizeof(t), "%s:%s", shown, v[i]);
		names_add(out, t);
		free(v[i]);
	}
	free(v);
	free(path);
	return 0;
}

/* tracepoints: "cat:name" for each match, sorted */
static int expand_tracepoints(struct session *s, const struct attach_point *ap, struct names *out)
{
	const char **tps;
	int n = kernel_tracepoints(s->kernel, ap->target, ap->func, &tps);
	if (n < 0) {
		attach_error(s, ap, "mount it: mount -t tracefs tracefs /sys/kernel/tracing",
			     "tracefs is not available: cannot find tracepoint %s:%s", ap->target, ap->func);
		return -1;
	}
	for (int i = 0; i < n; i++)
		names_add(out, tps[i]);
	free(tps);
	if (!out->n) {
		missing(s, ap, "list tracepoints with: minibt -l 'tracepoint:*'",
			has_wildcard(ap->target) || has_wildcard(ap->func) ? "No matches for tracepoint '%s:%s'"
							      : "tracepoint not found: %s:%s",
			ap->target, ap->func);
		return 0;
	}
	qsort(out->v, (size_t)out->n, sizeof(char *), cmp_str);
	return 0;
}

/* -------------------------------------------------------------- list */

/*
** -l PATTERN, as bpftrace 0.17 reads it: "KIND:NAME" lists that kind's
** names matching the glob NAME (KIND may be an alias: k, kr, t), whole
** names only (sys_enter_openat is not sys_enter_openat2); a pattern
** without a kind matches the names of kprobes and tracepoints (the
** tracepoint's event name, or "cat:name"). -v adds each tracepoint's
** fields, as its format file declares them.
*/
struct lister {
	const char *pat;  /* glob for the name part */
	bool verbose;
	FILE *o;
};

static void list_one(const struct lister *l, const char *kind, const char *name)
{
	if (!fnmatch(l->pat, name, 0))
		fprintf(l->o, "%s:%s\n", kind, name);
}

/* a kind -l does not list (it has no kernel names) */
static int list_none(UNUSED struct kernel *k, UNUSED enum probe_type t, UNUSED const struct lister *l)
{
	return 1;
}

static int list_funcs(struct kernel *k, enum probe_type t, const struct lister *l)
{
	const char **v;
	if (!kernel_has_kprobes(k))
		return -2;
	int n = kernel_funcs(k, NULL, &v);
	for (int i = 0; i < n; i++)
		if (!probe_banned(t, v[i]))
			list_one(l, probe_type_names[t], v[i]);
	free(v);
	return n < 0 ? -1 : 0;
}

/* the fields after the common ones: "\tfield:const char * filename;\t..." */
static void list_tp_fields(struct kernel *k, const char *tp, FILE *o)
{
	char cat[256];
	snprintf(cat, sizeof(cat), "%.*s", (int)strcspn(tp, ":"), tp);
	const char *f = kernel_tp_format(k, cat, tp + strlen(cat) + 1);
	for (const char *p = f; p && (p = strstr(p, "field:")); p++) {
		const char *d = p + 6, *e = strchr(d, ';');
		if (!e)
			break;
		/* the name is the last word, before any [N] */
		const char *nm = e;
		while (nm > d && nm[-1] != ' ')
			nm--;
		if (strncmp(nm, "common_", 7))
			fprintf(o, "    %.*s\n", (int)(e - d), d);
	}
}

static int list_tracepoints(struct kernel *k, enum probe_type t, const struct lister *l)
{
	const char **v;
	int n = kernel_tracepoints(k, "*", "*", &v);
	bool full = strchr(l->pat, ':') != NULL; /* "cat:name", else the name */
	if (n > 0) {
		char **sorted = malloc(sizeof(char *) * (size_t)n);
		if (!sorted)
			abort();
		memcpy(sorted, v, sizeof(char *) * (size_t)n);
		qsort(sorted, (size_t)n, sizeof(char *), cmp_str);
		for (int i = 0; i < n; i++) {
			const char *name = full ? sorted[i] : strchr(sorted[i], ':') + 1;
			if (fnmatch(l->pat, name, 0))
				continue;
			fprintf(l->o, "%s:%s\n", probe_type_names[t], sorted[i]);
			if (l->verbose)
				list_tp_fields(k, sorted[i], l->o);
		}
		free(sorted);
	}
	free(v);
	return n < 0 ? -1 : 0;
}

/*
** kfunc: the traceable functions with BTF, as "kfunc:MODULE:FUNC" (the
** pattern matches FUNC, or MODULE:FUNC when it has a ':'); -lv adds each
** one's arguments and, for kretfunc, its return type, one per line
*/
static int list_kfuncs(struct kernel *k, enum probe_type t, const struct lister *l)
{
	struct arena *a = arena_new();
	struct btf_ctx *b = btfc_open(a, NULL, k);
	const char **v;
	int n = kernel_funcs(k, NULL, &v);
	bool full = strchr(l->pat, ':') != NULL;
	for (int i = 0; i < n; i++) {
		if (!full && fnmatch(l->pat, v[i], 0))
			continue;
		const char *mod = btfc_func_module(b, v[i], NULL);
		if (!mod)
			continue;
		char name[512];
		snprintf(name, sizeof(name), "%s:%s", mod, v[i]);
		if (full && fnmatch(l->pat, name, 0))
			continue;
		fprintf(l->o, "%s:%s\n", probe_type_names[t], name);
		if (l->verbose)
			btfc_func_decls(b, v[i], mod, t == PROBE_KRETFUNC, l->o);
	}
	free(v);
	btfc_close(b);
	arena_free(a);
	return n < 0 ? -1 : 0;
}

/* uprobe:BINARY:PATTERN: the binary's function symbols (-l needs a binary) */
static int list_ufuncs(UNUSED struct kernel *k, enum probe_type t, const struct lister *l)
{
	const char *colon = strrchr(l->pat, ':');
	if (!colon)
		return 1; /* no binary named: nothing to list */
	char bin[4096];
	snprintf(bin, sizeof(bin), "%.*s", (int)(colon - l->pat), l->pat);
	char *path = uelf_resolve(bin, 0);
	char **v;
	int n = path ? uelf_funcs(path, colon + 1, &v) : -1;
	if (n < 0) {
		diag_now(DIAG_ERROR, NULL, NULL, "name the binary by its path, a program on PATH, or a library (libc)",
			 "%s: cannot read the functions of '%s'", probe_type_names[t], bin);
		free(path);
		return -3;
	}
	for (int i = 0; i < n; i++) {
		fprintf(l->o, "%s:%s:%s\n", probe_type_names[t], strchr(bin, '/') ? bin : path, v[i]);
		free(v[i]);
	}
	free(v);
	free(path);
	return 0;
}

/* usdt:BINARY[:PROVIDER]:NAME globs: the binary's probes */
static int list_usdt(UNUSED struct kernel *k, UNUSED enum probe_type t, const struct lister *l)
{
	const char *c1 = strchr(l->pat, ':');
	if (!c1)
		return 1;
	char bin[4096];
	snprintf(bin, sizeof(bin), "%.*s", (int)(c1 - l->pat), l->pat);
	const char *rest = c1 + 1, *c2 = strchr(rest, ':');
	char prov[256];
	snprintf(prov, sizeof(prov), "%.*s", c2 ? (int)(c2 - rest) : 1, c2 ? rest : "*");
	char *path = uelf_resolve(bin, 0);
	char **v;
	int n = path ? uelf_usdt(path, prov, c2 ? c2 + 1 : rest, &v) : -1;
	if (n < 0) {
		diag_now(DIAG_ERROR, NULL, NULL, "name the binary by its path, a program on PATH, or a library",
			 "usdt: cannot read the probes of '%s'", bin);
		free(path);
		return -3;
	}
	for (int i = 0; i < n; i++) {
		fprintf(l->o, "usdt:%s:%s\n", strchr(bin, '/') ? bin : path, v[i]);
		free(v[i]);
	}
	free(v);
	free(path);
	return 0;
}

/* iter: the kernel's iterators (struct bpf_iter__NAME in BTF) */
static int list_iters(struct kernel *k, enum probe_type t, const struct lister *l)
{
	struct arena *a = arena_new();
	struct btf_ctx *b = btfc_open(a, NULL, k);
	const char **v;
	int n = btfc_iters(b, l->pat, &v);
	for (int i = 0; i < n; i++)
		fprintf(l->o, "%s:%s\n", probe_type_names[t], v[i]);
	free(v);
	btfc_close(b);
	arena_free(a);
	return n < 0 ? -1 : 0;
}

/* rawtracepoint: the tracepoints' names, without their categories */
static int list_rawtp(struct kernel *k, enum probe_type t, const struct lister *l)
{
	const char **v;
	int n = kernel_tracepoints(k, "*", "*", &v);
	char **names = n > 0 ? malloc(sizeof(char *) * (size_t)n) : NULL;
	int m = 0;
	for (int i = 0; names && i < n; i++)
		names[m++] = (char *)strchr(v[i], ':') + 1;
	if (m)
		qsort(names, (size_t)m, sizeof(char *), cmp_str);
	for (int i = 0; i < m; i++)
		if (!i || strcmp(names[i], names[i - 1]))
			list_one(l, probe_type_names[t], names[i]);
	free(names);
	free(v);
	return n < 0 ? -1 : 0;
}

/* ------------------------------------------------------------ attach */

static void push_link(struct session *s, struct bpf_link *l, int pfd)
{
	s->links = vec_reserve(s->links, s->nlinks, &s->caplinks, sizeof(*s->links));
	s->links[s->nlinks].link = l;
	s->links[s->nlinks].perf_fd = pfd;
	s->nlinks++;
}

static struct bpf_program *prog_of(struct session *s, const struct image_prog *p)
{
	return bpf_object__find_program_by_name(s->obj, p->name);
}

static int perf_open(struct perf_event_attr *a, int cpu)
{
	return (int)syscall(__NR_perf_event_open, a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/*
** interval: one cpu-clock event on CPU 0 firing every period;
** profile: one per online CPU at a frequency (hz) or period.
*/
static int attach_perf(struct session *s, const struct attach_point *ap, struct bpf_program *prog, int ncpu)
{
	struct perf_event_attr a = { 0 };
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_CPU_CLOCK;
	if (ap->unit == UNIT_HZ) {
		a.freq = 1;
		a.sample_freq = (uint64_t)ap->freq;
	} else {
		a.sample_period = ap->period;
	}
	int attached = 0;
	for (int cpu = 0; cpu < ncpu; cpu++) {
		int fd = perf_open(&a, cpu);
		if (fd < 0) {
			if (errno == ENODEV || errno == EINVAL)
				continue; /* CPU offline */
			attach_error(s, ap, "perf events need CONFIG_PERF_EVENTS and root",
				     "perf_event_open for %s failed: %s", ap->raw, strerror(errno));
			return -1;
		}
		struct bpf_link *l = bpf_program__attach_perf_event(prog, fd);
		if (!l) {
			int e = errno;
			close(fd);
			attach_error(s, ap, NULL, "attaching %s failed: %s", ap->raw, strerror(e));
			return -1;
		}
		push_link(s, l, fd);
		attached++;
	}
	return attached ? 0 : -1;
}

static int attach_interval(struct session *s, const struct attach_point *ap, struct bpf_program *prog,
			   UNUSED const struct names *targets)
{
	return attach_perf(s, ap, prog, 1);
}

static int attach_profile(struct session *s, const struct attach_point *ap, struct bpf_program *prog,
			  UNUSED const struct names *targets)
{
	return attach_perf(s, ap, prog, libbpf_num_possible_cpus());
}

/* software:EVENT[:COUNT], hardware:EVENT[:COUNT]: the event on every CPU,
** sampled every COUNT (else the event's default), as bpftrace 0.17 */
static int attach_perfev(struct session *s, const struct attach_point *ap, struct bpf_program *prog,
			 UNUSED const struct names *targets)
{
	const struct perf_event_name *ev = probe_perf_event(ap);
	struct perf_event_attr a = { 0 };
	if (!ev)
		return -1; /* sema refused it */
	a.size = sizeof(a);
	a.type = probe_kinds[ap->type].perf_type;
	a.config = ev->config;
	a.sample_period = ap->freq > 0 ? (uint64_t)ap->freq : ev->defaultp;
	int attached = 0, ncpu = libbpf_num_possible_cpus();
	for (int cpu = 0; cpu < ncpu; cpu++) {
		int fd = perf_open(&a, cpu);
		if (fd < 0) {
			if (errno == ENODEV && a.type == PERF_TYPE_SOFTWARE)
				continue; /* CPU offline */
			attach_error(s, ap, a.type == PERF_TYPE_HARDWARE ?
				     "hardware events need a CPU (or VM) with a PMU the kernel supports: try software:" :
				     "perf events need CONFIG_PERF_EVENTS and root",
				     "perf_event_open for %s failed: %s", ap->raw, strerror(errno));
			return -1;
		}
		struct bpf_link *l = bpf_program__attach_perf_event(prog, fd);
		if (!l) {
			int e = errno;
			close(fd);
			attach_error(s, ap, NULL, "attaching %s failed: %s", ap->raw, strerror(e));
			return -1;
		}
		push_link(s, l, fd);
		attached++;
	}
	return attached ? 0 : -1;
}

/*
** watchpoint:ADDR:LEN:MODE: a hardware breakpoint (perf's
** PERF_TYPE_BREAKPOINT) on every CPU, or on the -p/-c process alone,
** firing on each access, as bpftrace 0.17
*/
static int attach_watch(struct session *s, const struct attach_point *ap, struct bpf_program *prog,
			UNUSED const struct names *targets)
{
	struct perf_event_attr a = { 0 };
	a.size = sizeof(a);
	a.type = PERF_TYPE_BREAKPOINT;
	a.bp_type = !strcmp(ap->wp_mode, "x") ? HW_BREAKPOINT_X :
		    (strchr(ap->wp_mode, 'r') ? HW_BREAKPOINT_R : 0) | (strchr(ap->wp_mode, 'w') ? HW_BREAKPOINT_W : 0);
	a.bp_addr = ap->wp_addr;
	a.bp_len = a.bp_type == HW_BREAKPOINT_X ? sizeof(long) : (uint64_t)ap->wp_len;
	a.sample_period = 1;
	pid_t pid = s->child > 0 ? s->child : s->opt->pid > 0 ? (pid_t)s->opt->pid : -1;
	int ncpu = pid > 0 ? 1 : libbpf_num_possible_cpus(), attached = 0;
	for (int cpu = 0; cpu < ncpu; cpu++) {
		int fd = (int)syscall(__NR_perf_event_open, &a, pid, pid > 0 ? -1 : cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			if (errno == ENODEV)
				continue; /* CPU offline */
			attach_error(s, ap, errno == ENOSPC ? "the CPU has 4 debug registers: watch fewer addresses" :
				     "a watchpoint needs an address that can be watched (aligned to its length) and root",
				     "perf_event_open for %s failed: %s", ap->raw, strerror(errno));
			return -1;
		}
		struct bpf_link *l = bpf_program__attach_perf_event(prog, fd);
		if (!l) {
			int e = errno;
			close(fd);
			attach_error(s, ap, NULL, "attaching %s failed: %s", ap->raw, strerror(e));
			return -1;
		}
		push_link(s, l, fd);
		attached++;
	}
	return attached ? 0 : -1;
}

/* software:*, hardware:*: the event names with a ':' for the count, as
** later bpftrace lists them (0.17 prints the pattern back: README) */
static int list_perfev(UNUSED struct kernel *k, enum probe_type t, const struct lister *l)
{
	for (const struct perf_event_name *e = probe_kinds[t].events; e && e->name; e++)
		if (!fnmatch(l->pat, e->name, 0))
			fprintf(l->o, "%s:%s:\n", probe_type_names[t], e->name);
	return 0;
}

/* BEGIN, END: not attached, run_special runs them */
static int attach_none(UNUSED struct session *s, UNUSED const struct attach_point *ap,
		       UNUSED struct bpf_program *prog, UNUSED const struct names *targets)
{
	return 0;
}

static struct bpf_link *link_kprobe(struct bpf_program *prog, const struct attach_point *ap, const char *t,
				    uint64_t cookie)
{
	LIBBPF_OPTS(bpf_kprobe_opts, ko, .bpf_cookie = cookie, .retprobe = probe_kinds[ap->type].retval,
		    .offset = (size_t)ap->offset);
	return bpf_program__attach_kprobe_opts(prog, t, &ko);
}

static struct bpf_link *link_tracepoint(struct bpf_program *prog, UNUSED const struct attach_point *ap, const char *t,
					uint64_t cookie)
{
	char cat[256];
	snprintf(cat, sizeof(cat), "%.*s", (int)strcspn(t, ":"), t);
	LIBBPF_OPTS(bpf_tracepoint_opts, to, .bpf_cookie = cookie);
	return bpf_program__attach_tracepoint_opts(prog, cat, t + strlen(cat) + 1, &to);
}

/* kfunc/kretfunc: the program was loaded for its function's BTF id
 * (section fentry/FUNC): one trampoline link */
static int attach_trace(struct session *s, const struct attach_point *ap, struct bpf_program *prog,
			UNUSED const struct names *targets)
{
	struct bpf_link *l = bpf_program__attach_trace(prog);
	if (!l) {
		int e = errno;
		attach_error(s, ap, e == 524 /* ENOTSUPP */ || e == EOPNOTSUPP ?
			     "kfunc probes need BPF trampolines (Linux 5.5+ on x86-64)" : NULL,
			     "Error attaching probe: '%s': %s", ap->raw, strerror(e));
		return -1;
	}
	push_link(s, l, -1);
	return 0;
}

/* a link made (kept until detach_all), or its error (errno e) at the
 * attach point */
static int keep_link(struct session *s, const struct attach_point *ap, struct bpf_link *l, int e,
		     const char *name)
{
	if (!l) {
		attach_error(s, ap, NULL, "Error attaching probe: '%s': %s", name, strerror(e));
		return -1;
	}
	push_link(s, l, -1);
	return 0;
}

/* uprobe, uretprobe: one link per "BINARY:FUNC" target, its name's index
 * as the bpf_cookie (probe, func); in the -p process only when given */
static int attach_uprobe(struct session *s, const struct attach_point *ap, struct bpf_program *prog,
			 const struct names *targets)
{
	for (int i = 0; i < targets->n && !out_stopped(&s->out); i++) {
		const char *t = targets->v[i], *colon = strrchr(t, ':');
		char bin[4096], name[4700];
		snprintf(bin, sizeof(bin), "%.*s", (int)(colon - t), t);
		if (ap->offset)
			snprintf(name, sizeof(name), "%s:%s+%llu", probe_type_names[ap->type], t, (unsigned long long)ap->offset);
		else
			snprintf(name, sizeof(name), "%s:%s", probe_type_names[ap->type], t);
		char *path = uelf_resolve(bin, s->opt->pid);
		size_t off = (size_t)ap->offset;
		const char *func = colon + 1;
		if (ap->address) {
			int64_t fo = path ? uelf_vaddr_to_offset(path, ap->address) : -1;
			if (fo < 0) {
				attach_error(s, ap, "give an address of the binary's code (objdump -d)",
					     "%s: 0x%llx is not in an executable segment of %s", probe_type_names[ap->type],
					     (unsigned long long)ap->address, bin);
				free(path);
				return -1;
			}
			off = (size_t)fo;
			func = NULL;
		}
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = (uint64_t)add_probe_name(s, name),
			    .retprobe = probe_kinds[ap->type].retval, .func_name = func);
		pid_t pid = s->opt->pid > 0 ? s->opt->pid : -1;
		struct bpf_link *l = path ? bpf_program__attach_uprobe_opts(prog, pid, path, off, &uo) : NULL;
		int e = path ? errno : ENOENT;
		uint64_t fa, fsz;
		bool pie;
		int64_t fo;
		/* libbpf 1.1 calls a name with several symbol versions ambiguous
		 * (libc's pthread_create@GLIBC_2.2.5 and @@GLIBC_2.34, one
		 * function): the first symbol's offset, found here */
		if (!l && path && func && e == 4001 /* LIBBPF_ERRNO__FORMAT */ &&
		    uelf_sym_addr(path, func, &fa, &fsz, &pie) && (fo = uelf_vaddr_to_offset(path, fa)) >= 0) {
			uo.func_name = NULL;
			l = bpf_program__attach_uprobe_opts(prog, pid, path, (size_t)fo + off, &uo);
			e = errno;
		}
		free(path);
		if (keep_link(s, ap, l, e, name) < 0)
			return -1;
	}
	return 0;
}

/* usdt: libbpf reads the probe's argument specs and semaphore from the
 * notes, fills its spec map and attaches a uprobe; the spec carries our
 * probe-name index (usdt_cookie) for `probe` */
static int attach_usdt(struct session *s, const struct attach_point *ap, struct bpf_program *prog,
		       const struct names *targets)
{
	for (int i = 0; i < targets->n && !out_stopped(&s->out); i++) {
		const char *t = targets->v[i];
		const char *c2 = strrchr(t, ':'), *c1 = c2;
		while (c1 > t && c1[-1] != ':')
			c1--;
		char bin[4096], prov[256], name[4700];
		snprintf(bin, sizeof(bin), "%.*s", (int)(c1 - 1 - t), t);
		snprintf(prov, sizeof(prov), "%.*s", (int)(c2 - c1), c1);
		snprintf(name, sizeof(name), "usdt:%s", t);
		char *path = uelf_resolve(bin, s->opt->pid);
		LIBBPF_OPTS(bpf_usdt_opts, uo, .usdt_cookie = (uint64_t)add_probe_name(s, name));
		struct bpf_link *l = path ? bpf_program__attach_usdt(prog, s->opt->pid > 0 ? s->opt->pid : -1, path,
								    prov, c2 + 1, &uo) : NULL;
		int e = path ? errno : ENOENT;
		free(path);
		if (keep_link(s, ap, l, e, name) < 0)
			return -1;
	}
	return 0;
}

/* iter:TARGET: a link now; events_run reads (runs) or pins it */
static int attach_iter(struct session *s, const struct attach_point *ap, struct bpf_program *prog,
		       UNUSED const struct names *targets)
{
	struct bpf_link *l = bpf_program__attach_iter(prog, NULL);
	if (keep_link(s, ap, l, errno, ap->raw) < 0)
		return -1;
	s->iter_link = l;
	s->iter_ap = ap;
	return 0;
}

/* rawtracepoint:NAME */
static int attach_rawtp(struct session *s, const struct attach_point *ap, struct bpf_program *prog,
			UNUSED const struct names *targets)
{
	struct bpf_link *l = bpf_program__attach_raw_tracepoint(prog, ap->func);
	if (!l) {
		int e = errno;
		attach_error(s, ap, e == ENOENT ? "list tracepoints with: minibt -l 'tracepoint:*'" : NULL,
			     "Error attaching probe: '%s': %s", ap->raw, strerror(e));
		return -1;
	}
	push_link(s, l, -1);
	return 0;
}

/* one link per target, each with its name's index as bpf_cookie */
static int attach_each(struct session *s, const struct attach_point *ap, struct bpf_program *prog,
		       const struct names *targets,
		       struct bpf_link *(*link)(struct bpf_program *, const struct attach_point *, const char *, uint64_t))
{
	for (int i = 0; i < targets->n && !out_stopped(&s->out); i++) {
		const char *t = targets->v[i];
		char name[600];
		if (ap->offset) /* as bpftrace names it: kprobe:vfs_read+16 */
			snprintf(name, sizeof(name), "%s:%s+%llu", probe_type_names[ap->type], t,
				 (unsigned long long)ap->offset);
		else
			snprintf(name, sizeof(name), "%s:%s", probe_type_names[ap->type], t);
		uint64_t cookie = (uint64_t)add_probe_name(s, name);
		struct bpf_link *l = link(prog, ap, t, cookie);
		if (!l) {
			int e = errno;
			if (e == EILSEQ && ap->offset) /* the kernel decodes the function: not a boundary */
				attach_error(s, ap, "give the offset of an instruction's first byte (see a disassembly of the function)",
					     "Could not add kprobe into middle of instruction: %s+%llu", t,
					     (unsigned long long)ap->offset);
			else
				attach_error(s, ap, e == ENOENT ? "check the name with: minibt -l" : NULL,
					     "Error attaching probe: '%s': %s", name, strerror(e));
			return -1;
		}
		push_link(s, l, -1);
	}
	return 0;
}

static int attach_kprobe(struct session *s, const struct attach_point *ap, struct bpf_program *prog,
			 const struct names *targets)
{
	return attach_each(s, ap, prog, targets, link_kprobe);
}

static int attach_tracepoint(struct session *s, const struct attach_point *ap, struct bpf_program *prog,
			     const struct names *targets)
{
	return attach_each(s, ap, prog, targets, link_tracepoint);
}

/* the runtime's half of each probe kind's descriptor (frontend/probes.c) */
const struct attach_kind attach_kinds[PROBE__COUNT] = {
	[PROBE_BEGIN] = { .expand = expand_none, .list = list_none, .attach = attach_none },
	[PROBE_END] = { .expand = expand_none, .list = list_none, .attach = attach_none },
	[PROBE_KPROBE] = { .expand = expand_funcs, .list = list_funcs, .attach = attach_kprobe, .newest_first = true },
	[PROBE_KRETPROBE] = { .expand = expand_funcs, .list = list_funcs, .attach = attach_kprobe },
	[PROBE_TRACEPOINT] = { .expand = expand_tracepoints, .list = list_tracepoints, .attach = attach_tracepoint },
	[PROBE_INTERVAL] = { .expand = expand_none, .list = list_none, .attach = attach_interval },
	[PROBE_PROFILE] = { .expand = expand_none, .list = list_none, .attach = attach_profile },
	[PROBE_SOFTWARE] = { .expand = expand_none, .list = list_perfev, .attach = attach_perfev },
	[PROBE_HARDWARE] = { .expand = expand_none, .list = list_perfev, .attach = attach_perfev },
	[PROBE_WATCHPOINT] = { .expand = expand_none, .list = list_none, .attach = attach_watch },
	[PROBE_KFUNC] = { .expand = expand_none, .list = list_kfuncs, .attach = attach_trace },
	[PROBE_KRETFUNC] = { .expand = expand_none, .list = list_kfuncs, .attach = attach_trace },
	[PROBE_RAWTRACEPOINT] = { .expand = expand_none, .list = list_rawtp, .attach = attach_rawtp },
	[PROBE_UPROBE] = { .expand = expand_ufuncs, .list = list_ufuncs, .attach = attach_uprobe, .newest_first = true },
	[PROBE_URETPROBE] = { .expand = expand_ufuncs, .list = list_ufuncs, .attach = attach_uprobe },
	[PROBE_USDT] = { .expand = expand_usdt, .list = list_usdt, .attach = attach_usdt },
	[PROBE_ITER] = { .expand = expand_none, .list = list_iters, .attach = attach_iter },
};

/* a glob fnmatch takes: every '[' closed */
static bool glob_ok(const char *p)
{
	for (; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
		} else if (*p == '[') {
			const char *q = p + 1;
			if (*q == '!' || *q == '^')
				q++;
			if (*q == ']')
				q++;
			while (*q && *q != ']')
				q++;
			if (!*q)
				return false;
			p = q;
		}
	}
	return true;
}

static int kind_named(const char *s, size_t n)
{
	for (int t = 0; t < PROBE__COUNT; t++) {
		const char *nm = probe_kinds[t].name, *al = probe_kinds[t].alias;
		if ((strlen(nm) == n && !strncasecmp(s, nm, n)) || (al && strlen(al) == n && !strncasecmp(s, al, n)))
			return t;
	}
	return -1;
}

int list_probes(struct kernel *k, const char *pattern, bool verbose, FILE *o)
{
	const char *pat = pattern && *pattern ? pattern : "*";
	struct lister l = { .pat = pat, .verbose = verbose, .o = o };
	if (!glob_ok(pat)) {
		diag_now(DIAG_ERROR, NULL, NULL, "close the bracket, or escape it: '\\['",
			 "invalid pattern '%s': a '[' without its ']'", pat);
		return -1;
	}
	size_t c = strcspn(pat, ":");
	int only = pat[c] ? kind_named(pat, c) : -1;
	if (only >= 0) {
		l.pat = pat[c + 1] ? pat + c + 1 : "*";
		int rc = attach_kinds[only].list(k, (enum probe_type)only, &l);
		if (rc == 1) {
			diag_now(DIAG_ERROR, NULL, NULL, "list kprobe, kretprobe or tracepoint names, e.g. -l 'tracepoint:sched:*'",
				 "%s probes have no kernel names to list", probe_type_names[only]);
			return -1;
		}
		if (rc == -3) /* said */
			return -1;
		if (rc == -2) {
			diag_now(DIAG_ERROR, NULL, NULL, "kprobes need a kernel built with CONFIG_KPROBE_EVENTS",
				 "this kernel has no kprobes (no kprobe_events in tracefs): nothing to list for '%s'", pat);
			return -1;
		}
		if (rc < 0) {
			diag_now(DIAG_ERROR, NULL, NULL, NULL, "tracefs is not mounted: mount -t tracefs tracefs /sys/kernel/tracing");
			return -1;
		}
		return 0;
	}
	/* "*ware:*": a wildcard in the kind lists each kind it matches
	 * (kinds with no names to list are passed over); a glob that
	 * matches no kind is a tracepoint category's, below */
	if (pat[c] && strcspn(pat, "*?[") < c) {
		char kind[256];
		snprintf(kind, sizeof(kind), "%.*s", (int)c, pat);
		bool any = false;
		l.pat = pat[c + 1] ? pat + c + 1 : "*";
		for (int t = 0; t < PROBE__COUNT; t++) {
			if (fnmatch(kind, probe_kinds[t].name, 0))
				continue;
			any = true;
			attach_kinds[t].list(k, (enum probe_type)t, &l);
		}
		if (any)
			return 0;
		l.pat = pat;
	}
	/* "cat:name" names a tracepoint; anything else before ':' is a
	 * kind minibt does not know */
	if (pat[c] && !has_wildcard(pat) && !strchr(pat + c + 1, ':')) {
		const char **v;
		char cat[256];
		snprintf(cat, sizeof(cat), "%.*s", (int)c, pat);
		int n = kernel_tracepoints(k, cat, "*", &v);
		free(v);
		if (n == 0) {
			const char *kinds[2 * PROBE__COUNT];
			int nk = 0;
			for (int t = 0; t < PROBE__COUNT; t++) {
				kinds[nk++] = probe_kinds[t].name;
				if (probe_kinds[t].alias)
					kinds[nk++] = probe_kinds[t].alias;
			}
			const char *sug = diag_suggest(cat, kinds, nk);
			char hint[160];
			if (sug)
				snprintf(hint, sizeof(hint), "did you mean '%s'?", sug);
			else
				snprintf(hint, sizeof(hint), "-l lists kprobe:, kretprobe: and tracepoint: names (k:, kr:, t:), or a category's tracepoints (sched:*)");
			diag_now(DIAG_ERROR, NULL, NULL, hint,
				 "invalid pattern '%s': '%s' is neither a probe type nor a tracepoint category", pat, cat);
			return -1;
		}
	}
	int listed = 0, missing = 0;
	for (int t = 0; t < PROBE__COUNT; t++) {
		/* kretprobe and kretfunc: the kprobe and kfunc names again; raw
		 * tracepoints (the tracepoints' names again, which bpftrace 0.17
		 * does not have) and user binaries' probes: listed when asked
		 * for. kfunc:vmlinux:... lines come as in bpftrace 0.17 */
		if (t == PROBE_KRETPROBE || t == PROBE_KRETFUNC || t == PROBE_RAWTRACEPOINT ||
		    t == PROBE_UPROBE || t == PROBE_URETPROBE || t == PROBE_USDT)
			continue;
		int rc = attach_kinds[t].list(k, (enum probe_type)t, &l);
		listed += rc == 0;
		missing += rc == -1;
	}
	if (!listed && missing) {
		diag_now(DIAG_ERROR, NULL, NULL, NULL, "tracefs is not mounted: mount -t tracefs tracefs /sys/kernel/tracing");
		return -1;
	}
	return 0;
}

/* targets per attach point, computed once (for the count and the attach) */
struct plan {
	const struct image_prog *p;
	const struct attach_point *ap;
	struct names targets;
};

static void plans_free(struct session *s)
{
	for (int i = 0; i < s->nplans; i++)
		names_free(&s->plans[i].targets);
	free(s->plans);
	s->plans = NULL;
	s->nplans = 0;
}

int count_targets(struct session *s)
{
	const struct image *img = &s->img;
	int total = 0, n = 0;
	plans_free(s);
	for (int i = 0; i < img->nprogs; i++)
		n += img->progs[i].naps;
	struct plan *plans = calloc((size_t)n + 1, sizeof(*plans));
	s->plans = plans;
	s->nplans = n;
	int j = 0;
	for (int i = 0; i < img->nprogs; i++) {
		const struct image_prog *p = &img->progs[i];
		int ntargets = 0;
		diag_fini(&s->missing);
		s->missing.src = &s->src;
		for (int k = 0; k < p->naps; k++, j++) {
			plans[j].p = p;
			plans[j].ap = &p->aps[k];
			if (attach_kinds[p->aps[k].type].expand(s, &p->aps[k], &plans[j].targets) < 0)
				return -1;
			ntargets += plans[j].targets.n;
		}
		/* see missing(): a probe with alternatives (several attach points,
		 * or a wildcard) loses those that are missing, with a warning,
		 * even all of them (bpftrace 0.17 runs biolatency.bt on 6.1,
		 * where neither of its start functions exists); one plain
		 * attach point that is missing is an error */
		bool alternatives = p->naps > 1 || has_wildcard(p->aps[0].func) || has_wildcard(p->aps[0].target);
		for (int k = 0; (ntargets || alternatives) && k < s->missing.n; k++) {
			struct diag *d = &s->missing.v[k];
			char *m = NULL;
			if (asprintf(&m, "%s; skipping it, %s", d->msg,
				     ntargets ? "the probe's other attach points remain"
					      : "and the probe has no attach point left on this kernel: it never fires") < 0)
				abort();
			free(d->msg);
			d->msg = m;
			d->level = DIAG_WARNING;
		}
		s->missing.nerrors = ntargets || alternatives ? 0 : s->missing.n;
		if (!s->opt->no_warnings || s->missing.nerrors)
			diag_print(&s->missing, stderr);
		int failed = s->missing.nerrors;
		diag_fini(&s->missing);
		if (failed)
			return -1;
		total += ntargets;
	}
	if (!total && img->nprogs) {
		diag_now(DIAG_ERROR, NULL, NULL, "list what this kernel has with: minibt -l",
			 "none of the probes' attach points exists on this kernel: nothing to trace");
		return -1;
	}
	/* bpftrace 0.17's safety limit: thousands of kprobes can take a
	 * machine down (BPFTRACE_MAX_PROBES, checked in session.c) */
	if ((uint64_t)total > s->max_probes) {
		diag_now(DIAG_ERROR, NULL, NULL, "narrow the wildcards, or raise the limit with BPFTRACE_MAX_PROBES=N",
			 "Can't attach to %d probes because it exceeds the current limit of %llu probes.\n"
			 "You can increase the limit through the BPFTRACE_MAX_PROBES environment variable, but BE CAREFUL "
			 "since a high number of probes attached can cause your system to crash.",
			 total, (unsigned long long)s->max_probes);
		return -1;
	}
	return total;
}

int attach_all(struct session *s)
{
	struct plan *plans = s->plans;
	/* a signal ends attaching: the caller detaches what is attached.
	 * First the oldest-first kinds in script order, then the others
	 * last to first (see attach_kind.newest_first) */
	for (int j = 0; j < 2 * s->nplans && !out_stopped(&s->out); j++) {
		int i = j < s->nplans ? j : 2 * s->nplans - 1 - j;
		const struct attach_point *ap = plans[i].ap;
		if (attach_kinds[ap->type].newest_first != (j >= s->nplans))
			continue;
		struct bpf_program *prog = prog_of(s, plans[i].p);
		if (!prog || attach_kinds[ap->type].attach(s, ap, prog, &plans[i].targets) < 0) {
			plans_free(s);
			return -1;
		}
	}
	plans_free(s);
	return 0;
}

int run_special(struct session *s, enum probe_type t)
{
	for (int i = 0; i < s->img.nprogs; i++) {
		const struct image_prog *p = &s->img.progs[i];
		if (p->aps[0].type != t)
			continue;
		struct bpf_program *prog = prog_of(s, p);
		if (!prog)
			return -1;
		LIBBPF_OPTS(bpf_test_run_opts, ro);
		if (bpf_prog_test_run_opts(bpf_program__fd(prog), &ro) < 0) {
			attach_error(s, &p->aps[0], "BEGIN and END run through BPF_PROG_TEST_RUN (Linux 5.10+)",
				     "running %s failed: %s", probe_type_names[t], strerror(errno));
			return -1;
		}
	}
	return 0;
}

void detach_all(struct session *s)
{
	for (int i = s->nlinks - 1; i >= 0; i--) {
		bpf_link__destroy(s->links[i].link);
		if (s->links[i].perf_fd >= 0)
			close(s->links[i].perf_fd);
	}
	s->nlinks = 0;
	plans_free(s);
}
