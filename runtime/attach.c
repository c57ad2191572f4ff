/*
** runtime/attach.c: attach points to links.
**
** A designated-initializer table, indexed by the probe type enum, says
** how each kind attaches (ply's provider descriptors, bpftrace's
** attached_probe.cpp). Wildcards are expanded here against the running
** kernel: kprobes against available_filter_functions, tracepoints
** against tracefs' events directory. Each kprobe/tracepoint target gets
** a bpf_cookie, the index of its name for the `probe` builtin. Links are
** destroyed in reverse order by detach_all() on every exit path.
*/
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <linux/perf_event.h>
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

/*
** The list of traceable kernel functions: available_filter_functions when
** tracefs lets us read it, else the text symbols of /proc/kallsyms (a
** superset: some are notrace). NULL when neither can be read.
*/
static FILE *open_funcs(bool *kallsyms)
{
	const char *root = tracefs_root();
	FILE *f = NULL;
	*kallsyms = false;
	if (root) {
		char path[256];
		snprintf(path, sizeof(path), "%s/available_filter_functions", root);
		f = fopen(path, "r");
	}
	if (!f) {
		f = fopen("/proc/kallsyms", "r");
		*kallsyms = true;
	}
	if (f) {
		static char buf[1 << 16]; /* kallsyms: ~120k-200k lines */
		setvbuf(f, buf, _IOFBF, sizeof(buf));
	}
	return f;
}

/* the function name on one line of that list ("name [module]", or kallsyms'
 * "addr t name [module]"), cut in place; NULL for other kallsyms symbols */
static const char *func_name(char *line, bool kallsyms)
{
	char *name = line;
	if (kallsyms) { /* no sscanf: this runs for every kernel symbol */
		char *sp = strchr(line, ' ');
		if (!sp || (sp[1] != 't' && sp[1] != 'T') || sp[2] != ' ')
			return NULL;
		name = sp + 3;
	}
	name[strcspn(name, " \t\n")] = 0;
	return *name ? name : NULL;
}

/* Traceable kernel functions matching pattern (NULL: all), sorted, unique. */
static int kernel_funcs(const char *pattern, struct names *out)
{
	bool kallsyms;
	FILE *f = open_funcs(&kallsyms);
	if (!f)
		return -1;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		const char *name = func_name(line, kallsyms);
		/* a wildcard leaves out .cold/.isra/.constprop clones unless it
		 * asks for them (kprobe:lookup_fast.constprop.*): 'tcp_*' would
		 * otherwise attach to a function and to its clone; a listing
		 * (NULL) sees them all */
		if (!name || (pattern && strchr(name, '.') && !strchr(pattern, '.')))
			continue;
		if (!pattern || !fnmatch(pattern, name, 0))
			names_add(out, name);
	}
	fclose(f);
	if (out->n) /* qsort(NULL, 0) is undefined */
		qsort(out->v, (size_t)out->n, sizeof(char *), cmp_str);
	int k = 0;
	for (int i = 0; i < out->n; i++) {
		if (k && !strcmp(out->v[k - 1], out->v[i])) {
			free(out->v[i]);
			continue;
		}
		out->v[k++] = out->v[i];
	}
	out->n = k;
	return 0;
}

/* which of the plain names funcs[0..n) are traceable: one scan of the list,
 * ended as soon as all are found; -1 when there is no list */
static int kernel_funcs_have(const char *const *funcs, int n, bool *found)
{
	bool kallsyms;
	FILE *f = open_funcs(&kallsyms);
	if (!f)
		return -1;
	int left = n;
	char line[512];
	for (int i = 0; i < n; i++)
		found[i] = false;
	while (left && fgets(line, sizeof(line), f)) {
		const char *name = func_name(line, kallsyms);
		for (int i = 0; name && i < n; i++)
			if (!found[i] && !strcmp(funcs[i], name)) {
				found[i] = true;
				left--;
			}
	}
	fclose(f);
	return 0;
}

static int tracepoints(const char *cat, const char *name, struct names *out)
{
	const char *root = tracefs_root();
	if (!root)
		return -1;
	char path[512];
	snprintf(path, sizeof(path), "%s/events", root);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || fnmatch(cat, e->d_name, 0))
			continue;
		char sub[768];
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		DIR *d2 = opendir(sub);
		if (!d2)
			continue;
		struct dirent *e2;
		while ((e2 = readdir(d2))) {
			if (e2->d_name[0] == '.' || e2->d_type != DT_DIR || fnmatch(name, e2->d_name, 0))
				continue;
			char full[600];
			snprintf(full, sizeof(full), "%s:%s", e->d_name, e2->d_name);
			names_add(out, full);
		}
		closedir(d2);
	}
	closedir(d);
	if (out->n) /* qsort(NULL, 0) is undefined */
		qsort(out->v, (size_t)out->n, sizeof(char *), cmp_str);
	return 0;
}

