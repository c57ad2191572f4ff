/*
** runtime/events.c: the lifecycle of a loaded program.
**
**   Attaching N probes...   (to the output, flushed: the user knows it is live)
**   BEGIN                    BPF_PROG_TEST_RUN, then its events drained
**   attach the rest          unless BEGIN called exit()
**   poll                     ring buffer + signalfd (+ pidfd of -c CMD / -p PID)
**   detach, END, drain       so END's output survives
**   maps                     printed once, as bpftrace prints them
**
** Each ring buffer record is {u64 id; payload}; image.events[id] says
** how to decode it. SIGINT, SIGTERM and SIGHUP all end the run the same
** way and exit 0.
*/
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "runtime.h"

static int stack_cb(void *arg, int64_t id, uint64_t *ips, int max)
{
	struct session *s = arg;
	/* the id is in the map keeping max frames (codegen.h) */
	const char *name = NULL;
	for (int i = 0; i < s->img.nstackmaps; i++)
		if (s->img.stackmap_frames[i] == max)
			name = s->img.stackmap_names[i];
	if (!name || id < 0 || max > 128)
		return -1;
	struct bpf_map *m = bpf_object__find_map_by_name(s->obj, name);
	if (!m)
		return -1;
	uint64_t buf[128] = { 0 };
	uint32_t key = (uint32_t)id;
	if (bpf_map_lookup_elem(bpf_map__fd(m), &key, buf) < 0)
		return -1;
	int n = 0;
	while (n < max && buf[n])
		ips[n] = buf[n], n++;
	return n;
}

static int64_t now_ms(void);

/*
** A system() record runs a command (milliseconds; under load a batch of
** them is minutes): after one, the batch ends when a signal waits or the
** second after a signal is over, so Ctrl-C is not kept waiting.
*/
static bool command_batch_over(const struct session *s)
{
	struct pollfd p = { .fd = s->sigfd, .events = POLLIN };
	if (s->signal_ms)
		return now_ms() - s->signal_ms > 1000;
	return s->sigfd >= 0 && poll(&p, 1, 0) > 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;
	if (size >= 8 && s->skipping && !s->exiting)
		s->skipped++;
	if (size < 8 || s->exiting || s->skipping)
		return ++s->batch >= EV_BATCH ? -ENOBUFS : 0;
	uint64_t id;
	memcpy(&id, data, 8);
	const struct image *img = &s->img;
	if (id >= (uint64_t)img->nevents)
		return 0;
	const struct event *e = img->events[id];
	const uint8_t *payload = (const uint8_t *)data + 8;
	switch (e->kind) {
	case EV_PRINTF:
		fmt_printf(&s->out, e, payload);
		break;
	case EV_SYSTEM:
		fmt_system(&s->out, e, payload);
		if (command_batch_over(s))
			return -ENOBUFS;
		break;
	case EV_CAT:
		fmt_cat(&s->out, e, payload);
		break;
	case EV_JOIN:
		fmt_join(&s->out, e, payload);
		break;
	case EV_TIME:
		fmt_time(&s->out, e);
		break;
	case EV_EXIT:
		s->exiting = true;
		break;
	case EV_PRINT:
		mapout_print(&s->out, &img->maps[e->map], map_fd(s, e->map), e->top, e->div);
		break;
	case EV_CLEAR:
		mapout_clear(&s->out, &img->maps[e->map], map_fd(s, e->map));
		break;
	case EV_ZERO:
		mapout_zero(&s->out, &img->maps[e->map], map_fd(s, e->map));
		break;
	case EV_PRINTMAP:
		mapout_printmap(&s->out, &img->maps[e->map], map_fd(s, e->map), e);
		break;
	case EV_PRINTV:
		fmt_printv(&s->out, e->argty[0], payload);
		break;
	case EV_SKBOUTPUT: /* through the perf buffer (on_skb), never here */
		break;
	}
	/* a full batch ends this ring_buffer__consume (libbpf has consumed
	 * this record already): the caller flushes and looks at signals */
	return ++s->batch >= EV_BATCH ? -ENOBUFS : 0;
}

