/*
** runtime/session.c: from script text to a loaded bpf_object.
**
** Compile: read -> preprocess -> parse -> sema (kernel BTF) -> codegen.
** Load: bpf_object__open_mem + bpf_object__load. libbpf's messages are
** captured rather than printed: when the verifier rejects a program the
** user sees which probe and script line, and the log's tail (all of it
** with -v), not a 2,000-line dump.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "runtime.h"

#define LOG_TAIL_LINES 12

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		abort();
	size_t r;
	while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

static int read_source(struct session *s)
{
	const struct options *o = s->opt;
	size_t len;
	if (o->prog_text) {
		s->text = strdup(o->prog_text);
		len = strlen(s->text);
		source_init(&s->src, "stdin", s->text, len);
		return 0;
	}
	FILE *f = strcmp(o->prog_file, "-") ? fopen(o->prog_file, "r") : stdin;
	if (!f) {
		diag_now(DIAG_ERROR, NULL, NULL, NULL, "failed to open %s: %s", o->prog_file, strerror(errno));
		return -1;
	}
	s->text = read_all(f, &len);
	if (f != stdin)
		fclose(f);
	if (memchr(s->text, 0, len)) {
		diag_now(DIAG_ERROR, NULL, NULL, NULL, "%s is not a text file (it contains NUL bytes)", o->prog_file);
		return -1;
	}
	/* a #! line is a comment */
	if (len > 2 && s->text[0] == '#' && s->text[1] == '!')
		for (size_t i = 0; i < len && s->text[i] != '\n'; i++)
			s->text[i] = ' ';
	source_init(&s->src, strcmp(o->prog_file, "-") ? o->prog_file : "stdin", s->text, len);
	return 0;
}

/* every named parameter must be one the script reads with getopt() */
static int check_named(struct session *s)
{
	const struct program *p = s->prog;
	int bad = 0;
	for (int i = 0; i < s->opt->nnamed; i++) {
		const char *x = s->opt->named[i];
		size_t n = strcspn(x, "=");
		bool ok = false;
		for (int k = 0; k < p->ngetopt; k++)
			ok |= strlen(p->getopt_names[k]) == n && !strncmp(p->getopt_names[k], x, n);
		if (ok)
			continue;
		char known[512] = "";
		size_t kl = 0;
		for (int k = 0; k < p->ngetopt && kl < sizeof(known) - 40; k++)
			kl += (size_t)snprintf(known + kl, sizeof(known) - kl, "%s%s%s", k ? ", " : "",
					       strlen(p->getopt_names[k]) == 1 ? "-" : "--", p->getopt_names[k]);
		char hint[600];
		snprintf(hint, sizeof(hint), p->ngetopt ? "this script takes: %s" : "this script takes no options%s", known);
		diag_error(&s->diags, NULL, hint, "unknown option '%s%.*s' for %s", n == 1 ? "-" : "--", (int)n, x,
			   s->src.name);
		bad++;
	}
	return bad ? -1 : 0;
}

/*
** -c CMD: fork the child before compiling, as bpftrace does, so that
** cpid is a constant of the program; it waits on a pipe (child_gate)
** until the probes are attached, and exits 127 if the tracer ends first
*/
static int start_child(struct session *s)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(pfd[1]);
		char c;
		/* wait until the probes are attached */
		if (read(pfd[0], &c, 1) != 1)
			_exit(127);
		close(pfd[0]);
		/* a plain command line is exec'd itself, as bpftrace splits it
		 * at spaces, so that cpid is the command's pid; one with shell
		 * syntax runs under /bin/sh (whose pid cpid is then) */
		const char *cmd = s->opt->cmd;
		if (!strpbrk(cmd, "|&;<>()$`\\\"'*?[#~={}%\n")) {
			char *copy = strdup(cmd), *save = NULL, *argv[256];
			int argc = 0;
			for (char *w = copy ? strtok_r(copy, " \t", &save) : NULL; w && argc < 255;
			     w = strtok_r(NULL, " \t", &save))
				argv[argc++] = w;
			argv[argc] = NULL;
			if (argc > 0 && argc < 255)
				execvp(argv[0], argv);
		}
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		diag_now(DIAG_ERROR, NULL, NULL, NULL, "cannot run %s: %s", s->opt->cmd, strerror(errno));
		_exit(127);
	}
	close(pfd[0]);
	s->child_gate = pfd[1];
	s->child = pid;
	s->child_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	return 0;
}

