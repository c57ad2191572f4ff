/*
** runtime/fmt.c: printf(), time() and single values, byte for byte as
** bpftrace 0.17 prints them.
**
** printf: bpftrace hands each "literal + conversion" piece, with the
** argument widened to 64 bits (sign-extended for signed types), to
** snprintf.  So "%d" prints the low 32 bits as int, "%hhx" the low byte,
** "%ld" all 64; "%p" is glibc's ("(nil)" for 0).  We rebuild each spec
** from the parsed piece and call fprintf with the C type glibc would have
** read, which gives the same bytes.  Strings stop at their NUL or at the
** type's size; ksym, kstack, inet and probe arguments print as the text
** bpftrace makes of them (a kstack in printf is indented by 8).
**
** Values (map values, print(value)) follow bpftrace's value_to_str;
** map keys its argument_value (kstack indented by 4, pointers in hex).
** JSON lines: {"type": "printf", "data": "<escaped>"}, likewise "time";
** print(value) is {"type": "value", "data": <json>}, where strings,
** stacks, symbols, addresses and probes are quoted and tuples are arrays.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <bpf/btf.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output.h"

/* how a value is being printed */
enum fmt_mode {
	FM_VALUE, /* map value, print(value), printf %s: text */
	FM_KEY,   /* map key field: text, kstack indent 4, pointers in hex */
	FM_JSON,  /* JSON value */
};

#define FMT_STACK_DEFAULT 127 /* bpftrace's default kstack depth */

static void fmt_val(struct out_ctx *c, FILE *out, const struct type *t,
		    const uint8_t *d, enum fmt_mode mode);

/* read an integer of size bytes, sign-extended to 64 bits when sign */
static uint64_t fmt_rd(const uint8_t *d, uint32_t size, bool sign)
{
	uint8_t b8; uint16_t b16; uint32_t b32; uint64_t b64 = 0;

	switch (size) {
	case 1: memcpy(&b8, d, 1); return sign ? (uint64_t)(int8_t)b8 : b8;
	case 2: memcpy(&b16, d, 2); return sign ? (uint64_t)(int16_t)b16 : b16;
	case 4: memcpy(&b32, d, 4); return sign ? (uint64_t)(int32_t)b32 : b32;
	default: memcpy(&b64, d, size < 8 ? size : 8); return b64;
	}
}

void fmt_json_escape(FILE *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		switch (ch) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			/* bpftrace tests a signed char, so bytes >= 0x80 come
			 * out as \uffffff80..\uffffffff */
			if (ch <= 0x1f)
				fprintf(out, "\\u%04x", (unsigned)(int)ch);
			else
				fputc(ch, out);
		}
	}
}

/* bpftrace's hex_format_buffer: printable ASCII kept unless all_hex */
static void fmt_hexbuf(FILE *out, const uint8_t *d, uint32_t n, bool all_hex)
{
	for (uint32_t i = 0; i < n; i++) {
		if (!all_hex && d[i] >= 32 && d[i] <= 126)
			fputc(d[i], out);
		else
			fprintf(out, "\\x%02x", d[i]);
	}
}