int list_probes(const char *pattern, FILE *o)
{
	struct names ks = { 0 }, tps = { 0 };
	const char *pat = pattern ? pattern : "*";
	if (kernel_funcs(NULL, &ks) < 0 && tracepoints("*", "*", &tps) < 0) {
		fprintf(stderr, "ERROR: tracefs is not mounted: mount -t tracefs tracefs /sys/kernel/tracing\n");
		return -1;
	}
	if (!ks.n)
		;
	else
		for (int i = 0; i < ks.n; i++) {
			char full[600];
			snprintf(full, sizeof(full), "kprobe:%s", ks.v[i]);
			if (!fnmatch(pat, full, 0) || !fnmatch(pat, ks.v[i], 0) || (!has_wildcard(pat) && strstr(full, pat)))
				fprintf(o, "%s\n", full);
		}
	if (!tps.n)
		tracepoints("*", "*", &tps);
	for (int i = 0; i < tps.n; i++) {
		char full[700];
		snprintf(full, sizeof(full), "tracepoint:%s", tps.v[i]);
		if (!fnmatch(pat, full, 0) || !fnmatch(pat, tps.v[i], 0) || (!has_wildcard(pat) && strstr(full, pat)))
			fprintf(o, "%s\n", full);
	}
	names_free(&ks);
	names_free(&tps);
	return 0;
}