/*
** A bpftrace environment variable holding a positive integer up to max:
** 0 when unset or empty (*out untouched), -1 with bpftrace 0.17's error
** when it holds anything else
*/
static int env_uint(const char *name, uint64_t max, const char *hint, uint64_t *out)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return 0;
	char *e;
	errno = 0;
	unsigned long long n = strtoull(v, &e, 10);
	if (*e || !n || n > max || v[0] == '-' || errno) {
		diag_now(DIAG_ERROR, NULL, NULL, hint,
			 "Env var '%s' did not contain a valid uint64_t, or was zero-valued.", name);
		return -1;
	}
	*out = n;
	return 0;
}

int session_compile(struct session *s)
{
	const struct options *o = s->opt;
	s->arena = arena_new();
	s->kernel = kernel_open();
	if (read_source(s) < 0)
		return -1;
	s->diags.src = &s->src;
	if (o->cmd && !o->dry_run && !o->dump && start_child(s) < 0) {
		diag_now(DIAG_ERROR, NULL, NULL, NULL, "cannot start %s: %s", o->cmd, strerror(errno));
		return -1;
	}
	int rc = -1;
	/* BPFTRACE_BTF: another vmlinux BTF file, as bpftrace's */
	const char *btf_path = getenv("BPFTRACE_BTF");
	if (!btf_path || !*btf_path)
		btf_path = VMLINUX_BTF;
	bool have_btf = access(btf_path, R_OK) == 0;
	if (pp_run(&s->src, have_btf, &s->pp, &s->diags) < 0)
		goto out;
	s->prog = parse_program(s->arena, &s->src, &s->pp, &s->diags);
	if (!s->prog)
		goto out;
	if (o->dump & DUMP_AST) {
		ast_dump(s->prog, stdout);
		if (!(o->dump & ~DUMP_AST)) {
			rc = 0;
			goto out;
		}
	}
	s->btf = have_btf ? btfc_open(s->arena, btf_path, s->kernel) : NULL;
	s->max_probes = 512;
	if (env_uint("BPFTRACE_MAX_PROBES", UINT64_MAX, "give it the most probes to attach, e.g. BPFTRACE_MAX_PROBES=1024",
		     &s->max_probes) < 0)
		goto out;
	uint64_t slen = 0;
	if (env_uint("BPFTRACE_STRLEN", UINT64_MAX, "give it the bytes str() reads, e.g. BPFTRACE_STRLEN=128", &slen) < 0)
		goto out;
	/* as bpftrace 0.17: strings live on the 512-byte BPF stack */
	if (slen > 200) {
		diag_now(DIAG_ERROR, NULL, NULL, "strings are kept on the 512-byte BPF stack: give at most 200",
			 "'BPFTRACE_STRLEN' %llu exceeds the current maximum of 200 bytes.", (unsigned long long)slen);
		goto out;
	}
	struct sema_opts so = { .btf = s->btf, .pos = o->pos, .npos = o->npos,
				.named = o->named, .nnamed = o->nnamed, .kernel = s->kernel,
				.unsafe = o->unsafe, .has_cmd = o->cmd != NULL, .cpid = (uint32_t)s->child,
				.strlen = (uint32_t)slen };
	if (sema_check(s->prog, &so, &s->diags) < 0)
		goto out;
	kernel_forget_names(s->kernel); /* kaddr() is resolved by sema */
	if (check_named(s) < 0)
		goto out;
	for (int i = 0; o->verbose && i < s->prog->nskipped; i++)
		for (int k = 0; k < s->prog->skipped[i]->naps; k++)
			fprintf(stderr, "skipping probe %s: %s\n", s->prog->skipped[i]->aps[k].raw,
				s->prog->skipped[i]->aps[k].missing);
	struct cg_opts co = { .opt_level = 2 };
	const char *bad = getenv("MINIBT_DEBUG_VERIFIER_LINE"); /* tests of the report below */
	if (bad)
		co.bad_line = atoi(bad);
	const char *fatal = getenv("MINIBT_DEBUG_LLVM_FATAL_LINE"); /* tests of llvm_fatal */
	if (fatal)
		co.fatal_line = atoi(fatal);
	uint64_t keys = 0;
	if (env_uint("BPFTRACE_MAP_KEYS_MAX", UINT32_MAX, "give it a number of keys from 1 to 4294967295, e.g. BPFTRACE_MAP_KEYS_MAX=100000",
		     &keys) < 0)
		goto out;
	if (keys)
		co.map_keys_max = (uint32_t)keys;
	if (o->dump & DUMP_IR)
		co.dump |= CG_DUMP_IR;
	if (o->dump & DUMP_BPF)
		co.dump |= CG_DUMP_BPF;
	/*
	** Line info: LLVM copies each line's text from the file the debug
	** info names into .BTF, and the verifier log quotes it. -e scripts
	** have no file and a script path may be relative, so the file is a
	** memfd holding the text, named /proc/self/fd/N, open while LLVM emits.
	*/
	char mpath[64];
	int mfd = memfd_create("minibt-script", MFD_CLOEXEC);
	if (mfd >= 0 && write(mfd, s->src.text, s->src.len) == (ssize_t)s->src.len) {
		snprintf(mpath, sizeof(mpath), "/proc/self/fd/%d", mfd);
		co.src_path = mpath;
	}
	int crc = cg_compile(s->prog, &co, &s->img, &s->diags);
	if (mfd >= 0)
		close(mfd);
	if (crc < 0)
		goto out;
	if (s->img.ir)
		fputs(s->img.ir, stdout);
	if (s->img.asm_)
		fputs(s->img.asm_, stdout);
	rc = 0;
out:
	if (!o->no_warnings || s->diags.nerrors)
		diag_print(&s->diags, stderr);
	return rc;
}