/* a TY_BUF's bytes: buf()'s carry their length in byte 0 */
static void fmt_buf(FILE *out, const struct type *t, const uint8_t *d, bool all_hex, bool spaced)
{
	uint32_t n = t->size;

	if (t->kind == TY_BUF && t->blen) {
		n = d[0] < t->size - 1 ? d[0] : t->size - 1;
		d++;
	}
	if (!spaced) {
		fmt_hexbuf(out, d, n, all_hex);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		fprintf(out, i ? " %02x" : "%02x", d[i]);
}

/* ntop(): inet_ntop of the address for AF_INET/AF_INET6, else nothing */
static void fmt_inet(FILE *out, const uint8_t *d)
{
	char buf[INET6_ADDRSTRLEN];
	int64_t af;

	memcpy(&af, d, 8);
	if ((af == AF_INET || af == AF_INET6) &&
	    inet_ntop((int)af, d + 8, buf, sizeof(buf)))
		fputs(buf, out);
}

/* a kernel address as bpftrace's resolve_ksym: "name[+off]" or "0x..." */
static void fmt_ksym(struct out_ctx *c, FILE *out, uint64_t addr, bool with_off)
{
	struct ksym_hit h;

	if (kernel_ksym(c->kernel, addr, &h)) {
		fputs(h.name, out);
		if (with_off)
			fprintf(out, "+%llu", (unsigned long long)h.off);
	} else if (addr) {
		fprintf(out, "0x%llx", (unsigned long long)addr);
	} else {
		fputc('0', out); /* C++ prints a null void * as "0" */
	}
}

/*
** A kernel stack as bpftrace's get_stack: nothing if the id cannot be
** read, else "\n" and a line a frame until a zero address.
*/
/*
** A user address of process pid as bpftrace 0.17's resolve_usym (bcc's
** symbolizer): "name", "+off" after it with with_off, " (file)" with
** module; where no symbol holds it (the process gone, a stripped
** region), the address as %p prints it, and " ([unknown])"
*/
/* libstdc++'s demangler (minibt links libstdc++ for LLVM already) */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

static void fmt_usym(struct out_ctx *c, FILE *out, pid_t pid, uint64_t addr, bool with_off, bool module)
{
	const char *name, *file;
	uint64_t off;
	if (!c->usyms)
		c->usyms = usyms_new();
	if (c->usyms && usyms_resolve(c->usyms, pid, addr, &name, &off, &file)) {
		/* C++ names as written in the source, as bpftrace 0.17 prints
		 * them unless BPFTRACE_NO_CPP_DEMANGLE is set */
		int st = -1;
		const char *nd = getenv("BPFTRACE_NO_CPP_DEMANGLE");
		char *dm = !strncmp(name, "_Z", 2) && !(nd && *nd && strcmp(nd, "0")) ? __cxa_demangle(name, NULL, NULL, &st) : NULL;
		fputs(st == 0 && dm ? dm : name, out);
		free(dm);
		if (with_off)
			fprintf(out, "+%llu", (unsigned long long)off);
		if (module)
			fprintf(out, " (%s)", file);
	} else {
		if (addr)
			fprintf(out, "0x%llx", (unsigned long long)addr);
		else
			fputc('0', out);
		if (module)
			fputs(" ([unknown])", out);
	}
}

void fmt_kstack(struct out_ctx *c, FILE *out, const struct type *t, int64_t id,
		int indent)
{
	int max = t && t->nframes > 0 ? t->nframes : FMT_STACK_DEFAULT;
	enum stack_mode mode = t ? t->stack_mode : STACK_BPFTRACE;
	uint64_t *ips;
	int n;

	pid_t pid = 0;
	if (t && t->ustack) { /* (pid << 32) | u32 stack id */
		pid = (pid_t)((uint64_t)id >> 32);
		id = (int32_t)(uint32_t)id;
	}
	if (id < 0 || !c->stack || !(ips = calloc(max, sizeof(*ips))))
		return;
	n = c->stack(c->stack_arg, id, ips, max);
	if (n >= 0)
		fputc('\n', out);
	for (int i = 0; i < n && i < max && ips[i]; i++) {
		switch (mode) {
		case STACK_BPFTRACE:
			fprintf(out, "%*s", indent, "");
			if (t && t->ustack)
				fmt_usym(c, out, pid, ips[i], true, false);
			else
				fmt_ksym(c, out, ips[i], true);
			break;
		case STACK_PERF:
			fprintf(out, "\t%llx ", (unsigned long long)ips[i]);
			if (t && t->ustack)
				fmt_usym(c, out, pid, ips[i], true, true);
			else
				fmt_ksym(c, out, ips[i], true);
			break;
		case STACK_RAW:
			fprintf(out, "%llx", (unsigned long long)ips[i]);
			break;
		}
		fputc('\n', out);
	}
	free(ips);
}

/*
** strftime(fmt, nsecs): the monotonic nsecs as local wall-clock time
** through strftime(3) into bpftrace's 64 bytes, every %f first replaced
** by the 6-digit microseconds, as bpftrace 0.17's resolve_timestamp;
** "(?)" and its error when strftime gives nothing
*/
static void fmt_timestamp(struct out_ctx *c, FILE *out, const char *f, uint64_t nsecs)
{
	char fmt[256], buf[64];
	size_t k = 0;
	struct tm tm;

	if (!c->boot_set) {
		struct timespec rt, mono;

		clock_gettime(CLOCK_REALTIME, &rt);
		clock_gettime(CLOCK_MONOTONIC, &mono);
		c->boot_ns = ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000LL + (rt.tv_nsec - mono.tv_nsec);
		c->boot_set = true;
	}
	uint64_t t = (uint64_t)c->boot_ns + nsecs;
	time_t secs = (time_t)(t / 1000000000ULL);
	for (const char *p = f; *p && k + 8 < sizeof(fmt); p++) {
		if (p[0] == '%' && p[1] == 'f') {
			k += (size_t)snprintf(fmt + k, sizeof(fmt) - k, "%06llu",
					      (unsigned long long)(t % 1000000000ULL / 1000));
			p++;
		} else {
			fmt[k++] = *p;
		}
	}
	fmt[k] = '\0';
	size_t n = localtime_r(&secs, &tm) ? strftime(buf, sizeof(buf), fmt, &tm) : 0;
	if (n == 0) {
		diag_now(DIAG_ERROR, NULL, NULL, NULL, "strftime returned 0");
		fputs("(?)", out);
		return;
	}
	fwrite(buf, 1, n, out);
}

/* username: the name of the first /etc/passwd entry with this uid, as
 * bpftrace 0.17's resolve_uid (no NSS); nothing when there is none */
static void fmt_username(FILE *out, uint64_t uid)
{
	FILE *f = fopen("/etc/passwd", "re");
	char line[1024];

	while (f && fgets(line, sizeof(line), f)) {
		char *name = line, *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		char *end;

		if (!c2)
			continue;
		errno = 0;
		unsigned long long v = strtoull(c2 + 1, &end, 10);
		if (!errno && end != c2 + 1 && *end == ':' && v == uid) {
			fwrite(name, 1, (size_t)(c1 - name), out);
			break;
		}
	}
	if (f)
		fclose(f);
}

/* render t as text (mode FM_VALUE/FM_KEY) into a malloc'd string */
static char *fmt_text(struct out_ctx *c, const struct type *t, const uint8_t *d,
		      enum fmt_mode mode, size_t *len)
{
	char *s = NULL;
	FILE *m = open_memstream(&s, len);

	if (!m)
		return NULL;
	fmt_val(c, m, t, d, mode);
	fclose(m);
	return s;
}

/* a JSON string holding the text form of t */
static void fmt_quoted(struct out_ctx *c, FILE *out, const struct type *t,
		       const uint8_t *d)
{
	size_t n = 0;
	char *s = fmt_text(c, t, d, FM_VALUE, &n);

	fputc('"', out);
	if (s)
		fmt_json_escape(out, s, n);
	fputc('"', out);
	free(s);
}

/* resolve typedefs and modifiers; NULL if id is not a type */
static const struct btf_type *fmt_btf_type(const struct btf *b, uint32_t *id)
{
	int r = btf__resolve_type(b, *id);

	if (r < 0)
		return NULL;
	*id = (uint32_t)r;
	return btf__type_by_id(b, *id);
}

/* is id a 1-byte integer (char arrays print as strings in bpftrace) */
static bool fmt_btf_is_char(const struct btf *b, uint32_t id)
{
	const struct btf_type *bt = fmt_btf_type(b, &id);

	return bt && btf_is_int(bt) && bt->size == 1;
}

/*
** A BTF-described value (struct, union, array, int, enum, pointer), as
** bpftrace 0.17 prints records: "{ .a = 1, .b = [1,2] }" (JSON
** { "a": 1, "b": [1,2] }); char arrays as strings, pointers in decimal.
*/
static void fmt_btf(struct out_ctx *c, FILE *out, const struct btf *b, uint32_t id,
		    const uint8_t *d, enum fmt_mode mode)
{
	const struct btf_type *bt = fmt_btf_type(b, &id);
	bool json = mode == FM_JSON;

	if (!bt)
		return;
	if (btf_is_int(bt) || btf_is_enum(bt)) {
		bool sign = btf_is_enum(bt) ||
			    (btf_int_encoding(bt) & BTF_INT_SIGNED);
		uint64_t v = fmt_rd(d, bt->size, sign);

		fprintf(out, sign ? "%lld" : "%llu", (long long)v);
	} else if (btf_is_ptr(bt)) {
		fprintf(out, "%lld", (long long)fmt_rd(d, 8, true));
	} else if (btf_is_array(bt)) {
		const struct btf_array *a = btf_array(bt);
		int64_t esz = btf__resolve_size(b, a->type);

		if (fmt_btf_is_char(b, a->type)) {
			size_t n = strnlen((const char *)d, a->nelems);

			struct type st = { .kind = TY_STR, .size = (uint32_t)n };

			fmt_val(c, out, &st, d, mode);
			return;
		}
		fputc('[', out);
		for (uint32_t i = 0; i < a->nelems && esz > 0; i++) {
			if (i)
				fputc(',', out);
			fmt_btf(c, out, b, a->type, d + i * esz, mode);
		}
		fputc(']', out);
	} else if (btf_is_composite(bt)) {
		const struct btf_member *mb = btf_members(bt);

		fputs("{ ", out);
		for (int i = 0; i < btf_vlen(bt); i++) {
			const char *name = btf__name_by_offset(b, mb[i].name_off);
			uint32_t bits = btf_member_bitfield_size(bt, i);
			uint32_t off = btf_member_bit_offset(bt, i);

			if (i)
				fputs(", ", out);
			fprintf(out, json ? "\"%s\": " : ".%s = ", name ? name : "");
			if (bits) { /* little-endian bitfield */
				uint32_t at = off / 8, nb = bt->size - at < 8 ? bt->size - at : 8;
				uint64_t v = 0;

				memcpy(&v, d + at, nb);
				v = (v >> (off % 8)) & (bits >= 64 ? ~0ULL : (1ULL << bits) - 1);
				fprintf(out, "%llu", (unsigned long long)v);
			} else {
				fmt_btf(c, out, b, mb[i].type, d + off / 8, mode);
			}
		}
		fputs(" }", out);
	}
}

/* one value in one of the three modes; see the top of the file */
static void fmt_val(struct out_ctx *c, FILE *out, const struct type *t,
		    const uint8_t *d, enum fmt_mode mode)
{
	bool json = mode == FM_JSON;
	uint64_t v;

	switch (t->kind) {
	case TY_INT:
	case TY_COUNT:
	case TY_SUM:
	case TY_MIN:
	case TY_MAX:
		v = fmt_rd(d, t->kind == TY_INT ? t->size : 8,
			   t->kind == TY_INT ? t->sign : t->kind != TY_COUNT && t->sign);
		fprintf(out, (t->sign && t->kind != TY_COUNT) ? "%lld" : "%llu",
			(long long)v);
		break;
	case TY_PTR:
		v = fmt_rd(d, 8, false);
		fprintf(out, mode == FM_KEY ? "0x%llx" : "%lld", (long long)v);
		break;
	case TY_STR:
		if (json) {
			fputc('"', out);
			fmt_json_escape(out, (const char *)d, strnlen((const char *)d, t->size));
			fputc('"', out);
		} else {
			fwrite(d, 1, strnlen((const char *)d, t->size), out);
		}
		break;
	case TY_BUF:
	case TY_INET:
	case TY_KSYM:
	case TY_PROBE:
	case TY_KSTACK:
	case TY_MACADDR:
	case TY_TIMESTAMP:
	case TY_USERNAME:
	case TY_STRERROR:
	case TY_CGROUP_PATH:
	case TY_UFUNC:
	case TY_USYM:
		if (json) {
			fmt_quoted(c, out, t, d);
		} else if (t->kind == TY_USERNAME) {
			fmt_username(out, fmt_rd(d, 8, false));
		} else if (t->kind == TY_USYM) { /* { addr, pid } */
			fmt_usym(c, out, (pid_t)fmt_rd(d + 8, 8, false), fmt_rd(d, 8, false), false, false);
		} else if (t->kind == TY_UFUNC) { /* "uprobe:/bin/bash:readline": readline */
			v = fmt_rd(d, 8, false);
			if (v < (uint64_t)c->nprobe_names && c->probe_names[v]) {
				const char *f = strrchr(c->probe_names[v], ':');
				fprintf(out, "%.*s", (int)strcspn(f ? f + 1 : c->probe_names[v], "+"), f ? f + 1 : c->probe_names[v]);
			}
		} else if (t->kind == TY_STRERROR) {
			fputs(strerror((int)fmt_rd(d, 8, false)), out);
		} else if (t->kind == TY_CGROUP_PATH) {
			kernel_cgroup_path(fmt_rd(d, 8, false), t->name, out);
		} else if (t->kind == TY_MACADDR) {
			fprintf(out, "%02X:%02X:%02X:%02X:%02X:%02X", d[0], d[1], d[2], d[3], d[4], d[5]);
		} else if (t->kind == TY_TIMESTAMP) {
			fmt_timestamp(c, out, t->name, fmt_rd(d, 8, false));
		} else if (t->kind == TY_BUF) {
			fmt_buf(out, t, d, false, false);
		} else if (t->kind == TY_INET) {
			fmt_inet(out, d);
		} else if (t->kind == TY_KSYM) {
			fmt_ksym(c, out, fmt_rd(d, 8, false), false);
		} else if (t->kind == TY_KSTACK) {
			fmt_kstack(c, out, t, (int64_t)fmt_rd(d, 8, true),
				   mode == FM_KEY ? 4 : 8);
		} else {
			v = fmt_rd(d, 8, false);
			if (v < (uint64_t)c->nprobe_names && c->probe_names[v])
				fputs(c->probe_names[v], out);
		}
		break;
	case TY_TUPLE:
		fputc(json ? '[' : '(', out);
		for (int i = 0; i < t->nfields; i++) {
			if (i)
				fputs(json ? "," : ", ", out);
			fmt_val(c, out, t->fields[i], d + t->offsets[i],
				json ? FM_JSON : FM_VALUE);
		}
		fputc(json ? ']' : ')', out);
		break;
	case TY_ARRAY:
		fputc('[', out);
		for (uint32_t i = 0; t->sub && i < t->nelem; i++) {
			if (i)
				fputc(',', out);
			fmt_val(c, out, t->sub, d + i * t->sub->size,
				json ? FM_JSON : FM_VALUE);
		}
		fputc(']', out);
		break;
	case TY_RECORD:
		if (t->btf) {
			fmt_btf(c, out, t->btf, t->btf_id, d, json ? FM_JSON : FM_VALUE);
			break;
		}
		/* a script's struct (frontend/cdef.c): its fields, as fmt_btf */
		fputs("{ ", out);
		for (int i = 0; i < t->nfields; i++) {
			const struct type *f = t->fields[i];

			if (i)
				fputs(", ", out);
			fprintf(out, json ? "\"%s\": " : ".%s = ", t->fnames[i]);
			if (f->bit_size && f->kind == TY_INT) {
				uint64_t v = fmt_rd(d + t->offsets[i], f->size, false);

				v = (v >> f->bit_off) & (f->bit_size >= 64 ? ~0ULL : (1ULL << f->bit_size) - 1);
				fprintf(out, "%llu", (unsigned long long)v);
			} else {
				fmt_val(c, out, f, d + t->offsets[i], json ? FM_JSON : FM_VALUE);
			}
		}
		fputs(" }", out);
		break;
	case TY_AVG:
	case TY_STATS: {
		int64_t total, count;

		memcpy(&total, d, 8);
		memcpy(&count, d + 8, 8);
		if (t->kind == TY_AVG)
			fprintf(out, "%lld", (long long)(count ? total / count : 0));
		else
			fprintf(out, json ? "{\"count\": %lld, \"average\": %lld, \"total\": %lld}"
					  : "count %lld, average %lld, total %lld",
				(long long)count, (long long)(count ? total / count : 0),
				(long long)total);
		break;
	}
	case TY_NONE:
	case TY_VOID:
	case TY_HIST:
	case TY_LHIST:
		break;
	}
}

void fmt_value(struct out_ctx *c, FILE *out, const struct type *t, const uint8_t *data)
{
	fmt_val(c, out, t, data, c->format == OUT_JSON ? FM_JSON : FM_VALUE);
}

void fmt_key(struct out_ctx *c, FILE *out, const struct type *t, const uint8_t *data)
{
	fmt_val(c, out, t, data, FM_KEY);
}

void fmt_printv(struct out_ctx *c, const struct type *t, const uint8_t *data)
{
	if (c->format == OUT_JSON) {
		fputs("{\"type\": \"value\", \"data\": ", c->out);
		fmt_val(c, c->out, t, data, FM_JSON);
		fputs("}\n", c->out);
	} else {
		fmt_val(c, c->out, t, data, FM_VALUE);
		fputc('\n', c->out);
	}
}

/* %s of a kernel enum value: its constant's name, else the number */
static char *fmt_enum_name(const struct type *t, uint64_t v)
{
	char *s = NULL;

	for (int i = 0; i < t->enums->n; i++)
		if ((uint64_t)t->enums->vals[i] == v)
			return strdup(t->enums->names[i]);
	if (asprintf(&s, t->sign ? "%lld" : "%llu", (long long)v) < 0)
		return NULL;
	return s;
}

/* the piece's "%[-][0][width][.prec]" prefix */
static int fmt_spec_head(char *b, size_t n, const struct fmt_piece *p)
{
	int k = snprintf(b, n, "%%%s", p->flags);

	if (p->width >= 0)
		k += snprintf(b + k, n - k, "%d", p->width);
	if (p->prec >= 0)
		k += snprintf(b + k, n - k, ".%d", p->prec);
	return k;
}

/* one conversion of printf, as glibc's snprintf renders it for bpftrace */
static void fmt_conv(struct out_ctx *c, FILE *out, const struct fmt_piece *p,
		     const struct type *t, const uint8_t *d)
{
	static const char convch[] = {
		[FC_INT] = 'd', [FC_UINT] = 'u', [FC_OCT] = 'o', [FC_HEX] = 'x',
		[FC_HEXU] = 'X', [FC_CHAR] = 'c', [FC_STR] = 's', [FC_PTR] = 'p',
		[FC_BUF] = 'r',
	};
	char spec[64];
	int k = fmt_spec_head(spec, sizeof(spec), p);
	bool wide = p->length[0] && strcmp(p->length, "h") && strcmp(p->length, "hh");
	uint64_t v = 0;

	if (t->kind == TY_INT)
		v = fmt_rd(d, t->size, t->sign);
	else if (t->kind != TY_STR && t->kind != TY_BUF && t->kind != TY_TUPLE &&
		 t->kind != TY_RECORD && t->kind != TY_ARRAY)
		v = fmt_rd(d, 8, false);
	switch (p->conv) {
	case FC_INT:
	case FC_UINT:
	case FC_OCT:
	case FC_HEX:
	case FC_HEXU:
		snprintf(spec + k, sizeof(spec) - k, "%s%c", p->length, convch[p->conv]);
		if (wide)
			fprintf(out, spec, (long long)v);
		else
			fprintf(out, spec, (int)v);
		break;
	case FC_CHAR:
		snprintf(spec + k, sizeof(spec) - k, "c");
		fprintf(out, spec, (int)v);
		break;
	case FC_PTR: /* glibc ignores a length modifier on %p */
		snprintf(spec + k, sizeof(spec) - k, "p");
		fprintf(out, spec, (void *)(uintptr_t)v);
		break;
	case FC_STR: {
		size_t n = 0;
		char *s = t->kind == TY_STR
				  ? strndup((const char *)d, t->size)
				  : t->kind == TY_INT && t->enums ? fmt_enum_name(t, v)
				  : fmt_text(c, t, d, FM_VALUE, &n);

		snprintf(spec + k, sizeof(spec) - k, "s");
		fprintf(out, spec, s ? s : "");
		free(s);
		break;
	}
	case FC_BUF:
		if (k > 1) { /* glibc prints an unknown "%5r" as it is */
			fprintf(out, "%sr%s", spec, p->rx ? "x" : p->rh ? "h" : "");
			break;
		}
		if (t->kind == TY_BUF || t->kind == TY_STR)
			fmt_buf(out, t, d, p->rx, p->rh);
		break;
	case FC_LIT:
		break;
	}
}

/* the literal and conversion pieces of a printf-like event, in order */
static void fmt_pieces(struct out_ctx *c, FILE *out, const struct event *ev, const uint8_t *payload)
{
	int arg = 0;

	for (int i = 0; i < ev->fmt.n; i++) {
		const struct fmt_piece *p = &ev->fmt.p[i];

		if (p->lit)
			fputs(p->lit, out);
		if (p->conv == FC_LIT || arg >= ev->nargs)
			continue;
		fmt_conv(c, out, p, ev->argty[arg], payload + ev->argoff[arg]);
		arg++;
	}
}

/* text as bpftrace's message(type, text): as is, or one JSON line */
static void fmt_message(struct out_ctx *c, const char *type, const char *s, size_t n)
{
	if (c->format != OUT_JSON) {
		fwrite(s, 1, n, c->out);
		return;
	}
	fprintf(c->out, "{\"type\": \"%s\", \"data\": \"", type);
	fmt_json_escape(c->out, s, n);
	fputs("\"}\n", c->out);
}

/*
** printf(): literal and conversion pieces in order; in JSON mode the
** whole text becomes one {"type": "printf"} line.
*/
void fmt_printf(struct out_ctx *c, const struct event *ev, const uint8_t *payload)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	if (c->format != OUT_JSON) {
		fmt_pieces(c, c->out, ev, payload);
		return;
	}
	if (!(out = open_memstream(&buf, &len)))
		return;
	fmt_pieces(c, out, ev, payload);
	fclose(out);
	fmt_message(c, "printf", buf, len);
	free(buf);
}