/*
** sema_opts.probes_exist: does this kernel have these kprobe functions and
** tracepoints? The plain function names are looked up in one scan; without
** a list to look in, PRESENCE_UNKNOWN, and attaching will tell.
*/
void probes_exist(struct attach_point *const *aps, int n, enum presence *out, void *arg)
{
	const char **funcs = calloc((size_t)n, sizeof(*funcs));
	int *at = calloc((size_t)n, sizeof(*at));
	bool *found = calloc((size_t)n, sizeof(*found));
	int nf = 0;
	(void)arg;
	if (!funcs || !at || !found)
		abort();
	for (int i = 0; i < n; i++) {
		const struct attach_point *ap = aps[i];
		struct names ns = { 0 };
		int rc = -1;
		out[i] = PRESENCE_UNKNOWN;
		if ((ap->type == PROBE_KPROBE || ap->type == PROBE_KRETPROBE) && !has_wildcard(ap->func)) {
			funcs[nf] = ap->func;
			at[nf++] = i;
			continue;
		}
		if (ap->type == PROBE_KPROBE || ap->type == PROBE_KRETPROBE)
			rc = kernel_funcs(ap->func, &ns);
		else if (ap->type == PROBE_TRACEPOINT)
			rc = tracepoints(ap->target, ap->func, &ns);
		if (rc == 0)
			out[i] = ns.n ? PRESENCE_YES : PRESENCE_NO;
		names_free(&ns);
	}
	if (nf && kernel_funcs_have(funcs, nf, found) == 0)
		for (int j = 0; j < nf; j++)
			out[at[j]] = found[j] ? PRESENCE_YES : PRESENCE_NO;
	free(funcs);
	free(at);
	free(found);
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

/* expand one attach point into concrete targets ("func" or "cat:name") */
static int expand(struct session *s, const struct attach_point *ap, struct names *out)
{
	if (ap->type == PROBE_KPROBE || ap->type == PROBE_KRETPROBE) {
		struct names all = { 0 };
		/* a plain name sema found in the list needs no second look; the
		 * whole list is read to expand a wildcard, or to suggest a name */
		if (!has_wildcard(ap->func) && ap->presence == PRESENCE_YES) {
			names_add(out, ap->func);
			return 0;
		}
		if (kernel_funcs(has_wildcard(ap->func) ? ap->func : NULL, &all) < 0) {
			if (has_wildcard(ap->func)) {
				attach_error(s, ap, "mount it: mount -t tracefs tracefs /sys/kernel/tracing",
					     "cannot expand '%s': tracefs (available_filter_functions) is not available", ap->raw);
				return -1;
			}
			names_add(out, ap->func); /* no list: let the kernel decide */
			return 0;
		}
		if (has_wildcard(ap->func)) {
			if (!all.n) {
				attach_error(s, ap, "list kernel functions with: minibt -l 'kprobe:PATTERN'",
					     "No matches for %s '%s'", probe_type_names[ap->type], ap->func);
				names_free(&all);
				return -1;
			}
			*out = all;
			return 0;
		}
		bool found = bsearch(&ap->func, all.v, (size_t)all.n, sizeof(char *), cmp_str) != NULL;
		if (!found) {
			const char *sug = diag_suggest(ap->func, (const char *const *)all.v, all.n);
			char hint[256];
			snprintf(hint, sizeof(hint), "%s%s%s", sug ? "did you mean '" : "list kernel functions with: minibt -l 'kprobe:*",
				 sug ? sug : ap->func, sug ? "'?" : "*'");
			attach_error(s, ap, hint,
				     "%s:%s: function not found (it does not exist in this kernel, or is inlined or notrace)",
				     probe_type_names[ap->type], ap->func);
			names_free(&all);
			return -1;
		}
		names_free(&all);
		names_add(out, ap->func);
		return 0;
	}
	if (ap->type == PROBE_TRACEPOINT) {
		if (tracepoints(ap->target, ap->func, out) < 0) {
			attach_error(s, ap, "mount it: mount -t tracefs tracefs /sys/kernel/tracing",
				     "tracefs is not available: cannot find tracepoint %s:%s", ap->target, ap->func);
			return -1;
		}
		if (!out->n) {
			attach_error(s, ap, "list tracepoints with: minibt -l 'tracepoint:*'",
				     has_wildcard(ap->target) || has_wildcard(ap->func) ? "No matches for tracepoint '%s:%s'"
									: "tracepoint not found: %s:%s",
				     ap->target, ap->func);
			return -1;
		}
		return 0;
	}
	names_add(out, ap->raw);
	return 0;
}

static const char *canonical(enum probe_type t)
{
	return probe_type_names[t];
}

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
static int attach_perf(struct session *s, const struct image_prog *p, const struct attach_point *ap,
		       struct bpf_program *prog)
{
	struct perf_event_attr a = { 0 };
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_CPU_CLOCK;
	int64_t n = ap->freq;
	if (!strcmp(ap->target, "hz")) {
		a.freq = 1;
		a.sample_freq = (uint64_t)n;
	} else {
		int64_t mul = !strcmp(ap->target, "s") ? 1000000000LL : !strcmp(ap->target, "ms") ? 1000000LL : 1000LL;
		a.sample_period = (uint64_t)(n * mul);
	}
	int ncpu = ap->type == PROBE_INTERVAL ? 1 : libbpf_num_possible_cpus();
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
	(void)p;
	return attached ? 0 : -1;
}

static int attach_point(struct session *s, const struct image_prog *p, const struct attach_point *ap,
			struct bpf_program *prog, struct names *targets)
{
	if (ap->type == PROBE_INTERVAL || ap->type == PROBE_PROFILE)
		return attach_perf(s, p, ap, prog);
	for (int i = 0; i < targets->n; i++) {
		const char *t = targets->v[i];
		char name[600];
		snprintf(name, sizeof(name), "%s:%s", canonical(ap->type), t);
		uint64_t cookie = (uint64_t)add_probe_name(s, name);
		struct bpf_link *l;
		if (ap->type == PROBE_TRACEPOINT) {
			char cat[256];
			snprintf(cat, sizeof(cat), "%.*s", (int)strcspn(t, ":"), t);
			LIBBPF_OPTS(bpf_tracepoint_opts, to, .bpf_cookie = cookie);
			l = bpf_program__attach_tracepoint_opts(prog, cat, t + strlen(cat) + 1, &to);
		} else {
			LIBBPF_OPTS(bpf_kprobe_opts, ko, .bpf_cookie = cookie,
				    .retprobe = ap->type == PROBE_KRETPROBE);
			l = bpf_program__attach_kprobe_opts(prog, t, &ko);
		}
		if (!l) {
			int e = errno;
			attach_error(s, ap, e == ENOENT ? "check the name with: minibt -l" : NULL,
				     "Error attaching probe: '%s': %s", name, strerror(e));
			return -1;
		}
		push_link(s, l, -1);
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
		for (int k = 0; k < p->naps; k++, j++) {
			plans[j].p = p;
			plans[j].ap = &p->aps[k];
			if (expand(s, &p->aps[k], &plans[j].targets) < 0)
				return -1;
			total += plans[j].targets.n;
		}
	}
	return total;
}

int attach_all(struct session *s)
{
	struct plan *plans = s->plans;
	for (int i = 0; i < s->nplans; i++) {
		const struct attach_point *ap = plans[i].ap;
		if (ap->type == PROBE_BEGIN || ap->type == PROBE_END)
			continue;
		struct bpf_program *prog = prog_of(s, plans[i].p);
		if (!prog || attach_point(s, plans[i].p, ap, prog, &plans[i].targets) < 0) {
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