/* ------------------------------------------------------------ loading */

static struct session *log_target; /* libbpf's print callback has no user pointer */

static int libbpf_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	struct session *s = log_target;
	if (!s || lvl == LIBBPF_DEBUG)
		return 0;
	/* the verifier log comes as one "%s" of up to megabytes: keep it whole */
	char *buf = NULL;
	int n = vasprintf(&buf, fmt, ap);
	if (n < 0)
		return 0;
	s->libbpf_log = realloc(s->libbpf_log, s->libbpf_log_len + (size_t)n + 1);
	if (!s->libbpf_log)
		abort();
	memcpy(s->libbpf_log + s->libbpf_log_len, buf, (size_t)n + 1);
	s->libbpf_log_len += (size_t)n;
	free(buf);
	return 0;
}

/*
** The verifier's complaint. The failing instruction is the last one the
** log names ("NN: (op) ..."); codegen's line table (from .BTF.ext) maps
** it to the script line and column that produced it. The reason is the
** text after that instruction; then the log's tail (all of it with -v).
*/
static void report_load_failure(struct session *s, int err)
{
	const char *log = s->libbpf_log ? s->libbpf_log : "";
	const struct image_prog *ip = NULL;
	const char *beg = NULL;
	for (int i = 0; i < s->img.nprogs; i++) {
		char pat[80];
		snprintf(pat, sizeof(pat), "prog '%s': -- BEGIN PROG LOAD LOG --", s->img.progs[i].name);
		const char *q = strstr(log, pat);
		if (q) {
			ip = &s->img.progs[i];
			beg = q + strlen(pat);
		}
	}
	const char *end = beg ? strstr(beg, "-- END PROG LOAD LOG --") : NULL;
	if (!end)
		end = log + strlen(log);
	if (!beg)
		beg = log;
	/* the last instruction line and the reason after it */
	long insn = -1;
	const char *why = NULL;
	for (const char *q = beg; q && q < end; q = strchr(q, '\n'), q = q ? q + 1 : NULL) {
		char *e;
		long v = strtol(q, &e, 10);
		if (e > q && *e == ':' && e[1] == ' ') {
			insn = v;
			why = NULL;
		} else if (insn >= 0 && !why && *q != '\n' && strncmp(q, "processed ", 10) && *q != ';') {
			why = q;
		}
	}
	char reason[256] = "";
	if (why) {
		size_t n = strcspn(why, "\n");
		snprintf(reason, sizeof(reason), ": %.*s", (int)(n < 200 ? n : 200), why);
	}
	const struct cg_line *cl = ip && insn >= 0 ? cg_line_of(ip, (uint32_t)insn) : NULL;
	const char *hint = "run with -v for the whole verifier log, or -d bpf to see the instructions";
	if (strstr(reason, "bpf_override_return"))
		hint = "override() needs a kernel built with CONFIG_BPF_KPROBE_OVERRIDE (and CONFIG_FUNCTION_ERROR_INJECTION), "
		       "and a function the kernel lists in /sys/kernel/debug/error_injection/list";
	if (cl) {
		struct loc l = { cl->line, cl->col ? cl->col : 1, cl->line, (cl->col ? cl->col : 1) + 1 };
		diag_error(&s->diags, &l, hint, "the BPF verifier rejected instruction %ld of this probe%s", insn, reason);
	} else if (ip) {
		diag_error(&s->diags, &ip->loc, hint, "the BPF verifier rejected this probe (%s)%s", strerror(-err),
			   reason);
	} else {
		diag_error(&s->diags, NULL, NULL, "loading the BPF object failed: %s", strerror(-err));
	}
	diag_print(&s->diags, stderr);
	if (s->opt->verbose) {
		fputs(log, stderr);
		return;
	}
	/* the tail: last LOG_TAIL_LINES lines of the verifier log section */
	const char *p = end;
	int lines = 0;
	while (p > beg && lines <= LOG_TAIL_LINES) {
		p--;
		if (*p == '\n')
			lines++;
	}
	if (*p == '\n')
		p++;
	fprintf(stderr, "verifier log (tail):\n%.*s", (int)(end - p), p);
}