/* the formatted text of a printf-like event, NUL-terminated; NULL if out of memory */
static char *fmt_formatted(struct out_ctx *c, const struct event *ev, const uint8_t *payload)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		return NULL;
	fmt_pieces(c, out, ev, payload);
	fclose(out);
	return buf;
}

/*
** system(fmt, ...) (--unsafe): the formatted command run by /bin/sh,
** waited for, its standard output printed as it is, as bpftrace 0.17's
** exec_system (popen); what the tracer printed before goes first.
*/
void fmt_system(struct out_ctx *c, const struct event *ev, const uint8_t *payload)
{
	char *cmd = fmt_formatted(c, ev, payload), *buf = NULL, chunk[4096];
	size_t len = 0, n;
	FILE *p, *out;

	if (!cmd)
		return;
	fflush(c->out);
	p = popen(cmd, "r");
	if (!p) {
		diag_now(DIAG_ERROR, NULL, NULL, NULL, "system(\"%s\"): %s", cmd, strerror(errno));
		free(cmd);
		return;
	}
	out = open_memstream(&buf, &len);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		if (out)
			fwrite(chunk, 1, n, out);
	pclose(p);
	if (out) {
		fclose(out);
		fmt_message(c, "syscall", buf, len);
	}
	free(buf);
	free(cmd);
}