/*
** One batch of records (at most EV_BATCH), then the output is flushed
** (unless -B full): one write per batch instead of one per line, and a
** line is on the screen as soon as its batch was read. Under a burst the
** producers may refill the buffer as fast as it drains, so a drain is
** bounded: the poll loop sees Ctrl-C between two batches. Returns 1 when
** records may be left.
*/
int events_drain(struct session *s)
{
	if (!s->rb)
		return 0;
	s->batch = 0;
	int r = ring_buffer__consume(s->rb);
	if (s->outf && s->opt->buffering != 2)
		fflush(s->outf);
	return r == -ENOBUFS;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
** Everything left, once the probes are detached (nothing refills it).
** After a signal the user wants the run to end: what is left is printed
** for at most a second (a full ring buffer is ~200,000 lines, seconds on
** a slow terminal), then read without printing and reported as lost, as
** is everything after a second signal.
*/
static void drain_all(struct session *s)
{
	while (events_drain(s)) {
		if (out_stopped(&s->out) || (s->signal_ms && now_ms() - s->signal_ms > 1000))
			s->skipping = true;
	}
}

static uint64_t lost_events(struct session *s)
{
	struct bpf_map *m = bpf_object__find_map_by_name(s->obj, s->img.lost_name);
	if (!m)
		return 0;
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v = calloc((size_t)ncpu, 8), total = 0;
	uint32_t k = 0;
	if (v && bpf_map_lookup_elem(bpf_map__fd(m), &k, v) == 0)
		for (int i = 0; i < ncpu; i++)
			total += v[i];
	free(v);
	return total;
}

static void set_elapsed_base(struct session *s)
{
	struct bpf_map *m = bpf_object__find_map_by_name(s->obj, s->img.elapsed_name);
	if (!m)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	uint32_t k = 0;
	bpf_map_update_elem(bpf_map__fd(m), &k, &now, BPF_ANY);
}

static int setup_output(struct session *s)
{
	const struct options *o = s->opt;
	s->outf = stdout;
	if (o->out_file) {
		s->outf = fopen(o->out_file, "w");
		if (!s->outf) {
			diag_now(DIAG_ERROR, NULL, NULL, NULL, "cannot write %s: %s", o->out_file, strerror(errno));
			s->outf = NULL;
			return -1;
		}
	}
	/* events show as they happen, even into a pipe, as bpftrace's line
	 * buffering: flushed after each batch read from the ring buffer
	 * (events_drain) and after anything else printed; -B full: when the
	 * buffer is full */
	if (o->buffering == 0 || o->buffering == 1)
		setvbuf(s->outf, NULL, _IOFBF, 1 << 16);
	else if (o->buffering == 2)
		setvbuf(s->outf, NULL, _IOFBF, 1 << 16);
	else if (o->buffering == 3)
		setvbuf(s->outf, NULL, _IONBF, 0);
	s->out.out = s->outf;
	s->out.format = o->format;
	s->out.stack = stack_cb;
	s->out.stack_arg = s;
	s->out.kernel = s->kernel;
	s->out.ncpus = libbpf_num_possible_cpus();
	/* static probe names: one per probe, for BEGIN/END/interval/profile */
	for (int i = 0; i < s->img.nprogs; i++) {
		const struct attach_point *ap = &s->img.progs[i].aps[0];
		char name[512];
		if (probe_kinds[ap->type].timed || (probe_kinds[ap->type].events && ap->freq))
			snprintf(name, sizeof(name), "%s:%s:%lld", probe_type_names[ap->type], ap->target,
				 (long long)ap->freq);
		else if (probe_kinds[ap->type].events) /* software:faults, as written */
			snprintf(name, sizeof(name), "%s:%s", probe_type_names[ap->type], ap->target);
		else if (probe_kinds[ap->type].expand == EXPAND_BTF_FUNCS) /* kfunc:vmlinux:vfs_read */
			snprintf(name, sizeof(name), "%s:%s:%s", probe_type_names[ap->type], ap->target, ap->func);
		else if (ap->type == PROBE_RAWTRACEPOINT)
			snprintf(name, sizeof(name), "%s:%s", probe_type_names[ap->type], ap->func);
		else if (ap->type == PROBE_WATCHPOINT)
			snprintf(name, sizeof(name), "watchpoint:0x%llx:%d:%s", (unsigned long long)ap->wp_addr,
				 ap->wp_len, ap->wp_mode);
		else
			snprintf(name, sizeof(name), "%s", probe_type_names[ap->type]);
		add_probe_name(s, name);
	}
	return 0;
}

/*
** Run the script's iterator: read it to the end (its program runs once
** per object; printf goes through the ring buffer as elsewhere), or with
** iter:TARGET:PIN pin it in bpffs for others to read, as bpftrace 0.17
*/
int run_iter(struct session *s)
{
	const struct attach_point *ap = s->iter_ap;
	int lfd = bpf_link__fd(s->iter_link);
	if (*ap->target) {
		char pin[4096];
		snprintf(pin, sizeof(pin), "%s%s", ap->target[0] == '/' ? "" : "/sys/fs/bpf/", ap->target);
		if (bpf_obj_pin(lfd, pin) < 0) {
			diag_now(DIAG_ERROR, &s->src, &ap->loc, "the pin path must be in a mounted bpffs (/sys/fs/bpf) and not exist",
				 "Failed to pin iter probe link to %s: %s", pin, strerror(errno));
			return -1;
		}
		fprintf(s->outf, "Program pinned to %s\n", pin);
		return 0;
	}
	int fd = bpf_iter_create(lfd);
	if (fd < 0) {
		diag_now(DIAG_ERROR, &s->src, &ap->loc, NULL, "Failed to open iter probe link: %s", strerror(errno));
		return -1;
	}
	char buf[4096];
	while (read(fd, buf, sizeof(buf)) > 0 && !out_stopped(&s->out))
		events_drain(s); /* its output as it comes */
	close(fd);
	return 0;
}

/* ------------------------------------------------------------ skboutput */

/*
** skboutput(): each record is bpf_skb_output's { event id, len, boot ns }
** and the packet's bytes, written to the event's pcap file (libpcap's
** format, LINKTYPE_RAW as bpftrace 0.17's DLT_RAW) from its offset on,
** time-stamped with the wall clock
*/
static void on_skb(void *ctx, UNUSED int cpu, void *data, uint32_t size)
{
	struct session *s = ctx;
	uint64_t h[3];
	if (size < sizeof(h))
		return;
	memcpy(h, data, sizeof(h));
	if (h[0] >= (uint64_t)s->img.nevents || !s->pcaps[h[0]])
		return;
	const struct event *e = s->img.events[h[0]];
	uint64_t len = h[1] < size - sizeof(h) ? h[1] : size - sizeof(h), off = (uint64_t)e->top;
	if (off > len)
		off = len;
	uint64_t ns = h[2] + (uint64_t)s->boot_wall_ns;
	uint32_t rec[4] = { (uint32_t)(ns / 1000000000), (uint32_t)(ns % 1000000000 / 1000),
			    (uint32_t)(len - off), (uint32_t)(len - off) };
	fwrite(rec, sizeof(rec), 1, s->pcaps[h[0]]);
	fwrite((const uint8_t *)data + sizeof(h) + off, 1, len - off, s->pcaps[h[0]]);
}

static void on_skb_lost(void *ctx, UNUSED int cpu, __u64 n)
{
	struct session *s = ctx;
	s->skipped += n;
}

/* the pcap files (one per path, written from the start) and the perf
 * buffer they are fed from */
static int skb_open(struct session *s)
{
	if (!s->img.skb_name)
		return 0;
	s->pcaps = calloc((size_t)s->img.nevents + 1, sizeof(FILE *));
	if (!s->pcaps)
		return -1;
	for (int i = 0; i < s->img.nevents; i++) {
		const struct event *e = s->img.events[i];
		if (e->kind != EV_SKBOUTPUT)
			continue;
		for (int j = 0; j < i && !s->pcaps[i]; j++)
			if (s->pcaps[j] && !strcmp(s->img.events[j]->fmtstr, e->fmtstr))
				s->pcaps[i] = s->pcaps[j];
		if (s->pcaps[i])
			continue;
		if (!(s->pcaps[i] = fopen(e->fmtstr, "we"))) {
			diag_now(DIAG_ERROR, &s->src, &e->loc, NULL, "skboutput: cannot write %s: %s", e->fmtstr, strerror(errno));
			return -1;
		}
		/* magic, version 2.4, zone, sigfigs, snaplen, LINKTYPE_RAW */
		uint32_t gh[6] = { 0xa1b2c3d4, 2 | (4 << 16), 0, 0, 65535, 101 };
		fwrite(gh, sizeof(gh), 1, s->pcaps[i]);
	}
	struct timespec rt, bt;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	s->boot_wall_ns = (rt.tv_sec - bt.tv_sec) * 1000000000LL + (rt.tv_nsec - bt.tv_nsec);
	struct bpf_map *m = bpf_object__find_map_by_name(s->obj, s->img.skb_name);
	s->skb_pb = m ? perf_buffer__new(bpf_map__fd(m), 64, on_skb, on_skb_lost, s, NULL) : NULL;
	if (!s->skb_pb) {
		diag_now(DIAG_ERROR, NULL, NULL, NULL, "skboutput: cannot open the perf buffer: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void events_skb_close(struct session *s)
{
	if (s->skb_pb) {
		perf_buffer__consume(s->skb_pb);
		perf_buffer__free(s->skb_pb);
		s->skb_pb = NULL;
	}
	for (int i = 0; s->pcaps && i < s->img.nevents; i++) {
		if (!s->pcaps[i])
			continue;
		FILE *f = s->pcaps[i];
		for (int j = i; j < s->img.nevents; j++)
			if (s->pcaps[j] == f)
				s->pcaps[j] = NULL;
		fclose(f);
	}
	free(s->pcaps);
	s->pcaps = NULL;
}

/* every map: at exit after two blank lines, on SIGUSR1 without them */
static void print_maps(struct session *s, bool at_exit)
{
	int *fdv = calloc((size_t)s->img.nmaps + 1, sizeof(int));
	for (int i = 0; fdv && i < s->img.nmaps; i++)
		fdv[i] = map_fd(s, i);
	if (fdv && at_exit)
		mapout_print_all(&s->out, s->img.maps, s->img.nmaps, fdv);
	else if (fdv)
		mapout_print_maps(&s->out, s->img.maps, s->img.nmaps, fdv);
	free(fdv);
}

int events_run(struct session *s)
{
	if (setup_output(s) < 0)
		return -1;
	s->out.probe_names = (const char *const *)s->probe_names;
	s->out.nprobe_names = s->nprobe_names;

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1); /* print the maps now, as bpftrace */
	sigprocmask(SIG_BLOCK, &set, NULL);
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	s->out.sigfd = s->sigfd;

	struct bpf_map *rbm = bpf_object__find_map_by_name(s->obj, s->img.ringbuf_name);
	s->rb = ring_buffer__new(bpf_map__fd(rbm), on_event, s, NULL);
	if (!s->rb) {
		diag_now(DIAG_ERROR, NULL, NULL, NULL, "cannot open the ring buffer: %s", strerror(errno));
		return -1;
	}
	/* -p PID: the run ends when that process does, as bpftrace's */
	if (s->opt->pid > 0) {
		s->child_pidfd = (int)syscall(SYS_pidfd_open, s->opt->pid, 0);
		if (s->child_pidfd < 0) {
			diag_now(DIAG_ERROR, NULL, NULL, NULL, "-p %d: %s", (int)s->opt->pid,
				errno == ESRCH ? "no such process" : strerror(errno));
			return -1;
		}
	}
	if (skb_open(s) < 0)
		return -1;
	int n = count_targets(s);
	if (n < 0)
		return -1;
	if (s->opt->quiet)
		; /* -q */
	else if (s->opt->format == OUT_JSON)
		fprintf(s->outf, "{\"type\": \"attached_probes\", \"data\": {\"probes\": %d}}\n", n);
	else
		fprintf(s->outf, "Attaching %d probe%s...\n", n, n == 1 ? "" : "s");
	fflush(s->outf);

	set_elapsed_base(s);
	if (run_special(s, PROBE_BEGIN) < 0)
		return -1;
	drain_all(s);
	s->out.probe_names = (const char *const *)s->probe_names;
	if (!s->exiting && attach_all(s) < 0) {
		if (s->child > 0)
			kill(s->child, SIGKILL);
		return -1;
	}
	s->out.probe_names = (const char *const *)s->probe_names;
	s->out.nprobe_names = s->nprobe_names;
	if (s->iter_link && !s->exiting) { /* iter: run it, then end as exit() does */
		if (run_iter(s) < 0)
			return -1;
		drain_all(s);
		s->exiting = true;
	}
	if (s->child_gate >= 0) { /* -c: the command runs now */
		ssize_t w = write(s->child_gate, "g", 1);
		(void)w;
		close(s->child_gate);
		s->child_gate = -1;
	}

	struct pollfd fds[4];
	int nfds = 0;
	fds[nfds++] = (struct pollfd){ .fd = ring_buffer__epoll_fd(s->rb), .events = POLLIN };
	fds[nfds++] = (struct pollfd){ .fd = s->sigfd, .events = POLLIN };
	/* [2]: the -c/-p process's pidfd, or -1 (poll skips it) */
	fds[nfds++] = (struct pollfd){ .fd = s->child_pidfd, .events = POLLIN };
	if (s->skb_pb)
		fds[nfds++] = (struct pollfd){ .fd = perf_buffer__epoll_fd(s->skb_pb), .events = POLLIN };
	/* a signal read while printing a map (out.stop) ends the run with
	 * what it printed; one read here ends the tracing and the maps are
	 * still printed at exit, unless another signal comes */
	bool printing_stopped = false;
	while (!s->exiting && !s->out.stop) {
		int r = poll(fds, (nfds_t)nfds, -1);
		if (r < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			events_drain(s);
		if (s->out.stop) {
			printing_stopped = true;
			break;
		}
		if (fds[1].revents) {
			struct signalfd_siginfo si;
			bool stop = false, usr1 = false;
			while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGUSR1)
					usr1 = true;
				else
					stop = true;
			}
			if (stop) {
				s->signal_ms = now_ms();
				break;
			}
			if (usr1) { /* what came before the signal first, then the maps */
				events_drain(s);
				print_maps(s, false);
				fflush(s->outf);
			}
		}
		if (nfds > 3 && fds[3].revents)
			perf_buffer__consume(s->skb_pb);
		if (fds[2].fd >= 0 && fds[2].revents) {
			if (s->child > 0)
				waitpid(s->child, NULL, 0);
			s->child = 0;
			break;
		}
	}
	/* detach first so no new events race END's output */
	if (!s->out.stop)
		events_drain(s);
	detach_all(s);
	if (s->out.stop && !s->signal_ms)
		s->signal_ms = now_ms();
	if (!printing_stopped) /* a signal during attach or drain */
		s->out.stop = false;
	/* after exit(), records that raced the detach are dropped too, as
	** bpftrace ignores events once it finalizes */
	if (s->exiting)
		drain_all(s);
	s->exiting = false;
	run_special(s, PROBE_END);
	drain_all(s);
	events_skb_close(s);
	print_maps(s, true);
	uint64_t lost = lost_events(s) + s->skipped;
	/* as bpftrace's output::lost_events: on the output stream */
	if (lost && s->opt->format == OUT_JSON)
		fprintf(s->outf, "{\"type\": \"lost_events\", \"data\": {\"events\": %llu}}\n",
			(unsigned long long)lost);
	else if (lost)
		fprintf(s->outf, "Lost %llu events\n", (unsigned long long)lost);
	fflush(s->outf);
	if (s->child > 0) {
		kill(s->child, SIGTERM);
		waitpid(s->child, NULL, 0);
	}
	s->exit_code = 0;
	return 0;
}