int map_fd(struct session *s, int map_id)
{
	struct bpf_map *m = bpf_object__find_map_by_name(s->obj, s->img.maps[map_id].bpf_name);
	return m ? bpf_map__fd(m) : -1;
}

/*
** The ring buffer every event goes through. bpftrace 0.17 gives each CPU
** a perf buffer of BPFTRACE_PERF_RB_PAGES pages (default 64, 256 KiB);
** minibt's one BPF ring buffer is shared by all CPUs and sized for bursts:
** 2 MiB per possible CPU, at least 8 MiB, at most 1/32 of RAM and 256 MiB;
** a power of two, as the kernel wants. Measured in the TCG guest (2 CPUs),
** a 200,000-line printf burst from one CPU is delivered whole from 4 MiB
** up (2 MiB: 66% of it), so the default has twice that. The memory is the
** kernel's, but the kernel maps all of it into the reader, twice (the
** wrap-around mapping): 8 MiB adds 16 MiB to the tracer's RSS.
** BPFTRACE_PERF_RB_PAGES sets the pages per CPU instead, as in bpftrace.
*/
static uint32_t ringbuf_bytes(void)
{
	uint64_t ncpu = (uint64_t)libbpf_num_possible_cpus(), want = (2ULL << 20) * ncpu;
	if (want < (8ULL << 20))
		want = 8ULL << 20;
	const char *env = getenv("BPFTRACE_PERF_RB_PAGES");
	if (env && *env) {
		char *e;
		unsigned long long pages = strtoull(env, &e, 10);
		if (!*e && pages > 0 && pages <= (1ULL << 20))
			want = pages * (uint64_t)sysconf(_SC_PAGESIZE) * ncpu;
	} else {
		uint64_t ram = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
		if (want > ram / 32)
			want = ram / 32;
		if (want > (256ULL << 20))
			want = 256ULL << 20;
	}
	uint64_t size = 1ULL << 20;
	while (size * 2 <= want && size < (1ULL << 30))
		size *= 2;
	if (env && want < size) /* a small BPFTRACE_PERF_RB_PAGES: as asked, down to a page */
		for (size = (uint64_t)sysconf(_SC_PAGESIZE); size * 2 <= want;)
			size *= 2;
	return (uint32_t)size;
}