/* join(): the slots up to the first empty one, joined by the delimiter, and a newline */
void fmt_join(struct out_ctx *c, const struct event *ev, const uint8_t *payload)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		return;
	for (int i = 0; i < JOIN_ARGS; i++) {
		const char *arg = (const char *)payload + (size_t)i * JOIN_ARGSIZE;

		if (!arg[0])
			break;
		if (i)
			fputs(ev->fmtstr, out);
		fwrite(arg, 1, strnlen(arg, JOIN_ARGSIZE), out);
	}
	if (c->format != OUT_JSON)
		fputc('\n', out);
	fclose(out);
	fmt_message(c, "join", buf, len);
	free(buf);
}

/*
** cat(fmt, ...): the file at the formatted path, printed as it is, at
** most BPFTRACE_CAT_BYTES_MAX bytes (default 10240), as bpftrace 0.17's
** cat_file; a file that cannot be opened is an error line, and the run
** goes on.
*/
void fmt_cat(struct out_ctx *c, const struct event *ev, const uint8_t *payload)
{
	char *path = fmt_formatted(c, ev, payload), *buf;
	size_t max = 10240, len = 0, n;
	const char *env = getenv("BPFTRACE_CAT_BYTES_MAX");
	FILE *f;

	if (!path)
		return;
	if (env && *env)
		max = strtoull(env, NULL, 10);
	f = fopen(path, "r");
	if (!f) {
		fflush(c->out);
		diag_now(DIAG_ERROR, NULL, NULL, NULL, "failed to open file '%s': %s", path, strerror(errno));
		free(path);
		return;
	}
	buf = malloc(max ? max : 1);
	while (buf && len < max && (n = fread(buf + len, 1, max - len, f)) > 0)
		len += n;
	fclose(f);
	if (buf)
		fmt_message(c, "cat", buf, len);
	free(buf);
	free(path);
}

/*
** time(fmt): strftime of the local time now into bpftrace's 64-byte
** buffer; an empty or longer result is bpftrace's "strftime returned 0".
*/
void fmt_time(struct out_ctx *c, const struct event *ev)
{
	const char *f = ev->fmtstr ? ev->fmtstr : "%H:%M:%S\n";
	char buf[64];
	time_t now = time(NULL);
	struct tm tm;
	size_t n;

	if (!localtime_r(&now, &tm) || (n = strftime(buf, sizeof(buf), f, &tm)) == 0) {
		diag_now(DIAG_ERROR, NULL, NULL, NULL, "strftime returned 0");
		return;
	}
	if (c->format == OUT_JSON) {
		fputs("{\"type\": \"time\", \"data\": \"", c->out);
		fmt_json_escape(c->out, buf, n);
		fputs("\"}\n", c->out);
	} else {
		fwrite(buf, 1, n, c->out);
	}
}