int session_load(struct session *s)
{
	if (geteuid() != 0) {
		diag_now(DIAG_ERROR, NULL, NULL, "run it with sudo",
			 "minibt needs root (or CAP_BPF and CAP_PERFMON) to load BPF programs.");
		return -1;
	}
	log_target = s;
	libbpf_set_print(libbpf_print);
	/* old kernels charge BPF memory to RLIMIT_MEMLOCK */
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	setrlimit(RLIMIT_MEMLOCK, &rl);

	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "minibt");
	s->obj = bpf_object__open_mem(s->img.elf, s->img.elf_len, &oo);
	if (!s->obj) {
		int err = -errno;
		diag_now(DIAG_ERROR, NULL, NULL, NULL, "libbpf could not open the generated object: %s", strerror(-err));
		fputs(s->libbpf_log ? s->libbpf_log : "", stderr);
		return -1;
	}
	struct bpf_map *rb = bpf_object__find_map_by_name(s->obj, s->img.ringbuf_name);
	if (rb)
		bpf_map__set_max_entries(rb, ringbuf_bytes());
	if (rb && s->opt->verbose)
		fprintf(stderr, "ring buffer: %u KiB\n", bpf_map__max_entries(rb) >> 10);
	int err = bpf_object__load(s->obj);
	if (err) {
		report_load_failure(s, err);
		return -1;
	}
	if (s->opt->verbose) {
		for (int i = 0; i < s->img.nprogs; i++) {
			struct bpf_program *bp = bpf_object__find_program_by_name(s->obj, s->img.progs[i].name);
			const struct image_prog *ip = &s->img.progs[i];
			fprintf(stderr, "%s:%d: %s: %zu BPF instructions\n", s->src.name, ip->loc.line,
				ip->aps[0].raw, bp ? bpf_program__insn_cnt(bp) : 0);
		}
	}
	return 0;
}

void session_free(struct session *s)
{
	events_skb_close(s); /* an error path may leave them open */
	usyms_free(s->out.usyms);
	s->out.usyms = NULL;
	detach_all(s);
	if (s->rb)
		ring_buffer__free(s->rb);
	if (s->obj)
		bpf_object__close(s->obj);
	if (s->sigfd >= 0)
		close(s->sigfd);
	if (s->child_gate >= 0) /* never attached: the child exits 127 */
		close(s->child_gate);
	if (s->child > 0)
		waitpid(s->child, NULL, 0);
	if (s->child_pidfd >= 0)
		close(s->child_pidfd);
	if (s->outf && s->outf != stdout)
		fclose(s->outf);
	else if (s->outf)
		fflush(s->outf);
	cg_image_free(&s->img);
	btfc_close(s->btf);
	kernel_close(s->kernel);
	pp_free(&s->pp);
	diag_fini(&s->diags);
	source_fini(&s->src);
	free(s->text);
	free(s->links);
	for (int i = 0; i < s->nprobe_names; i++)
		free(s->probe_names[i]);
	free(s->probe_names);
	free(s->libbpf_log);
	arena_free(s->arena);
	log_target = NULL;
}
